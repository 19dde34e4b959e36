import asyncio
from pathlib import Path

from django.utils import timezone

from application import index_documents
from tests.admin_support import alogged_in

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


async def test_the_list_says_how_many_passages_the_embedding_model_has_embedded(
    tmp_path: Path,
) -> None:
    await _indexed(tmp_path, {"runbook.md": "# Runbook\n\nRotate.", "vpn.md": "# VPN\n\nAsk."})
    client = await alogged_in()

    listing = await client.get(DOCUMENTS)

    assert (
        "Passages embedded with offline:all-MiniLM-L6-v2-int8: 0 of 2." in listing.content.decode()
    )


async def test_without_an_embedding_model_the_list_says_search_is_by_words(settings) -> None:
    settings.EMBEDDING_MODEL = "none"
    client = await alogged_in()

    listing = await client.get(DOCUMENTS)

    assert "Search by words alone" in listing.content.decode()
