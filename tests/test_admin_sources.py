"""Documentation sources in the admin: added with a form that refuses what could not sync, listed
with how their last sync went, synced now as a job."""

import asyncio
from pathlib import Path

import pytest

from data import models
from kraken_bot import tasks
from tests.admin_support import alogged_in
from tests.job_fixtures import all_jobs_done

SOURCES = "/admin/data/source/"


def _form(**changes: object) -> dict[str, object]:
    return {
        "name": "handbook",
        "kind": "folder",
        "collection": "handbook",
        "location": "/srv/handbook",
        "options": "{}",
        "credentials": "{}",
        "every_minutes": "",
        **changes,
    }


async def test_a_source_is_added_with_its_options_and_schedule() -> None:
    client = await alogged_in()

    response = await client.post(
        f"{SOURCES}add/",
        _form(kind="git", location="https://git.example.com/docs.git", options='{"branch": "main"}',
              every_minutes="60"),
    )  # fmt: skip

    assert response.status_code == 302
    source = await models.Source.objects.aget()
    assert (source.kind, source.options, source.every_minutes) == ("git", {"branch": "main"}, 60)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"kind": "confluence", "options": "{}",
          "credentials": '{"email": "WIKI_EMAIL", "token": "WIKI_TOKEN"}'},
         "A confluence source needs &quot;space&quot; in its options."),
        ({"kind": "notion", "credentials": '{"token": "secret_abc-123!"}'},
         "A notion source needs the name of the variable holding its token"),
        ({"options": "[]"}, "Give the options as a JSON object, {} for none."),
        ({"every_minutes": "0"}, "Ensure this value is greater than or equal to 1."),
    ],
)  # fmt: skip
async def test_a_source_that_could_not_sync_is_refused(
    changes: dict[str, str], message: str
) -> None:
    client = await alogged_in()

    response = await client.post(f"{SOURCES}add/", _form(**changes))

    assert response.status_code == 200
    assert message in response.content.decode()
    assert await models.Source.objects.acount() == 0


async def test_the_list_shows_how_each_source_s_last_sync_went() -> None:
    await models.Source.objects.acreate(
        name="wiki", kind="confluence", collection="wiki", location="https://x.example.com/wiki",
        outcome=models.SyncOutcome.FAILED, added=12, unchanged=3,
        last_error="Confluence refused the credentials (HTTP 401)",
    )  # fmt: skip
    client = await alogged_in()

    page = (await client.get(SOURCES)).content.decode()

    assert "Confluence refused the credentials (HTTP 401)" in page
    assert "12, 0, 0, 3, 0" in page


async def test_sync_now_queues_a_job_whose_outcome_the_source_shows(
    jobs_run: None, tmp_path: Path
) -> None:
    await asyncio.to_thread((tmp_path / "vpn.md").write_text, "# VPN\n\nConnect.\n")
    source = await models.Source.objects.acreate(
        name="handbook", kind="folder", collection="handbook", location=str(tmp_path)
    )
    client = await alogged_in()

    response = await client.post(
        SOURCES, {"action": "sync_now", "_selected_action": [str(source.pk)]}, follow=True
    )
    await all_jobs_done()

    assert "Queued a sync of 1 source" in response.content.decode()
    synced = await models.Source.objects.aget()
    assert (synced.outcome, synced.added) == (models.SyncOutcome.DONE, 1)
    page = (await client.get(f"{SOURCES}{source.pk}/change/")).content.decode()
    assert "Done" in page


async def test_a_sync_embeds_the_new_passages_in_a_job(jobs_run: None, tmp_path: Path) -> None:
    await asyncio.to_thread((tmp_path / "vpn.md").write_text, "# VPN\n\nAsk IT.\n")
    await asyncio.to_thread((tmp_path / "runbook.md").write_text, "# Runbook\n\nRotate.\n")
    source = await models.Source.objects.acreate(
        name="handbook", kind="folder", collection="handbook", location=str(tmp_path)
    )
    client = await alogged_in()

    await client.post(SOURCES, {"action": "sync_now", "_selected_action": [str(source.pk)]})
    await all_jobs_done()
    listing = await client.get("/admin/data/document/")

    assert (
        "Passages embedded with offline:all-MiniLM-L6-v2-int8: 2 of 2." in listing.content.decode()
    )


def test_new_passages_are_embedded_by_one_job_at_a_time() -> None:
    """Each job waits for the one running (its lock), and only one waits (its queueing lock)."""
    job = tasks.embed_new_passages.configure().job

    assert (job.lock, job.queueing_lock) == ("embed_new_passages", "embed_new_passages")
