"""The git source over real repositories built in `tmp_path`, cloned through `file://` URLs and
plain paths as a remote would be."""

import asyncio
import os
import shutil
import socket
from collections.abc import Mapping, Sequence
from pathlib import Path
from urllib.parse import quote

import pytest

from application import source_ports
from kraken_bot.adapters import git_source
from tests import git_repos

BASE_URL = "https://git.example.com/org/handbook/blob/main"
HANDBOOK = {
    "README.md": "# Handbook\n\nWhere everything is.\n",
    "guides/on call.md": "# On call\n\nPage the secondary after ten minutes.\n",
    "guides/deploy.rst": "Deploying\n=========\n\nRun the pipeline.\n",
    "notes.txt": "Notes\n=====\n\nNothing yet.\n",
    "site/index.html": "<h1>Welcome</h1>",
    "manual.pdf": "%PDF-1.4 not much of a manual",
    "src/app.py": "print('not a document')\n",
    ".github/CONTRIBUTING.md": "# Hidden folder\n",
    "guides/.draft.md": "# Hidden file\n",
}
DOCUMENTS = {
    "README.md": source_ports.MARKDOWN,
    "guides/deploy.rst": source_ports.RESTRUCTUREDTEXT,
    "guides/on call.md": source_ports.MARKDOWN,
    "manual.pdf": source_ports.PDF,
    "notes.txt": source_ports.RESTRUCTUREDTEXT,
    "site/index.html": source_ports.HTML,
}


@pytest.fixture
def handbook(tmp_path: Path) -> git_repos.GitRepo:
    """A repository with documents in every format, and what is not a document: code, hidden
    files, a symlink and a submodule."""
    repo = git_repos.GitRepo(tmp_path / "handbook")
    submodule = repo.commit_files("Start the handbook", HANDBOOK)
    (repo.path / "latest.md").symlink_to("README.md")
    repo.git("add", "latest.md")
    repo.git("update-index", "--add", "--cacheinfo", f"160000,{submodule},vendor/theme.md")
    repo.git("commit", "--quiet", "-m", "Link the latest page and the theme")
    return repo


def _source(
    repo: git_repos.GitRepo | str,
    cache_dir: Path,
    *,
    branch: str = "",
    include: Sequence[str] = (),
    exclude: Sequence[str] = (),
    limits: source_ports.SyncLimits = source_ports.SyncLimits(),  # noqa: B008 - frozen
    base_url: str = BASE_URL,
) -> git_source.GitSource:
    return git_source.GitSource(
        location=repo if isinstance(repo, str) else f"file://{repo.path}",
        branch=branch,
        cache_dir=cache_dir,
        base_url=base_url,
        include=include,
        exclude=exclude,
        limits=limits,
    )


async def _read(
    source: git_source.GitSource, known: Mapping[str, str] | None = None
) -> dict[str, source_ports.SourceItem]:
    items = [item async for item in source.read(known=known or {})]
    paths = [item.path for item in items]
    assert len(set(paths)) == len(paths), "each document once"
    return dict(zip(paths, items, strict=True))


def _versions(items: Mapping[str, source_ports.SourceItem]) -> dict[str, str]:
    return {
        path: item.version
        for path, item in items.items()
        if isinstance(item, source_ports.FetchedDocument)
    }


async def _version(repo: git_repos.GitRepo, path: str) -> str:
    blob_id = await asyncio.to_thread(repo.blob_id, path)
    return git_source.version_of(blob_id, url=f"{BASE_URL}/{quote(path)}")


async def test_a_first_read_fetches_every_document_with_its_blob_id_and_link(
    handbook: git_repos.GitRepo, tmp_path: Path
) -> None:
    items = await _read(_source(handbook, tmp_path / "cache"))

    assert items == {
        path: source_ports.FetchedDocument(
            path=path,
            url=f"{BASE_URL}/{path.replace(' ', '%20')}",
            version=await _version(handbook, path),
            content=HANDBOOK[path].encode(),
            media_type=media_type,
        )
        for path, media_type in DOCUMENTS.items()
    }


async def test_hidden_files_symlinks_submodules_and_code_are_not_documents(
    handbook: git_repos.GitRepo, tmp_path: Path
) -> None:
    items = await _read(_source(handbook, tmp_path / "cache", include=["*"]))

    assert sorted(items) == sorted(DOCUMENTS)


async def test_a_second_read_fetches_what_changed_and_leaves_out_what_is_gone(
    handbook: git_repos.GitRepo, tmp_path: Path
) -> None:
    source = _source(handbook, tmp_path / "cache")
    first = _versions(await _read(source))
    await asyncio.to_thread(
        handbook.commit_files,
        "Rework the handbook",
        {
            "guides/deploy.rst": "Deploying\n=========\n\nRun the new pipeline.\n",
            "notes.txt": None,
            "site/index.html": None,
            "site/home.html": HANDBOOK["site/index.html"],
        },
    )

    second = await _read(source, known=first)

    assert second == {
        "README.md": source_ports.UnchangedDocument(path="README.md"),
        "guides/deploy.rst": source_ports.FetchedDocument(
            path="guides/deploy.rst",
            url=f"{BASE_URL}/guides/deploy.rst",
            version=await _version(handbook, "guides/deploy.rst"),
            content=b"Deploying\n=========\n\nRun the new pipeline.\n",
            media_type=source_ports.RESTRUCTUREDTEXT,
        ),
        "guides/on call.md": source_ports.UnchangedDocument(path="guides/on call.md"),
        "manual.pdf": source_ports.UnchangedDocument(path="manual.pdf"),
        "site/home.html": source_ports.FetchedDocument(
            path="site/home.html",
            url=f"{BASE_URL}/site/home.html",
            version=await _version(handbook, "site/home.html"),
            content=HANDBOOK["site/index.html"].encode(),
            media_type=source_ports.HTML,
        ),
    }


async def test_a_new_base_url_relinks_the_documents_that_did_not_change(
    handbook: git_repos.GitRepo, tmp_path: Path
) -> None:
    first = _versions(await _read(_source(handbook, tmp_path / "cache")))
    moved = _source(handbook, tmp_path / "cache", base_url="https://git.example.com/new/blob/main")

    second = await _read(moved, known=first)

    assert {
        item.url for item in second.values() if isinstance(item, source_ports.FetchedDocument)
    } == {f"https://git.example.com/new/blob/main/{path.replace(' ', '%20')}" for path in DOCUMENTS}


async def test_a_branch_whose_history_was_rewritten_is_read_at_its_new_tip(
    handbook: git_repos.GitRepo, tmp_path: Path
) -> None:
    source = _source(handbook, tmp_path / "cache")
    first = _versions(await _read(source))
    await asyncio.to_thread((handbook.path / "README.md").write_text, "# Handbook, amended\n")
    await asyncio.to_thread(handbook.git, "commit", "--quiet", "--all", "--amend", "--no-edit")

    second = await _read(source, known=first)

    assert second["README.md"] == source_ports.FetchedDocument(
        path="README.md",
        url=f"{BASE_URL}/README.md",
        version=await _version(handbook, "README.md"),
        content=b"# Handbook, amended\n",
        media_type=source_ports.MARKDOWN,
    )


async def test_include_and_exclude_patterns_choose_the_documents(
    handbook: git_repos.GitRepo, tmp_path: Path
) -> None:
    source = _source(
        handbook, tmp_path / "cache", include=["guides/*", "*.pdf"], exclude=["*/deploy.rst"]
    )

    items = await _read(source)

    assert sorted(items) == ["guides/on call.md", "manual.pdf"]


async def test_a_document_over_the_size_limit_is_skipped_with_the_reason(
    handbook: git_repos.GitRepo, tmp_path: Path
) -> None:
    limit = len(HANDBOOK["guides/on call.md"]) - 1
    source = _source(
        handbook, tmp_path / "cache", limits=source_ports.SyncLimits(max_document_bytes=limit)
    )

    items = await _read(source)

    assert items["guides/on call.md"] == source_ports.SkippedDocument(
        path="guides/on call.md", reason=f"larger than {limit:,} bytes"
    )
    assert isinstance(items["site/index.html"], source_ports.FetchedDocument)


async def test_a_branch_other_than_the_default_is_read_from_a_plain_path(
    handbook: git_repos.GitRepo, tmp_path: Path
) -> None:
    await asyncio.to_thread(handbook.git, "checkout", "--quiet", "-b", "staging")
    await asyncio.to_thread(handbook.commit_files, "Draft a runbook", {"runbook.md": "# Runbook\n"})
    await asyncio.to_thread(handbook.git, "checkout", "--quiet", "main")

    staging = await _read(_source(str(handbook.path), tmp_path / "cache", branch="staging"))
    default = await _read(_source(str(handbook.path), tmp_path / "cache"))

    assert sorted(staging) == sorted([*DOCUMENTS, "runbook.md"])
    assert sorted(default) == sorted(DOCUMENTS)


async def test_a_repository_that_does_not_exist_is_unavailable(tmp_path: Path) -> None:
    source = _source(str(tmp_path / "nowhere"), tmp_path / "cache")

    with pytest.raises(source_ports.SourceUnavailable) as raised:
        await _read(source)

    assert str(raised.value) == (
        f"Unable to clone {tmp_path / 'nowhere'}: "
        f"fatal: repository '{tmp_path / 'nowhere'}' does not exist"
    )


async def test_a_branch_that_does_not_exist_is_unavailable(
    handbook: git_repos.GitRepo, tmp_path: Path
) -> None:
    source = _source(handbook, tmp_path / "cache", branch="no-such-branch")

    with pytest.raises(source_ports.SourceUnavailable, match="no-such-branch not found"):
        await _read(source)


async def test_credentials_in_the_location_are_never_echoed(tmp_path: Path) -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    source = _source(f"http://kraken:s3cret@127.0.0.1:{port}/org/repo.git", tmp_path / "cache")

    with pytest.raises(source_ports.SourceUnavailable) as raised:
        await _read(source)

    assert f"Unable to clone http://127.0.0.1:{port}/org/repo.git: " in str(raised.value)
    assert "s3cret" not in str(raised.value)
    assert "kraken" not in str(raised.value)


async def test_a_host_that_never_answers_is_given_up_on_at_the_time_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def never_answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read()  # until git is killed
        writer.close()

    monkeypatch.setattr(git_source, "GIT_TIMEOUT_S", 0.5)
    server = await asyncio.start_server(never_answer, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    source = _source(f"http://127.0.0.1:{port}/org/repo.git", tmp_path / "cache")

    async with server, asyncio.timeout(10):
        with pytest.raises(source_ports.SourceUnavailable) as raised:
            await _read(source)

    assert str(raised.value) == "git clone took longer than 0.5 s"


async def test_a_missing_git_makes_the_source_unavailable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))

    with pytest.raises(source_ports.SourceUnavailable, match=r"^Unable to run git: "):
        await _read(_source(str(tmp_path / "handbook"), tmp_path / "cache"))


async def test_a_cache_folder_that_is_not_a_repository_is_cloned_again(
    handbook: git_repos.GitRepo, tmp_path: Path
) -> None:
    cache = tmp_path / "cache"
    source = _source(handbook, cache)
    await _read(source)
    await asyncio.to_thread(_replace_with_garbage, cache)

    items = await _read(source)

    assert sorted(items) == sorted(DOCUMENTS)


async def test_a_garbage_cache_inside_another_repository_leaves_that_repository_alone(
    handbook: git_repos.GitRepo, tmp_path: Path
) -> None:
    enclosing = await asyncio.to_thread(git_repos.GitRepo, tmp_path / "enclosing")
    before = await asyncio.to_thread(enclosing.commit_files, "Mine", {"mine.md": "# Mine\n"})
    # A checkout of a project with a remote, as a cache folder inside a project's checkout has.
    await asyncio.to_thread(enclosing.git, "remote", "add", "origin", str(handbook.path))
    source = _source(handbook, enclosing.path / "cache")
    await _read(source)
    await asyncio.to_thread(_replace_with_garbage, enclosing.path / "cache")

    items = await _read(source)

    assert sorted(items) == sorted(DOCUMENTS)
    assert await asyncio.to_thread(enclosing.sha, "HEAD") == before
    assert await asyncio.to_thread((enclosing.path / "mine.md").read_text) == "# Mine\n"


async def test_more_documents_than_the_limit_make_the_source_unavailable(
    handbook: git_repos.GitRepo, tmp_path: Path
) -> None:
    limits = source_ports.SyncLimits(max_documents=len(DOCUMENTS) - 1)

    with pytest.raises(source_ports.SourceUnavailable) as raised:
        await _read(_source(handbook, tmp_path / "cache", limits=limits))
    at_the_limit = await _read(
        _source(handbook, tmp_path / "cache", limits=limits, exclude=["*.pdf"])
    )

    assert str(raised.value) == (
        f"more than {len(DOCUMENTS) - 1:,} documents: narrow it with include/exclude"
    )
    assert len(at_the_limit) == len(DOCUMENTS) - 1


def _replace_with_garbage(cache: Path) -> None:
    """Empty the one clone in the cache of everything git needs, and leave junk in its place."""
    (clone,) = cache.iterdir()
    shutil.rmtree(clone)
    clone.mkdir()
    (clone / "junk.bin").write_bytes(os.urandom(64))
