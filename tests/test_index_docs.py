import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from application import index_documents
from data import models
from fakes.servers import PROJECT_DIR, database_url_shared_with_tests, subprocess_environment

# Root reads every file whatever its permissions; without these capabilities it is refused as
# any other user is.
_AS_A_USER_WHO_OBEYS_PERMISSIONS = (
    ["setpriv", "--bounding-set=-dac_override,-dac_read_search", "--"] if os.geteuid() == 0 else []
)


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def _index(folder: Path, *args: str, stdout: io.StringIO | None = None) -> tuple[str, str]:
    out, err = stdout or io.StringIO(), io.StringIO()
    call_command(
        "index_docs", str(folder), "--collection", "handbook", *args, stdout=out, stderr=err
    )
    return out.getvalue(), err.getvalue()


def _refused(folder: Path, *args: str) -> tuple[str, list[str]]:
    errors = io.StringIO()
    with pytest.raises(CommandError) as refusal:
        call_command("index_docs", str(folder), "--collection", "handbook", *args, stderr=errors)
    return str(refusal.value), errors.getvalue().splitlines()


def _documents() -> list[str]:
    rows = models.Document.objects.filter(collection="handbook").order_by("path")
    return list(rows.values_list("path", flat=True))


def _passages(path: str) -> list[tuple[str, str]]:
    rows = models.Passage.objects.filter(document__collection="handbook", document__path=path)
    return list(rows.order_by("position").values_list("heading", "text"))


def test_a_folder_is_indexed_file_by_file_into_passages(tmp_path: Path) -> None:
    (tmp_path / "ops").mkdir()
    (tmp_path / "ops" / "deploy.md").write_text("# Deploy\n\n## Database\n\nRotate it.\n")
    (tmp_path / "guide.rst").write_text("Guide\n=====\n\nRead me.\n")
    (tmp_path / "notes.txt").write_text("Plain notes.\n")
    (tmp_path / "image.png").write_bytes(b"\x89PNG")

    output, errors = _index(tmp_path)

    assert "3 added, 0 updated, 0 removed, 0 unchanged, 0 skipped; 3 passages written" in output
    assert errors == ""
    assert _passages("ops/deploy.md") == [("Deploy › Database", "Rotate it.")]
    assert _passages("guide.rst") == [("Guide", "Read me.")]
    assert models.Document.objects.get(path="notes.txt").title == "Notes"


def test_reindexing_skips_unchanged_re_splits_changed_and_removes_deleted_files(
    tmp_path: Path,
) -> None:
    (tmp_path / "same.md").write_text("# Same\n\nStays.\n")
    (tmp_path / "changed.md").write_text("# Changed\n\nOld text.\n")
    (tmp_path / "deleted.md").write_text("# Deleted\n\nGoes away.\n")
    _index(tmp_path)
    unchanged_id = models.Document.objects.get(path="same.md").passages.get().pk
    (tmp_path / "changed.md").write_text("# Changed\n\n## New part\n\nNew text.\n")
    (tmp_path / "deleted.md").unlink()
    (tmp_path / "new.md").write_text("New file.\n")

    output, _ = _index(tmp_path)

    assert "1 added, 1 updated, 1 removed, 1 unchanged, 0 skipped; 2 passages written" in output
    assert _passages("changed.md") == [("Changed › New part", "New text.")]
    assert not models.Document.objects.filter(path="deleted.md").exists()
    assert models.Document.objects.get(path="same.md").passages.get().pk == unchanged_id


def test_bad_files_are_reported_by_name_and_skipped(tmp_path: Path) -> None:
    (tmp_path / "good.md").write_text("# Good\n\nFine.\n")
    (tmp_path / "latin1.md").write_bytes("# Caf\xe9\n".encode("latin-1"))
    (tmp_path / "empty.md").write_text("  \n")
    (tmp_path / "huge.md").write_text("word " * (index_documents.MAX_FILE_BYTES // 5 + 1))

    output, errors = _index(tmp_path)

    assert errors.splitlines() == [
        "Skipped empty.md: empty",
        f"Skipped huge.md: larger than {index_documents.MAX_FILE_BYTES:,} bytes",
        "Skipped latin1.md: not UTF-8 text",
    ]
    assert "1 added, 0 updated, 0 removed, 0 unchanged, 3 skipped" in output
    assert list(models.Document.objects.values_list("path", flat=True)) == ["good.md"]


def test_base_url_turns_paths_into_links(tmp_path: Path) -> None:
    (tmp_path / "ops").mkdir()
    (tmp_path / "ops" / "on call.md").write_text("# On call\n\nCarry the pager.\n")

    _index(tmp_path, "--base-url", "https://docs.example.com/handbook/")

    url = models.Document.objects.get(path="ops/on call.md").url
    assert url == "https://docs.example.com/handbook/ops/on%20call.md"


def test_a_new_base_url_updates_the_links_of_unchanged_files(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text("Text.\n")
    _index(tmp_path, "--base-url", "https://old.example.com")

    output, _ = _index(tmp_path, "--base-url", "https://new.example.com")

    assert "1 updated" in output
    assert models.Document.objects.get(path="a.md").url == "https://new.example.com/a.md"


def test_progress_is_shown_on_a_terminal_only(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text("A.\n")
    (tmp_path / "b.md").write_text("B.\n")

    on_terminal, _ = _index(tmp_path, stdout=_Terminal())
    (tmp_path / "c.md").write_text("C.\n")
    in_a_pipe, _ = _index(tmp_path)

    assert "1/2 files" in on_terminal
    assert "2/2 files" in on_terminal
    assert "files  " not in in_a_pipe


def test_a_link_to_outside_the_folder_is_reported_and_never_read(tmp_path: Path) -> None:
    (tmp_path / "secrets").mkdir()
    (tmp_path / "secrets" / "env.txt").write_text("SLACK_BOT_TOKEN=xoxb-secret\n")
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "guide.md").write_text("# Guide\n\nRead me.\n")
    (docs / "config.txt").symlink_to(tmp_path / "secrets" / "env.txt")
    (docs / "etc").symlink_to(tmp_path / "secrets")
    (docs / "same-guide.md").symlink_to(docs / "guide.md")
    (docs / "loop.md").symlink_to(docs / "loop.md")

    output, errors = _index(docs)

    assert errors.splitlines() == [
        "Skipped config.txt: a link to outside the folder",
        "Skipped etc: a link to outside the folder",
        "Skipped loop.md: unreadable (Too many levels of symbolic links)",
    ]
    assert "2 added, 0 updated, 0 removed, 0 unchanged, 3 skipped" in output
    assert _documents() == ["guide.md", "same-guide.md"]
    assert not models.Passage.objects.filter(text__contains="xoxb-secret").exists()


def test_a_fifo_is_skipped_as_not_a_regular_file_instead_of_read_forever(tmp_path: Path) -> None:
    (tmp_path / "good.md").write_text("# Good\n\nFine.\n")
    os.mkfifo(tmp_path / "pipe.md")

    output, errors = _index(tmp_path)

    assert errors.splitlines() == ["Skipped pipe.md: not a regular file"]
    assert "1 added, 0 updated, 0 removed, 0 unchanged, 1 skipped" in output


def test_unreadable_folders_and_files_are_reported_and_skipped(tmp_path: Path) -> None:
    (tmp_path / "good.md").write_text("# Good\n\nFine.\n")
    (tmp_path / "locked.md").write_text("# Locked\n\nPrivate.\n")
    (tmp_path / "private").mkdir()
    (tmp_path / "private" / "inside.md").write_text("# Inside\n\nPrivate.\n")
    (tmp_path / "locked.md").chmod(0)
    (tmp_path / "private").chmod(0)

    finished = subprocess.run(
        [
            *_AS_A_USER_WHO_OBEYS_PERMISSIONS,
            sys.executable,
            str(PROJECT_DIR / "manage.py"),
            "index_docs",
            str(tmp_path),
            "--collection",
            "handbook",
        ],
        cwd=PROJECT_DIR,
        env=subprocess_environment(DATABASE_URL=database_url_shared_with_tests()),
        capture_output=True,
        text=True,
        check=False,
    )

    assert finished.returncode == 0
    assert finished.stderr.splitlines() == [
        "Skipped locked.md: unreadable (Permission denied)",
        "Skipped private: unreadable folder (Permission denied)",
    ]
    assert _documents() == ["good.md"]


def test_indexing_an_empty_folder_into_a_collection_is_refused_and_changes_nothing(
    tmp_path: Path,
) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "a.md").write_text("A.\n")
    (tmp_path / "docs" / "b.md").write_text("B.\n")
    _index(tmp_path / "docs")
    (tmp_path / "empty").mkdir()

    message, errors = _refused(tmp_path / "empty")

    assert message.startswith("Refused to remove 2 of the 2 documents of the collection 'handbook'")
    assert "--prune" in message
    assert errors == ["Would remove a.md", "Would remove b.md"]
    assert _documents() == ["a.md", "b.md"]


def test_indexing_another_folder_into_a_collection_is_refused_and_says_so(tmp_path: Path) -> None:
    (tmp_path / "handbook").mkdir()
    (tmp_path / "handbook" / "runbook.md").write_text("# Runbook\n\nRotate.\n")
    (tmp_path / "handbook" / "vpn.md").write_text("# VPN\n\nAsk IT.\n")
    (tmp_path / "handbook" / "faq.md").write_text("# FAQ\n\nAsk.\n")
    _index(tmp_path / "handbook")
    (tmp_path / "website").mkdir()
    (tmp_path / "website" / "faq.md").write_text("# Website FAQ\n\nClick.\n")
    (tmp_path / "website" / "pricing.md").write_text("# Pricing\n\nFree.\n")

    message, errors = _refused(tmp_path / "website")

    assert (
        f"which are not in the folder {tmp_path / 'website'}: is it where the collection" in message
    )
    assert errors == ["Would remove runbook.md", "Would remove vpn.md"]
    assert _documents() == ["faq.md", "runbook.md", "vpn.md"]
    assert _passages("faq.md") == [("FAQ", "Ask.")]


def test_prune_removes_every_document_whose_file_is_gone(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text("A.\n")
    (tmp_path / "b.md").write_text("B.\n")
    _index(tmp_path)
    (tmp_path / "a.md").unlink()
    (tmp_path / "b.md").unlink()

    output, _ = _index(tmp_path, "--prune")

    assert "0 added, 0 updated, 2 removed, 0 unchanged, 0 skipped" in output
    assert _documents() == []


def test_removing_half_of_a_collection_needs_no_prune(tmp_path: Path) -> None:
    for name in ("a.md", "b.md", "c.md", "d.md"):
        (tmp_path / name).write_text(f"{name}\n")
    _index(tmp_path)
    (tmp_path / "a.md").unlink()
    (tmp_path / "b.md").unlink()

    output, _ = _index(tmp_path)

    assert "2 removed, 2 unchanged" in output
    assert _documents() == ["c.md", "d.md"]


def test_paths_and_links_too_long_to_store_are_reported_and_the_rest_indexed(
    tmp_path: Path,
) -> None:
    (tmp_path / "good.md").write_text("# Good\n\nFine.\n")
    deep = tmp_path.joinpath(*["d" * 250] * 4)
    deep.mkdir(parents=True)
    (deep / "long.md").write_text("# Long\n\nPath.\n")
    accented = tmp_path.joinpath(*["é" * 120] * 3)
    accented.mkdir(parents=True)
    (accented / "link.md").write_text("# Link\n\nQuoted.\n")

    output, errors = _index(tmp_path, "--base-url", "https://docs.example.com")

    assert errors.splitlines() == [
        f"Skipped {deep.relative_to(tmp_path).as_posix()}/long.md: "
        "path longer than 1,000 characters",
        f"Skipped {accented.relative_to(tmp_path).as_posix()}/link.md: "
        "link longer than 2,000 characters",
    ]
    assert "1 added, 0 updated, 0 removed, 0 unchanged, 2 skipped" in output
    assert _documents() == ["good.md"]


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["does-not-exist"], "No folder to index"),
        ([".", "--base-url", "docs.example.com"], "must start with http:// or https://"),
        ([".", "--collection", "x" * 101], "must be 1 to 100 characters long, not 101"),
    ],
)
def test_bad_arguments_are_one_line_errors(
    arguments: list[str], message: str, tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.chdir(tmp_path)

    with pytest.raises(CommandError, match=message):
        call_command("index_docs", *arguments)
