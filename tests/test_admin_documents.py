import asyncio
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from application import index_documents
from data import models
from kraken_bot import tasks
from tests.admin_support import alogged_in
from tests.factories import DocumentFactory, IndexingRunFactory
from tests.job_fixtures import all_jobs_done

DOCUMENTS = "/admin/data/document/"
RUNS = "/admin/data/indexingrun/"


async def _indexed(folder: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        await asyncio.to_thread((folder / name).write_text, text)
    await index_documents.index_documents(
        root=folder, collection="handbook", base_url="https://docs.example.com", now=timezone.now()
    )


async def test_documents_are_listed_with_their_collection_passages_and_indexed_time(
    tmp_path: Path,
) -> None:
    await _indexed(
        tmp_path, {"runbook.md": "# Runbook\n\n## Passwords\n\nRotate.\n\n## VPN\n\nAsk."}
    )
    client = await alogged_in()

    listing = await client.get(DOCUMENTS)
    passages = await client.get("/admin/data/passage/", {"document__collection": "handbook"})

    assert "runbook.md" in listing.content.decode()
    assert "handbook" in listing.content.decode()
    assert '<td class="field-passage_count">2</td>' in listing.content.decode()
    assert "Passwords" in passages.content.decode()
    assert "VPN" in passages.content.decode()
    assert '<td class="field-collection">handbook</td>' in passages.content.decode()


async def test_re_indexing_a_collection_asks_for_its_folder_then_brings_it_up_to_date_as_a_job(
    tmp_path: Path, jobs_run: None
) -> None:
    await _indexed(tmp_path, {"runbook.md": "# Runbook\n\nRotate.", "old.md": "# Old\n\nGone."})
    await asyncio.to_thread((tmp_path / "old.md").unlink)
    await asyncio.to_thread((tmp_path / "vpn.md").write_text, "# VPN\n\nAsk IT.")
    selected = [str(pk) async for pk in models.Document.objects.values_list("pk", flat=True)]
    client = await alogged_in()
    action = {"action": "reindex_collection", "_selected_action": selected}

    form = await client.post(DOCUMENTS, action)
    requested = await client.post(
        DOCUMENTS,
        {**action, "apply": "yes", "folder": str(tmp_path), "base_url": "https://docs.example.com"},
        follow=True,
    )
    await all_jobs_done()
    run = await models.IndexingRun.objects.aget()
    shown = await client.get(f"{RUNS}{run.pk}/change/")

    assert 'value="https://docs.example.com"' in form.content.decode()  # the base URL, guessed
    assert "Re-index the collection handbook" in form.content.decode()
    assert f"Re-indexing handbook from {tmp_path}" in requested.content.decode()
    assert f'href="{RUNS}{run.pk}/change/"' in requested.content.decode()
    assert (run.outcome, run.requested_by, run.finished_at is not None) == ("done", "owner", True)
    assert run.summary.startswith("1 added, 0 updated, 1 removed, 1 unchanged, 0 skipped")
    assert "1 added, 0 updated, 1 removed" in shown.content.decode()
    paths = [path async for path in models.Document.objects.values_list("path", flat=True)]
    assert sorted(paths) == ["runbook.md", "vpn.md"]


async def test_the_list_says_how_many_passages_the_embedding_model_has_embedded(
    tmp_path: Path,
) -> None:
    await _indexed(tmp_path, {"runbook.md": "# Runbook\n\nRotate.", "vpn.md": "# VPN\n\nAsk."})
    client = await alogged_in()

    listing = await client.get(DOCUMENTS)

    assert (
        "Passages embedded with offline:all-MiniLM-L6-v2-int8: 0 of 2." in listing.content.decode()
    )


async def test_re_indexing_embeds_the_new_passages_in_a_job(tmp_path: Path, jobs_run: None) -> None:
    await _indexed(tmp_path, {"runbook.md": "# Runbook\n\nRotate."})
    await asyncio.to_thread((tmp_path / "vpn.md").write_text, "# VPN\n\nAsk IT.")
    selected = [str(pk) async for pk in models.Document.objects.values_list("pk", flat=True)]
    client = await alogged_in()

    await client.post(
        DOCUMENTS,
        {
            "action": "reindex_collection",
            "_selected_action": selected,
            "apply": "yes",
            "folder": str(tmp_path),
        },
    )
    await all_jobs_done()
    listing = await client.get(DOCUMENTS)

    assert (
        "Passages embedded with offline:all-MiniLM-L6-v2-int8: 2 of 2." in listing.content.decode()
    )


async def test_without_an_embedding_model_the_list_says_search_is_by_words(settings) -> None:
    settings.EMBEDDING_MODEL = "none"
    client = await alogged_in()

    listing = await client.get(DOCUMENTS)

    assert "Search by words alone" in listing.content.decode()


async def test_re_indexing_a_missing_folder_or_a_base_url_not_http_is_refused_on_the_form(
    tmp_path: Path,
) -> None:
    document = await DocumentFactory.acreate()
    client = await alogged_in()
    action = {"action": "reindex_collection", "_selected_action": [str(document.pk)], "apply": "y"}

    missing = await client.post(DOCUMENTS, {**action, "folder": str(tmp_path / "nowhere")})
    not_http = await client.post(
        DOCUMENTS, {**action, "folder": str(tmp_path), "base_url": "docs.example.com"}
    )

    assert f"No folder to index at {tmp_path / 'nowhere'}" in missing.content.decode()
    assert "The base URL must start with http:// or https://" in not_http.content.decode()
    assert not await models.IndexingRun.objects.aexists()
    assert await models.Document.objects.filter(pk=document.pk).aexists()


async def test_re_indexing_from_an_empty_folder_is_refused_unless_removing_is_ticked(
    tmp_path: Path, jobs_run: None
) -> None:
    await asyncio.to_thread((tmp_path / "handbook").mkdir)
    await _indexed(tmp_path / "handbook", {"runbook.md": "# Runbook\n\nRotate."})
    await asyncio.to_thread((tmp_path / "empty").mkdir)
    document = await models.Document.objects.aget(path="runbook.md")
    client = await alogged_in()
    action = {
        "action": "reindex_collection",
        "_selected_action": [str(document.pk)],
        "apply": "yes",
        "folder": str(tmp_path / "empty"),
    }

    await client.post(DOCUMENTS, action, follow=True)
    await all_jobs_done()
    kept = await models.Document.objects.filter(pk=document.pk).aexists()
    await client.post(DOCUMENTS, {**action, "prune": "on"}, follow=True)
    await all_jobs_done()
    refused, pruned = [run async for run in models.IndexingRun.objects.order_by("pk")]

    assert refused.outcome == "refused"
    assert refused.summary.startswith("Refused to remove 1 of the 1 documents")
    assert kept
    assert pruned.outcome == "done"
    assert pruned.summary.startswith("0 added, 0 updated, 1 removed")
    assert not await models.Document.objects.filter(pk=document.pk).aexists()


async def test_documents_of_two_collections_are_not_re_indexed_together() -> None:
    first = await DocumentFactory.acreate(collection="handbook")
    second = await DocumentFactory.acreate(collection="runbooks")
    client = await alogged_in()

    done = await client.post(
        DOCUMENTS,
        {"action": "reindex_collection", "_selected_action": [str(first.pk), str(second.pk)]},
        follow=True,
    )

    assert "Select documents of one collection to re-index it." in done.content.decode()


async def test_a_folder_gone_before_its_re_indexing_runs_is_said_on_the_run(tmp_path: Path) -> None:
    run = await IndexingRunFactory.acreate(folder=str(tmp_path / "gone"))

    await tasks.reindex_collection(run_id=run.pk)

    await run.arefresh_from_db()
    assert run.outcome == "refused"
    assert run.summary == f"No folder to index at {tmp_path / 'gone'}"


async def test_a_re_indexing_that_fails_unexpectedly_says_so_on_its_run_and_fails_its_job(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(**arguments: Any) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(index_documents, "index_documents", broken)
    run = await IndexingRunFactory.acreate(folder=str(tmp_path))

    with pytest.raises(RuntimeError):
        await tasks.reindex_collection(run_id=run.pk)

    await run.arefresh_from_db()
    assert (run.outcome, run.summary) == ("failed", "Unexpected error: RuntimeError")
    assert run.finished_at is not None


async def test_a_re_indexing_whose_run_is_gone_does_nothing_and_says_so(
    caplog: pytest.LogCaptureFixture,
) -> None:
    await tasks.reindex_collection(run_id=404)

    assert "Re-indexing 404 is gone: not run" in caplog.text
