import asyncio
from pathlib import Path

from django.utils import timezone

from application import index_documents
from data import models
from tests.admin_support import alogged_in
from tests.factories import DocumentFactory

DOCUMENTS = "/admin/data/document/"


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


async def test_re_indexing_a_collection_asks_for_its_folder_then_brings_it_up_to_date(
    tmp_path: Path,
) -> None:
    await _indexed(tmp_path, {"runbook.md": "# Runbook\n\nRotate.", "old.md": "# Old\n\nGone."})
    await asyncio.to_thread((tmp_path / "old.md").unlink)
    await asyncio.to_thread((tmp_path / "vpn.md").write_text, "# VPN\n\nAsk IT.")
    selected = [str(pk) async for pk in models.Document.objects.values_list("pk", flat=True)]
    client = await alogged_in()
    action = {"action": "reindex_collection", "_selected_action": selected}

    form = await client.post(DOCUMENTS, action)
    done = await client.post(
        DOCUMENTS,
        {**action, "apply": "yes", "folder": str(tmp_path), "base_url": "https://docs.example.com"},
        follow=True,
    )

    assert 'value="https://docs.example.com"' in form.content.decode()  # the base URL, guessed
    assert "Re-index the collection handbook" in form.content.decode()
    assert (
        "Re-indexed handbook: 1 added, 0 updated, 1 removed, 1 unchanged" in done.content.decode()
    )
    paths = [path async for path in models.Document.objects.values_list("path", flat=True)]
    assert sorted(paths) == ["runbook.md", "vpn.md"]


async def test_re_indexing_a_missing_folder_says_so_and_changes_nothing(tmp_path: Path) -> None:
    document = await DocumentFactory.acreate()
    client = await alogged_in()

    done = await client.post(
        DOCUMENTS,
        {
            "action": "reindex_collection",
            "_selected_action": [str(document.pk)],
            "apply": "yes",
            "folder": str(tmp_path / "nowhere"),
        },
        follow=True,
    )

    assert "No folder to index at" in done.content.decode()
    assert await models.Document.objects.filter(pk=document.pk).aexists()


async def test_re_indexing_from_an_empty_folder_is_refused_unless_removing_is_ticked(
    tmp_path: Path,
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

    refused = await client.post(DOCUMENTS, action, follow=True)
    kept = await models.Document.objects.filter(pk=document.pk).aexists()
    pruned = await client.post(DOCUMENTS, {**action, "prune": "on"}, follow=True)

    assert "Refused to remove 1 of the 1 documents" in refused.content.decode()
    assert kept
    assert "Re-indexed handbook: 0 added, 0 updated, 1 removed" in pruned.content.decode()
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
