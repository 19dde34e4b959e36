"""Documentation sources: added and synced with `manage.py sources`, as jobs (now, and on their
schedule), their state kept on them, and what a sync that fails leaves in place."""

import asyncio
import datetime as dt
import io
import re
from collections.abc import AsyncIterator, Iterator, Mapping
from pathlib import Path

import httpx
import pytest
from asgiref.sync import sync_to_async
from django.core.management import CommandError, call_command
from django.utils import timezone
from fpdf import FPDF
from procrastinate.contrib.django import app
from procrastinate.testing import InMemoryConnector

from application import source_ports, sync_documents, sync_source
from data import models
from domain import queries, records
from fakes.confluence import fake_confluence_server
from fakes.notion import block, fake_notion_server
from fakes.polling import PATIENCE_S, until
from fakes.website import fake_website
from kraken_bot import sources, tasks
from tests.git_repos import GitRepo
from tests.job_fixtures import all_jobs_done, job_context, periodic_run

PAGE = """<html><head><title>Deploying</title></head><body>
<nav><a href="/">Home</a> | <a href="/help">Help</a></nav>
<main><h1>Deploying</h1><h2 id="rollback">Rolling back</h2><p>Run <code>deploy rollback</code> to
go back to the previous release.</p></main><footer>© Example</footer></body></html>"""


def _pdf(path: Path) -> None:
    pdf = FPDF()
    pdf.set_title("Leave policy")
    pdf.set_font("helvetica", size=12)
    pdf.add_page()
    pdf.cell(text="Staff get twenty-five days of annual leave.")
    pdf.add_page()
    pdf.cell(text="Unused leave carries over until March.")
    pdf.output(str(path))


@pytest.fixture
def handbook(tmp_path: Path) -> Path:
    folder = tmp_path / "handbook"
    folder.mkdir()
    (folder / "deploying.html").write_text(PAGE)
    _pdf(folder / "leave.pdf")
    (folder / "vpn.md").write_text("# VPN\n\nConnect with `vpn up`.\n")
    return folder


def _sources(*arguments: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("sources", *arguments, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def _add_folder(folder: Path, name: str = "handbook", *extra: str) -> None:
    _sources(
        "add", name, "--kind", "folder", "--location", str(folder),
        "--base-url", "https://docs.example.com", *extra,
    )  # fmt: skip


def test_a_folder_of_html_and_pdf_is_synced_and_cited_with_its_links(handbook: Path) -> None:
    _add_folder(handbook)

    out, err = _sources("sync", "handbook")
    answer = _ask("how do I roll back a deploy?")
    leave_answer = _ask("does unused leave carry over?")

    assert "handbook: 3 added, 0 updated, 0 removed, 0 unchanged, 0 skipped" in out
    assert err == ""
    assert _first_link(answer) == "https://docs.example.com/deploying.html#rollback"
    assert "deploy rollback" in answer
    assert _first_link(leave_answer) == "https://docs.example.com/leave.pdf#page=2"
    leave = models.Document.objects.get(path="leave.pdf")
    headings = list(leave.passages.order_by("position").values_list("heading", flat=True))
    assert (leave.title, headings) == (
        "Leave policy",
        ["Leave policy › Page 1", "Leave policy › Page 2"],
    )
    deploying = models.Document.objects.get(path="deploying.html")
    assert "Home" not in "".join(deploying.passages.values_list("text", flat=True))


def test_a_source_moved_to_another_collection_takes_its_documents_out_of_the_old_one(
    handbook: Path,
) -> None:
    _add_folder(handbook)
    _sources("sync", "handbook")
    models.Source.objects.update(collection="manuals")

    out, _ = _sources("sync", "handbook")

    assert "handbook: 3 added, 0 updated, 3 removed, 0 unchanged, 0 skipped" in out
    moved = models.Document.objects.values_list("collection", flat=True)
    assert sorted(moved) == ["manuals", "manuals", "manuals"]
    assert _first_link(_ask("how do I roll back a deploy?")).endswith("deploying.html#rollback")


def test_the_source_keeps_how_its_last_sync_went(handbook: Path) -> None:
    _add_folder(handbook)
    _sources("sync")
    (handbook / "vpn.md").write_text("# VPN\n\nConnect with `vpn up --fast`.\n")
    (handbook / "leave.pdf").unlink()

    _sources("sync")
    listed, _ = _sources("list")

    source = models.Source.objects.get()
    assert (source.outcome, source.added, source.updated, source.removed, source.unchanged) == (
        models.SyncOutcome.DONE,
        0,
        1,
        1,
        1,
    )
    assert source.sync_started_at is not None
    assert source.sync_finished_at is not None
    assert source.sync_started_at <= source.sync_finished_at
    assert listed.startswith(f"handbook  folder  {handbook}  → handbook  done")


def test_a_sync_that_fails_keeps_what_was_indexed_and_says_why(handbook: Path) -> None:
    _add_folder(handbook)
    _sources("sync")
    handbook.rename(handbook.with_name("moved"))

    with pytest.raises(CommandError, match="1 of 1 sources failed: handbook"):
        _sources("sync", "handbook")

    source = models.Source.objects.get()
    assert source.outcome == models.SyncOutcome.FAILED
    assert source.last_error == f"No folder to index at {handbook}"
    assert source.added == 3
    assert models.Document.objects.count() == 3


def test_a_file_that_cannot_be_read_keeps_what_was_indexed_from_it(handbook: Path) -> None:
    _add_folder(handbook)
    _sources("sync")
    (handbook / "leave.pdf").write_bytes(b"%PDF-1.4 not really")

    _, err = _sources("sync")

    assert err.startswith("handbook: skipped leave.pdf:")
    assert models.Document.objects.filter(path="leave.pdf").exists()
    assert models.Source.objects.get().skipped_documents[0]["path"] == "leave.pdf"


def test_sources_feeding_one_collection_keep_to_their_own_documents(
    handbook: Path, tmp_path: Path
) -> None:
    other = tmp_path / "other"
    other.mkdir()
    (other / "vpn.md").write_text("# VPN elsewhere\n\nAsk IT.\n")
    (other / "printers.md").write_text("# Printers\n\nPrint.\n")
    _add_folder(handbook)
    _add_folder(other, "it", "--collection", "handbook")
    _sources("sync", "handbook")

    _, err = _sources("sync", "it")
    removed, _ = _sources("remove", "it")

    assert err == "it: skipped vpn.md: indexed from another source\n"
    assert removed == "Removed 'it' and its 1 documents.\n"
    assert sorted(models.Document.objects.values_list("path", flat=True)) == [
        "deploying.html",
        "leave.pdf",
        "vpn.md",
    ]


def test_a_source_adopts_what_index_docs_indexed_before(handbook: Path) -> None:
    call_command("index_docs", str(handbook), "--collection", "handbook", stdout=io.StringIO())
    _add_folder(handbook)

    out, _ = _sources("sync")

    source = models.Source.objects.get()
    assert "0 removed" in out
    assert set(models.Document.objects.values_list("source", flat=True)) == {source.pk}


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["add", "wiki", "--kind", "confluence", "--location", "https://x.atlassian.net/wiki"],
         "A confluence source needs --space"),
        (["add", "wiki", "--kind", "folder", "--location", ".", "--credential", "token"],
         "--credential takes ROLE=VARIABLE, not 'token'"),
        (["sync", "nosuch"], "No source named 'nosuch'"),
        (["remove", "nosuch"], "No source named 'nosuch'"),
    ],
)  # fmt: skip
def test_bad_input_is_refused_with_a_clear_message(arguments: list[str], message: str) -> None:
    with pytest.raises(CommandError, match=message):
        _sources(*arguments)


def test_a_missing_secret_fails_the_sync_and_names_the_variable(monkeypatch) -> None:
    monkeypatch.delenv("WIKI_TOKEN", raising=False)
    monkeypatch.setenv("WIKI_EMAIL", "bot@example.com")
    _sources(
        "add", "wiki", "--kind", "confluence", "--location", "https://x.atlassian.net/wiki",
        "--space", "ENG", "--credential", "email=WIKI_EMAIL", "--credential", "token=WIKI_TOKEN",
    )  # fmt: skip

    with pytest.raises(CommandError):
        _sources("sync", "wiki")

    assert models.Source.objects.get().last_error == "WIKI_TOKEN (the token) is not set"


def test_a_folder_source_takes_only_the_files_its_globs_say(handbook: Path) -> None:
    _add_folder(
        handbook, "handbook", "--include", "*.md", "--include", "*.pdf", "--exclude", "leave*"
    )

    _sources("sync", "handbook")

    assert list(models.Document.objects.values_list("path", flat=True)) == ["vpn.md"]


def test_a_folder_of_more_documents_than_a_sync_may_take_fails_it_and_indexes_none(
    handbook: Path, settings
) -> None:
    settings.SYNC_MAX_DOCUMENTS = 2
    _add_folder(handbook)

    with pytest.raises(CommandError):
        _sources("sync", "handbook")

    assert models.Source.objects.get().last_error == (
        "more than 2 documents: narrow it with include/exclude"
    )
    assert not models.Document.objects.exists()


class _Given:
    """A reader that gives one document at once."""

    async def read(self, *, known: Mapping[str, str]) -> AsyncIterator[source_ports.SourceItem]:
        yield source_ports.FetchedDocument(
            path="a.md", url="", version="1", content=b"# A\n\nText.\n", media_type="text/markdown"
        )


class _Stalling(_Given):
    """A reader that gives one document, then waits until it is let go."""

    def __init__(self) -> None:
        self.go_on = asyncio.Event()

    async def read(self, *, known: Mapping[str, str]) -> AsyncIterator[source_ports.SourceItem]:
        async for item in super().read(known=known):
            yield item
        await self.go_on.wait()


async def _source(name: str = "stalling") -> records.Source:
    row = await models.Source.objects.acreate(
        name=name, kind=models.SourceKind.FOLDER, collection="handbook", location="/nowhere"
    )
    return await queries.get_source(name=row.name)


async def test_a_sync_that_takes_too_long_is_stopped_and_removes_nothing() -> None:
    source = await _source()

    with pytest.raises(sync_source.SyncFailed, match="Took too long"):
        await sync_source.sync_source(
            source=source, reader_for=lambda _: _Stalling(), now=timezone.now(), deadline_s=0.2
        )

    stopped = await models.Source.objects.aget()
    assert (stopped.outcome, stopped.last_error) == (
        models.SyncOutcome.FAILED,
        "Took too long: stopped, nothing removed",
    )
    assert await models.Document.objects.acount() == 0


async def test_a_running_sync_shows_how_far_it_has_got(monkeypatch) -> None:
    monkeypatch.setattr(sync_source, "PROGRESS_EVERY_S", 0.0)
    source = await _source()
    reader = _Stalling()
    running = asyncio.create_task(
        sync_source.sync_source(
            source=source, reader_for=lambda _: reader, now=timezone.now(), deadline_s=60
        )
    )

    async def shown() -> bool:
        return (await models.Source.objects.aget()).progress.startswith("Read")

    await until(shown, within_s=PATIENCE_S)
    progress = (await models.Source.objects.aget()).progress
    reader.go_on.set()
    await running

    assert progress == "Read 1 documents"
    done = await models.Source.objects.aget()
    assert (done.outcome, done.progress, done.added) == (models.SyncOutcome.DONE, "", 1)


async def test_sync_now_runs_as_a_job_and_never_queues_two_of_a_source(
    jobs_run: None, handbook: Path
) -> None:
    await sync_to_async(_add_folder)(handbook)
    source = await models.Source.objects.aget()

    await tasks.defer_sync(source.pk)
    await all_jobs_done()

    synced = await models.Source.objects.aget()
    documents = await models.Document.objects.filter(source=synced).acount()
    # The workers' own periodic run may sync it first, and then leave this one nothing new.
    assert (synced.outcome, documents) == (models.SyncOutcome.DONE, 3)


@pytest.fixture
def jobs_in_memory() -> Iterator[None]:
    """Jobs kept, not run: procrastinate's own connector for tests (made outside the loop: it
    reads its schema from a file)."""
    with app.replace_connector(InMemoryConnector()):
        yield


async def test_a_sync_waiting_to_run_is_not_queued_again(
    jobs_in_memory: None, handbook: Path
) -> None:
    await sync_to_async(_add_folder)(handbook)
    source = await models.Source.objects.aget()

    first = await tasks.defer_sync(source.pk)
    second = await tasks.defer_sync(source.pk)

    assert (first, second) == (True, False)


async def test_a_schedule_queues_the_sources_that_are_due(monkeypatch) -> None:
    deferred: list[int] = []

    async def defer(source_id: int, *, prune: bool = False) -> bool:
        deferred.append(source_id)
        return True

    monkeypatch.setattr(tasks, "defer_sync", defer)
    now = dt.datetime(2026, 12, 5, 9, 0, tzinfo=dt.UTC)
    never = await models.Source.objects.acreate(
        name="never", kind="folder", collection="a", location=".", every_minutes=60
    )
    due = await models.Source.objects.acreate(
        name="due", kind="folder", collection="b", location=".", every_minutes=60,
        sync_started_at=now - dt.timedelta(minutes=60),
    )  # fmt: skip
    await models.Source.objects.acreate(
        name="recent", kind="folder", collection="c", location=".", every_minutes=60,
        sync_started_at=now - dt.timedelta(minutes=59),
    )  # fmt: skip
    await models.Source.objects.acreate(name="manual", kind="folder", collection="d", location=".")

    await tasks.sync_due_sources.func(timestamp=int(now.timestamp()))

    assert sorted(deferred) == sorted([never.pk, due.pk])


async def test_a_source_due_on_its_schedule_is_synced_by_the_workers(
    jobs_run: None, handbook: Path
) -> None:
    await sync_to_async(_add_folder)(handbook, "handbook", "--every", "30")

    await periodic_run(tasks.sync_due_sources, timestamp=int(timezone.now().timestamp()))
    await all_jobs_done()

    synced = await models.Source.objects.aget()
    documents = await models.Document.objects.filter(source=synced).acount()
    # The workers' own periodic run may sync it first, and then leave this one nothing new.
    assert (synced.outcome, documents) == (models.SyncOutcome.DONE, 3)


async def test_a_git_repository_a_web_site_and_a_folder_are_synced_and_cited_with_working_links(
    handbook: Path, tmp_path: Path
) -> None:
    repository = await asyncio.to_thread(GitRepo, tmp_path / "runbooks")
    await asyncio.to_thread(
        repository.commit_files,
        "Runbooks",
        {"database.md": "# Database\n\n## Failover\n\nPromote the replica with `pg promote`.\n"},
    )
    async with fake_website(tmp_path / "site") as site:
        await site.write(
            "guide/index.html",
            "<html><head><title>Guide</title></head><body><main><h1>Guide</h1><p>Read about "
            '<a href="badges.html">badges</a>.</p></main></body></html>',
        )
        await site.write(
            "guide/badges.html",
            "<html><head><title>Badges</title></head><body><main><h1 id='lost'>Office badges</h1>"
            "<p>Replace a lost office badge at the front desk.</p></main></body></html>",
        )
        await sync_to_async(_add_sources)(handbook, repository.path, f"{site.url}/guide/index.html")

        synced, _ = await sync_to_async(_sources)("sync")
        answers = [
            await sync_to_async(_ask)(question)
            for question in (
                "how do I promote the replica in a failover?",
                "where do I replace a lost office badge?",
                "how do I roll back a deploy?",
            )
        ]
        links = [_first_link(answer) for answer in answers]
        async with httpx.AsyncClient() as client:
            website_page = await client.get(links[1])

    assert "runbooks: 1 added" in synced
    assert "site: 2 added" in synced
    assert "handbook: 3 added" in synced
    assert links == [
        "https://git.example.com/org/runbooks/blob/main/database.md#failover",
        f"{site.url}/guide/badges.html#lost",
        "https://docs.example.com/deploying.html#rollback",
    ]
    assert website_page.status_code == 200


def _add_sources(folder: Path, repository: Path, start_url: str) -> None:
    _add_folder(folder)
    _sources(
        "add", "runbooks", "--kind", "git", "--location", str(repository),
        "--base-url", "https://git.example.com/org/runbooks/blob/main",
    )  # fmt: skip
    _sources("add", "site", "--kind", "website", "--location", start_url)


def _ask(question: str) -> str:
    out = io.StringIO()
    call_command("ask", question, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def _first_link(answer: str) -> str:
    """The link of the first source under an answer."""
    found = re.search(r"\[1\][^\n]*?(https?://[^\s>)]+)", answer)
    assert found, answer
    return found[1]


async def _sync_running(
    source: records.Source, reader: _Stalling
) -> asyncio.Task[sync_documents.IndexReport]:
    """A sync of the source, started and waited for until the source shows it running."""
    task = asyncio.create_task(
        sync_source.sync_source(
            source=source, reader_for=lambda _: reader, now=timezone.now(), deadline_s=60
        )
    )

    async def running() -> bool:
        return (await models.Source.objects.aget()).outcome == models.SyncOutcome.RUNNING

    await until(running, within_s=PATIENCE_S)
    return task


async def test_a_source_is_never_synced_twice_at_once() -> None:
    source = await _source()
    reader = _Stalling()
    first = await _sync_running(source, reader)
    with pytest.raises(sync_source.SyncFailed, match="running already"):
        await sync_source.sync_source(
            source=source, reader_for=lambda _: _Stalling(), now=timezone.now(), deadline_s=60
        )
    reader.go_on.set()
    await first

    assert (await models.Source.objects.aget()).outcome == models.SyncOutcome.DONE


async def test_a_sync_stopped_with_its_process_says_so_and_blocks_no_next_sync() -> None:
    source = await _source()
    stopped = await _sync_running(source, _Stalling())
    stopped.cancel()
    with pytest.raises(asyncio.CancelledError):
        await stopped
    ended = await models.Source.objects.aget()
    await sync_source.sync_source(
        source=source, reader_for=lambda _: _Given(), now=timezone.now(), deadline_s=60
    )

    assert (ended.outcome, ended.last_error) == (models.SyncOutcome.FAILED, sync_source.STOPPED)
    assert (await models.Source.objects.aget()).outcome == models.SyncOutcome.DONE


async def test_a_sync_left_running_by_a_dead_process_blocks_no_sync_after_its_deadline() -> None:
    source = await _source()
    await models.Source.objects.aupdate(
        outcome=models.SyncOutcome.RUNNING,
        sync_started_at=timezone.now() - dt.timedelta(seconds=61),
    )

    await sync_source.sync_source(
        source=source, reader_for=lambda _: _Given(), now=timezone.now(), deadline_s=60
    )

    assert (await models.Source.objects.aget()).outcome == models.SyncOutcome.DONE


def test_a_sync_job_a_shutdown_stopped_runs_again_at_once_and_a_failed_one_does_not() -> None:
    strategy = tasks.sync_source.retry_strategy
    assert strategy is not None
    job = job_context(tasks.sync_source, attempts=0).job

    stopped = strategy.get_retry_decision(exception=asyncio.CancelledError(), job=job)
    failed = strategy.get_retry_decision(exception=RuntimeError("a bug"), job=job)

    assert stopped is not None
    assert stopped.retry_at is not None
    assert stopped.retry_at <= timezone.now()
    assert failed is None


async def test_a_sync_job_run_again_after_its_worker_died_takes_over_the_sync_it_left(
    jobs_in_memory: None, handbook: Path
) -> None:
    """The job's lock keeps any other sync job of the source from running: what shows running is
    its own earlier run, dead with its worker. It need not wait for that run's deadline."""
    await sync_to_async(_add_folder)(handbook)
    await models.Source.objects.aupdate(
        outcome=models.SyncOutcome.RUNNING, sync_started_at=timezone.now()
    )
    source = await models.Source.objects.aget()

    await tasks.sync_source(job_context(tasks.sync_source, attempts=1), source_id=source.pk)

    synced = await models.Source.objects.aget()
    assert (synced.outcome, synced.added) == (models.SyncOutcome.DONE, 3)


async def test_a_sync_job_whose_worker_died_in_each_of_its_runs_is_not_run_again(
    jobs_in_memory: None, handbook: Path
) -> None:
    """Whatever killed its workers (a document too big for the memory) would kill the next one."""
    await sync_to_async(_add_folder)(handbook)
    await models.Source.objects.aupdate(
        outcome=models.SyncOutcome.RUNNING, sync_started_at=timezone.now()
    )
    source = await models.Source.objects.aget()
    dead_runs = sync_source.DEAD_RUNS_AT_MOST + 1

    await tasks.sync_source(job_context(tasks.sync_source, attempts=dead_runs), source_id=source.pk)

    left = await models.Source.objects.aget()
    assert (left.outcome, left.added) == (models.SyncOutcome.FAILED, 0)
    assert left.last_error == "Its process died in each of its last 4 runs: left for the next sync"
    assert await models.Document.objects.acount() == 0


async def _synced(source: models.Source) -> sync_documents.IndexReport:
    return await sync_source.sync_source(
        source=await queries.get_source(name=source.name),
        reader_for=sources.reader_for,
        now=timezone.now(),
        deadline_s=60,
    )


async def test_a_confluence_space_syncs_through_its_source_with_the_secrets_it_names(
    monkeypatch,
) -> None:
    async with fake_confluence_server() as confluence:
        confluence.add_space("ENG")
        confluence.add_page("ENG", "Failover", "<h2>Promote</h2><p>Promote the replica.</p>")
        monkeypatch.setenv("WIKI_EMAIL", confluence.email)
        monkeypatch.setenv("WIKI_TOKEN", confluence.token)
        source = await models.Source.objects.acreate(
            name="wiki", kind="confluence", collection="wiki", location=confluence.base_url,
            options={"space": "ENG"},
            credentials={"email": "WIKI_EMAIL", "token": "WIKI_TOKEN"},
        )  # fmt: skip

        report = await _synced(source)

    document = await models.Document.objects.aget()
    assert report.added == 1
    assert (document.title, document.url.startswith(confluence.base_url)) == ("Failover", True)


async def test_a_notion_database_syncs_through_its_source(monkeypatch) -> None:
    async with fake_notion_server() as notion:
        database = notion.add_database()
        notion.add_page(
            "Leave", [block("paragraph", "Take leave in the HR tool.")], database=database
        )
        monkeypatch.setenv("NOTION_KEY", notion.token)
        source = await models.Source.objects.acreate(
            name="notes", kind="notion", collection="notes", location=database,
            options={"api_url": notion.api_url, "root_kind": "database"},
            credentials={"token": "NOTION_KEY"},
        )  # fmt: skip

        report = await _synced(source)

    document = await models.Document.objects.aget()
    assert report.added == 1
    assert (document.title, document.url.startswith("https://www.notion.so/Leave-")) == (
        "Leave",
        True,
    )


async def test_a_web_site_s_include_typed_as_one_glob_keeps_to_it(tmp_path: Path) -> None:
    async with fake_website(tmp_path) as site:
        await site.write("docs/index.html", '<a href="guide/a.html">a</a><a href="b.html">b</a>')
        await site.write("docs/guide/a.html", "<h1>Guide</h1><p>Read the guide.</p>")
        await site.write("docs/b.html", "<h1>Blog</h1><p>Other news.</p>")
        source = await models.Source.objects.acreate(
            name="site", kind="website", collection="site", location=f"{site.url}/docs/",
            options={"include": "/docs/guide/*"},
        )  # fmt: skip

        report = await _synced(source)

    assert report.added == 1
    assert await models.Document.objects.values_list("path", flat=True).aget() == "guide/a.html"
