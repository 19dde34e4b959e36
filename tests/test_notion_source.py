"""The Notion reader against a fake Notion API on 127.0.0.1: a database's rows and a tree of
pages, Markdown from blocks, versions, rate limits, errors and limits."""

import logging
from collections.abc import AsyncIterator, Mapping

import pytest

from application import source_ports
from fakes.notion import FakeNotion, block, fake_notion_server, text
from kraken_bot.adapters.notion_source import NotionSource

FAST = source_ports.SyncLimits(requests_per_second=1_000)


@pytest.fixture
async def notion() -> AsyncIterator[FakeNotion]:
    async with fake_notion_server() as fake:
        yield fake


@pytest.fixture
def database(notion: FakeNotion) -> str:
    """A database of five runbooks, two blocks each."""
    database_id = notion.add_database()
    for number in range(1, 6):
        notion.add_page(
            f"Runbook {number}",
            [block("heading_2", "Steps"), block("paragraph", f"Restart service {number}.")],
            database=database_id,
        )
    return database_id


def _source(
    notion: FakeNotion,
    root_id: str,
    *,
    root_kind: str = "database",
    limits: source_ports.SyncLimits = FAST,
    token: str = "",
) -> NotionSource:
    return NotionSource(
        api_url=notion.api_url,
        root_id=root_id,
        root_kind=root_kind,
        token=token or notion.token,
        limits=limits,
        timeout_s=5,
    )


async def _read(
    source: NotionSource, known: Mapping[str, str] | None = None
) -> list[source_ports.SourceItem]:
    return [item async for item in source.read(known=known or {})]


def _fetched(items: list[source_ports.SourceItem]) -> list[source_ports.FetchedDocument]:
    return [item for item in items if isinstance(item, source_ports.FetchedDocument)]


def _markdown(items: list[source_ports.SourceItem], title: str) -> str:
    return next(item for item in _fetched(items) if item.title == title).content.decode()


async def test_a_first_read_gives_every_row_as_markdown_with_its_title_url_and_version(
    notion: FakeNotion, database: str
) -> None:
    items = await _read(_source(notion, database))

    first_id = notion.databases[database][0]
    page = notion.pages[first_id]
    heading_id = notion.blocks[first_id][0]["id"].replace("-", "")
    assert items[0] == source_ports.FetchedDocument(
        path=first_id,
        url=page["url"],
        version=page["last_edited_time"],
        content=f"# Runbook 1\n\n## Steps {{#{heading_id}}}\n\nRestart service 1.\n".encode(),
        media_type=source_ports.MARKDOWN,
        title="Runbook 1",
    )
    assert [item.title for item in _fetched(items)] == [f"Runbook {n}" for n in range(1, 6)]


async def test_the_rows_and_the_blocks_are_read_through_their_cursors(
    notion: FakeNotion, database: str
) -> None:
    notion.add_page(
        "Long",
        [block("paragraph", f"Line {n}.") for n in range(1, 6)],
        database=database,
    )

    items = await _read(_source(notion, database))

    assert len(_fetched(items)) == 6
    queries = [request for request in notion.requests if request.path.endswith("/query")]
    assert len(queries) == 3
    long_id = notion.databases[database][-1]
    assert notion.block_reads(long_id) == 3
    assert "Line 1.\n\nLine 2.\n\nLine 3.\n\nLine 4.\n\nLine 5.\n" in _markdown(items, "Long")


async def test_a_second_read_reads_the_blocks_of_the_changed_row_alone(
    notion: FakeNotion, database: str
) -> None:
    first = await _read(_source(notion, database))
    known = {item.path: item.version for item in _fetched(first)}
    changed = notion.databases[database][1]
    notion.edit_page(changed, [block("paragraph", "Drain the queue first.")])
    notion.requests.clear()

    second = await _read(_source(notion, database), known)

    [fetched] = _fetched(second)
    assert fetched.path == changed
    assert fetched.version == notion.pages[changed]["last_edited_time"] != known[changed]
    assert fetched.content == b"# Runbook 2\n\nDrain the queue first.\n"
    unchanged = [item.path for item in second if isinstance(item, source_ports.UnchangedDocument)]
    assert unchanged == [path for path in notion.databases[database] if path != changed]
    assert [request.path for request in notion.requests if "/blocks/" in request.path] == [
        f"/v1/blocks/{changed}/children"
    ]


async def test_blocks_become_markdown(notion: FakeNotion) -> None:
    database = notion.add_database()
    deploying, before = block("heading_1", "Deploying"), block("heading_3", "Before")
    notion.add_page(
        "Deploys",
        [
            deploying,
            before,
            block("paragraph", "Read the ", text("guide", href="https://docs.example.com"), "."),
            block("bulleted_list_item", "Tag the release"),
            block("bulleted_list_item", "Announce it"),
            block("numbered_list_item", "Build"),
            block("numbered_list_item", "Ship"),
            block("to_do", "Tests pass", checked=True),
            block("to_do", "Notes written", checked=False),
            block("code", "make deploy ENV=prod", language="shell"),
            block("quote", "Never on a Friday."),
            block("callout", "Page the on-call if it fails.", icon={"emoji": "🚨"}),
            block("divider"),
            block("paragraph", "# of hosts: 4"),
            block("toggle", "Rolling back", children=[block("paragraph", "Run make rollback.")]),
            block(
                "column_list",
                children=[
                    block("column", children=[block("paragraph", "Left")]),
                    block("column", children=[block("paragraph", "Right")]),
                ],
            ),
        ],
        database=database,
    )

    items = await _read(_source(notion, database))

    assert _markdown(items, "Deploys") == (
        "# Deploys\n\n"
        f"# Deploying {{#{deploying['id'].replace('-', '')}}}\n\n"
        f"### Before {{#{before['id'].replace('-', '')}}}\n\n"
        "Read the [guide](https://docs.example.com).\n\n"
        "- Tag the release\n"
        "- Announce it\n\n"
        "1. Build\n"
        "2. Ship\n\n"
        "- [x] Tests pass\n"
        "- [ ] Notes written\n\n"
        "```shell\nmake deploy ENV=prod\n```\n\n"
        "> Never on a Friday.\n\n"
        "> Page the on-call if it fails.\n\n"
        "---\n\n"
        "\\# of hosts: 4\n\n"
        "Rolling back\n\n"
        "Run make rollback.\n\n"
        "Left\n\n"
        "Right\n"
    )


async def test_nested_blocks_are_read_and_indented_under_their_item(notion: FakeNotion) -> None:
    database = notion.add_database()
    notion.add_page(
        "Nested",
        [
            block(
                "bulleted_list_item",
                "Databases",
                children=[
                    block("bulleted_list_item", "PostgreSQL", children=[block("paragraph", "15+")]),
                    block("code", "psql -c 'select 1'", language="plain text"),
                ],
            ),
            block("quote", "Said once", children=[block("paragraph", "and again")]),
        ],
        database=database,
    )

    items = await _read(_source(notion, database))

    assert _markdown(items, "Nested") == (
        "# Nested\n\n"
        "- Databases\n"
        "  - PostgreSQL\n"
        "    15+\n"
        "\n"
        "  ```\n"
        "  psql -c 'select 1'\n"
        "  ```\n\n"
        "> Said once\n"
        ">\n"
        "> and again\n"
    )


async def test_an_unknown_block_type_is_left_out_with_one_warning(
    notion: FakeNotion, caplog: pytest.LogCaptureFixture
) -> None:
    database = notion.add_database()
    for title in ("Diagram", "Another diagram"):
        notion.add_page(
            title,
            [block("paragraph", "Before."), block("mermaid_chart", "graph TD"), block("divider")],
            database=database,
        )

    with caplog.at_level(logging.WARNING, logger="kraken_bot.adapters.notion_source"):
        items = await _read(_source(notion, database))

    assert _markdown(items, "Diagram") == "# Diagram\n\nBefore.\n\n---\n"
    assert len(_fetched(items)) == 2
    warnings = [record for record in caplog.records if "mermaid_chart" in record.getMessage()]
    assert len(warnings) == 1


async def test_a_page_gives_itself_and_the_pages_under_it_each_once(notion: FakeNotion) -> None:
    toggle = block("toggle", "More", children=[block("paragraph", "Old pages:")])
    root = notion.add_page("Handbook", [block("paragraph", "Start here."), toggle])
    # A page inside a toggle is found as well as one among the page's own blocks.
    notion.add_page("Archive", [], parent_page=toggle["id"])
    guides = notion.add_page("Guides", [block("paragraph", "All guides.")], parent_page=root)
    notion.add_page("Onboarding", [block("paragraph", "Day one.")], parent_page=guides)

    items = await _read(_source(notion, root, root_kind="page"))

    assert [item.title for item in _fetched(items)] == [
        "Handbook",
        "Archive",
        "Guides",
        "Onboarding",
    ]
    assert _markdown(items, "Handbook") == (
        "# Handbook\n\nStart here.\n\nMore\n\nOld pages:\n\nArchive\n\nGuides\n"
    )
    page_reads = [request.path for request in notion.requests if "/pages/" in request.path]
    assert sorted(page_reads) == sorted(f"/v1/pages/{page_id}" for page_id in notion.pages)


async def test_a_second_read_of_a_page_tree_gives_the_changed_page_alone(
    notion: FakeNotion,
) -> None:
    root = notion.add_page("Handbook", [block("paragraph", "Start here.")])
    child = notion.add_page("Guides", [block("paragraph", "All guides.")], parent_page=root)
    first = await _read(_source(notion, root, root_kind="page"))
    known = {item.path: item.version for item in _fetched(first)}
    notion.edit_page(child, [block("paragraph", "Fewer guides.")])

    second = await _read(_source(notion, root, root_kind="page"), known)

    assert second == [
        source_ports.UnchangedDocument(path=root),
        source_ports.FetchedDocument(
            path=child,
            url=notion.pages[child]["url"],
            version=notion.pages[child]["last_edited_time"],
            content=b"# Guides\n\nFewer guides.\n",
            media_type=source_ports.MARKDOWN,
            title="Guides",
        ),
    ]


async def test_a_rate_limited_request_is_made_again_after_retry_after(
    notion: FakeNotion, database: str
) -> None:
    notion.rate_limit(retry_after_s=0, times=3, where="/query")

    items = await _read(_source(notion, database))

    assert len(_fetched(items)) == 5
    assert sum(request.path.endswith("/query") for request in notion.requests) == 6


async def test_a_listing_that_keeps_failing_makes_the_source_unavailable(
    notion: FakeNotion, database: str
) -> None:
    notion.fail(500, times=4, where="/query")

    with pytest.raises(source_ports.SourceUnavailable, match="HTTP 500"):
        await _read(_source(notion, database))


async def test_a_row_whose_blocks_keep_failing_is_skipped_and_the_others_given(
    notion: FakeNotion, database: str
) -> None:
    broken = notion.databases[database][2]
    notion.fail(500, times=4, where=f"/blocks/{broken}/")

    items = await _read(_source(notion, database))

    assert source_ports.SkippedDocument(path=broken, reason="HTTP 500") in items
    assert len(_fetched(items)) == 4


async def test_a_page_whose_blocks_keep_failing_cuts_the_tree_short(notion: FakeNotion) -> None:
    root = notion.add_page("Handbook", [block("paragraph", "Start here.")])
    child = notion.add_page("Guides", [], parent_page=root)
    notion.fail(500, times=4, where=f"/blocks/{child}/")

    with pytest.raises(source_ports.SourceUnavailable, match="could not be listed"):
        await _read(_source(notion, root, root_kind="page"))


async def test_a_refused_token_makes_the_source_unavailable(
    notion: FakeNotion, database: str
) -> None:
    with pytest.raises(
        source_ports.SourceUnavailable, match=r"Notion refused the token \(HTTP 401\)"
    ):
        await _read(_source(notion, database, token="secret_wrong"))


@pytest.mark.parametrize("root_kind", ["database", "page"])
async def test_a_root_not_shared_with_the_integration_makes_the_source_unavailable(
    notion: FakeNotion, root_kind: str
) -> None:
    with pytest.raises(source_ports.SourceUnavailable, match="not shared with the integration"):
        await _read(_source(notion, "0c6bd4a2-4f3e-4c1b-9d57-6bd4f1c0a3e1", root_kind=root_kind))


async def test_more_rows_than_a_sync_may_take_give_nothing(
    notion: FakeNotion, database: str
) -> None:
    limits = source_ports.SyncLimits(max_documents=3, requests_per_second=1_000)
    given: list[source_ports.SourceItem] = []

    async def read_until_it_fails() -> None:
        async for item in _source(notion, database, limits=limits).read(known={}):
            given.append(item)

    with pytest.raises(source_ports.SourceUnavailable, match="more than 3 pages"):
        await read_until_it_fails()
    assert given == []
    assert not any("/blocks/" in request.path for request in notion.requests)


async def test_pages_deeper_than_the_limit_are_not_followed(notion: FakeNotion) -> None:
    chain = [notion.add_page("Level 0", [])]
    for level in range(1, 13):
        chain.append(notion.add_page(f"Level {level}", [], parent_page=chain[-1]))

    items = await _read(_source(notion, chain[0], root_kind="page"))

    assert [item.path for item in items] == chain[:11]
