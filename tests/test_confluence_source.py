"""The Confluence reader against a fake Confluence Cloud API on 127.0.0.1: paging, versions,
rate limits, errors and limits."""

import asyncio
from collections.abc import AsyncIterator, Mapping

import pytest

from application import source_ports
from domain import document_formats
from fakes.confluence import FakeConfluence, fake_confluence_server
from fakes.servers import free_port
from kraken_bot.adapters.confluence_source import ConfluenceSource

FAST = source_ports.SyncLimits(requests_per_second=1_000)


@pytest.fixture
async def confluence() -> AsyncIterator[FakeConfluence]:
    async with fake_confluence_server() as fake:
        fake.add_space("ENG")
        for number in range(1, 6):
            fake.add_page("ENG", f"Runbook {number}", f"<p>Step {number}: restart it.</p>")
        yield fake


def _source(
    confluence: FakeConfluence,
    *,
    limits: source_ports.SyncLimits = FAST,
    token: str = "",
    space: str = "ENG",
    base_url: str = "",
) -> ConfluenceSource:
    return ConfluenceSource(
        base_url=base_url or confluence.base_url,
        space=space,
        email=confluence.email,
        token=token or confluence.token,
        limits=limits,
        timeout_s=5,
    )


async def _read(
    source: ConfluenceSource, known: Mapping[str, str] | None = None
) -> list[source_ports.SourceItem]:
    return [item async for item in source.read(known=known or {})]


def _fetched(items: list[source_ports.SourceItem]) -> list[source_ports.FetchedDocument]:
    return [item for item in items if isinstance(item, source_ports.FetchedDocument)]


async def test_a_first_read_gives_every_page_as_html_with_its_title_url_and_version(
    confluence: FakeConfluence,
) -> None:
    items = await _read(_source(confluence))

    first = items[0]
    assert isinstance(first, source_ports.FetchedDocument)
    page_id = next(iter(confluence.pages))
    assert first == source_ports.FetchedDocument(
        path=page_id,
        url=f"{confluence.base_url}/spaces/ENG/pages/{page_id}/Runbook+1",
        version="1",
        content=b"<h1>Runbook 1</h1>\n<p>Step 1: restart it.</p>",
        media_type=source_ports.HTML,
        title="Runbook 1",
    )
    assert [item.title for item in _fetched(items)] == [f"Runbook {n}" for n in range(1, 6)]


async def test_a_code_macro_is_given_as_its_code_without_its_parameters(
    confluence: FakeConfluence,
) -> None:
    """Confluence keeps a code block as a macro: its language is a parameter, not text."""
    page_id = confluence.add_page(
        "ENG",
        "Restarting",
        '<p>Restart the service:</p><ac:structured-macro ac:name="code" ac:schema-version="1">'
        '<ac:parameter ac:name="language">bash</ac:parameter><ac:plain-text-body>'
        "<![CDATA[sudo systemctl restart kraken]]></ac:plain-text-body></ac:structured-macro>",
    )

    [page] = [item for item in _fetched(await _read(_source(confluence))) if item.path == page_id]

    markdown = document_formats.markdown_of(media_type=page.media_type, content=page.content)
    assert "```\nsudo systemctl restart kraken\n```" in markdown
    assert "bash" not in markdown


async def test_the_listing_is_followed_through_its_cursors(confluence: FakeConfluence) -> None:
    items = await _read(_source(confluence))

    assert len(items) == 5
    listings = confluence.listing_requests()
    assert [request.query.get("cursor") for request in listings] == [None, "2", "4"]
    assert all(request.query["body-format"] == "storage" for request in listings)


async def test_a_second_read_fetches_only_the_page_that_changed(
    confluence: FakeConfluence,
) -> None:
    first = await _read(_source(confluence))
    known = {item.path: item.version for item in _fetched(first)}
    changed = list(confluence.pages)[2]
    confluence.edit_page(changed, "<p>Step 3: rotate the key first.</p>")

    second = await _read(_source(confluence), known)

    [fetched] = _fetched(second)
    assert (fetched.path, fetched.version) == (changed, "2")
    assert b"rotate the key first" in fetched.content
    unchanged = [item.path for item in second if isinstance(item, source_ports.UnchangedDocument)]
    assert unchanged == [path for path in confluence.pages if path != changed]


async def test_a_rate_limited_request_is_made_again_after_retry_after(
    confluence: FakeConfluence,
) -> None:
    confluence.rate_limit(retry_after_s=0, times=2, where="cursor=2")

    items = await _read(_source(confluence))

    assert len(_fetched(items)) == 5
    assert len(confluence.listing_requests()) == 5


async def test_a_rate_limit_that_lasts_past_the_retries_makes_the_space_unavailable(
    confluence: FakeConfluence,
) -> None:
    confluence.rate_limit(retry_after_s=0, times=4)

    with pytest.raises(source_ports.SourceUnavailable, match="kept answering HTTP 429"):
        await _read(_source(confluence))
    assert len(confluence.requests) == 4


async def test_a_rate_limit_of_more_than_a_minute_is_not_waited_for(
    confluence: FakeConfluence,
) -> None:
    confluence.rate_limit(retry_after_s=3_600)

    with pytest.raises(source_ports.SourceUnavailable, match="asked to wait 3600 s"):
        await _read(_source(confluence))
    assert len(confluence.requests) == 1


async def test_a_listing_page_that_keeps_failing_makes_the_space_unavailable(
    confluence: FakeConfluence,
) -> None:
    confluence.fail(500, times=4, where="cursor=2")

    with pytest.raises(source_ports.SourceUnavailable, match="answered HTTP 500 for the pages"):
        await _read(_source(confluence))


async def test_a_listing_page_that_fails_once_is_asked_again(confluence: FakeConfluence) -> None:
    confluence.fail(502, where="cursor=2")

    items = await _read(_source(confluence))

    assert len(_fetched(items)) == 5


async def test_refused_credentials_make_the_space_unavailable(confluence: FakeConfluence) -> None:
    with pytest.raises(
        source_ports.SourceUnavailable, match=r"Confluence refused the credentials \(HTTP 401\)"
    ):
        await _read(_source(confluence, token="wrong"))


async def test_an_unknown_space_key_makes_the_source_unavailable(
    confluence: FakeConfluence,
) -> None:
    with pytest.raises(source_ports.SourceUnavailable, match="no space with the key 'OPS'"):
        await _read(_source(confluence, space="OPS"))


async def test_an_unreachable_site_makes_the_source_unavailable(
    confluence: FakeConfluence,
) -> None:
    nowhere = f"http://127.0.0.1:{free_port()}/wiki"

    with pytest.raises(source_ports.SourceUnavailable, match="could not be reached"):
        await _read(_source(confluence, base_url=nowhere))


async def test_more_pages_than_a_sync_may_take_give_nothing(confluence: FakeConfluence) -> None:
    limits = source_ports.SyncLimits(max_documents=3, requests_per_second=1_000)
    given: list[source_ports.SourceItem] = []

    async def read_until_it_fails() -> None:
        async for item in _source(confluence, limits=limits).read(known={}):
            given.append(item)

    with pytest.raises(source_ports.SourceUnavailable, match="more than 3 pages"):
        await read_until_it_fails()
    assert given == []
    assert len(confluence.listing_requests()) == 2


async def test_a_page_larger_than_the_limit_is_skipped_and_the_others_given(
    confluence: FakeConfluence,
) -> None:
    large = confluence.add_page("ENG", "Everything", "<p>" + "word " * 200 + "</p>")
    limits = source_ports.SyncLimits(max_document_bytes=500, requests_per_second=1_000)

    items = await _read(_source(confluence, limits=limits))

    skipped = [item for item in items if isinstance(item, source_ports.SkippedDocument)]
    assert [item.path for item in skipped] == [large]
    assert "over the limit of 500" in skipped[0].reason
    assert len(_fetched(items)) == 5


async def test_requests_are_spaced_to_the_pace_of_the_limits(confluence: FakeConfluence) -> None:
    limits = source_ports.SyncLimits(requests_per_second=20)
    loop = asyncio.get_running_loop()
    started = loop.time()

    await _read(_source(confluence, limits=limits))

    assert len(confluence.requests) == 4
    assert loop.time() - started >= 3 / 20
