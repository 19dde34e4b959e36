"""The Notion reader: the rows of a database, or a page and the pages under it, as Markdown.

A database's rows are listed with paging, and only a row edited since the last sync (its
`last_edited_time`) has its blocks read. Under a page, child pages are found among its blocks
(`child_page`, at any depth of nesting), so every page of the tree has its blocks read, but only
a changed one is rendered. Either listing is read whole before the first page is given: more
pages than the sync may take, or a listing that an error cut short, stops the sync before it can
remove anything. Once listed, a database row whose blocks cannot be read is skipped with its
HTTP status, and what was stored for it stays searchable.

Blocks become Markdown: headings (with their block ids, so that a citation opens the page at
its heading), paragraphs, lists and to-dos, fenced code, quotes and callouts, toggles, dividers
and links; columns and synced blocks give what they hold. A block type this reader does not know
is left out, with one warning a type per read, and the page is indexed without it.
"""

import logging
import re
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from application import source_ports
from application.source_ports import SourceUnavailable
from domain import document_formats
from kraken_bot.adapters.http_retries import PacedClient, json_object

logger = logging.getLogger(__name__)

NOTION_VERSION = "2022-06-28"
PAGE_SIZE = 100
# How deep child pages, and blocks within blocks, are followed.
MAX_DEPTH = 10
ROOT_KINDS = ("database", "page")

_REFUSED = {httpx.codes.UNAUTHORIZED, httpx.codes.FORBIDDEN}
# Blocks whose children are other pages' content, not their own.
_OTHER_PAGES = {"child_page", "child_database"}
_LIST_ITEMS = {"bulleted_list_item", "numbered_list_item", "to_do"}


@dataclass(frozen=True)
class _Block:
    data: dict[str, Any]
    children: list["_Block"]

    @property
    def kind(self) -> str:
        return str(self.data.get("type", ""))

    @property
    def value(self) -> dict[str, Any]:
        value = self.data.get(self.kind)
        return value if isinstance(value, dict) else {}


# A listed page, and its blocks when the listing had to read them anyway and the page changed.
_Listed = tuple[dict[str, Any], list[_Block] | None]


class _Unreadable(Exception):
    """A page's blocks could not be read: the HTTP status, as the skipped document says it."""


class NotionSource:
    """The pages under `root_id`, a database (`root_kind="database"`) or a page (`"page"`),
    read with an integration's token; the root must be shared with the integration."""

    def __init__(
        self,
        *,
        api_url: str = "https://api.notion.com",
        root_id: str,
        root_kind: str,
        token: str,
        limits: source_ports.SyncLimits,
        timeout_s: float = 20.0,
    ) -> None:
        if root_kind not in ROOT_KINDS:
            raise ValueError(f"root_kind must be one of {ROOT_KINDS}, not {root_kind!r}")
        self._api_url = f"{api_url.rstrip('/')}/v1"
        self._root_id = root_id
        self._root_kind = root_kind
        self._token = token
        self._limits = limits
        self._timeout_s = timeout_s

    async def read(self, *, known: Mapping[str, str]) -> AsyncIterator[source_ports.SourceItem]:
        warned: set[str] = set()
        async with self._client() as api:
            if self._root_kind == "database":
                listed = await self._database_rows(api)
            else:
                listed = await self._page_tree(api, known)
            for page, blocks in listed:
                yield await self._item(api, page, blocks, known=known, warned=warned)

    def _client(self) -> PacedClient:
        return PacedClient(
            service="Notion",
            requests_per_second=self._limits.requests_per_second,
            timeout_s=self._timeout_s,
            headers={"Authorization": f"Bearer {self._token}", "Notion-Version": NOTION_VERSION},
        )

    async def _database_rows(self, api: PacedClient) -> list[_Listed]:
        rows: list[dict[str, Any]] = []
        query: dict[str, Any] = {"page_size": PAGE_SIZE}
        while True:
            response = await api.request(
                "POST", f"{self._api_url}/databases/{self._root_id}/query", json=query
            )
            answer = self._root_json(response, what="database")
            rows += answer.get("results") or []
            self._check_count(len(rows))
            if not answer.get("has_more"):
                return [(row, None) for row in rows]
            query = {"page_size": PAGE_SIZE, "start_cursor": answer["next_cursor"]}

    async def _page_tree(self, api: PacedClient, known: Mapping[str, str]) -> list[_Listed]:
        """The root page and those under it, depth first, each once."""
        listed: list[_Listed] = []
        pending = [(self._root_id, 0)]
        seen = {self._root_id}
        while pending:
            page_id, depth = pending.pop()
            page = await self._page(api, page_id, is_root=depth == 0)
            if page is None:
                continue
            blocks = await self._listing_blocks(api, page_id)
            changed = known.get(str(page["id"])) != page.get("last_edited_time")
            # An unchanged page will not be rendered: its blocks need not be kept.
            listed.append((page, blocks if changed else None))
            self._check_count(len(listed))
            if depth < MAX_DEPTH:
                children = [child for child in _child_page_ids(blocks) if child not in seen]
                seen.update(children)
                pending += [(child, depth + 1) for child in reversed(children)]
        return listed

    async def _page(
        self, api: PacedClient, page_id: str, *, is_root: bool
    ) -> dict[str, Any] | None:
        """The page, or None for a page under the root that the integration may not read."""
        response = await api.request("GET", f"{self._api_url}/pages/{page_id}")
        if is_root:
            return self._root_json(response, what="page")
        if response.status_code == httpx.codes.NOT_FOUND:
            logger.warning("Notion page %s is not shared with the integration: left out", page_id)
            return None
        return _json(response, what=f"the page {page_id}")

    async def _listing_blocks(self, api: PacedClient, page_id: str) -> list[_Block]:
        """A page's blocks, read to find the pages under it: without them the listing is
        incomplete, so failing to read them stops the sync."""
        try:
            return await self._blocks(api, page_id, depth=0)
        except _Unreadable as error:
            raise SourceUnavailable(
                f"Notion answered {error} for the blocks of the page {page_id}, so the pages "
                "under it could not be listed"
            ) from None

    async def _blocks(self, api: PacedClient, block_id: str, *, depth: int) -> list[_Block]:
        """The block's children, and theirs down to `MAX_DEPTH`.

        Raises: _Unreadable, SourceUnavailable.
        """
        blocks = []
        for data in await self._children(api, block_id):
            nested = (
                data.get("has_children")
                and data.get("type") not in _OTHER_PAGES
                and depth + 1 < MAX_DEPTH
            )
            children = await self._blocks(api, str(data["id"]), depth=depth + 1) if nested else []
            blocks.append(_Block(data, children))
        return blocks

    async def _children(self, api: PacedClient, block_id: str) -> list[dict[str, Any]]:
        children: list[dict[str, Any]] = []
        params: dict[str, str | int] = {"page_size": PAGE_SIZE}
        while True:
            response = await api.request(
                "GET", f"{self._api_url}/blocks/{block_id}/children", params=params
            )
            _check_token(response)
            if response.status_code != httpx.codes.OK:
                raise _Unreadable(f"HTTP {response.status_code}")
            answer = _json(response, what=f"the blocks of {block_id}")
            children += answer.get("results") or []
            if not answer.get("has_more"):
                return children
            params = {"page_size": PAGE_SIZE, "start_cursor": answer["next_cursor"]}

    def _root_json(self, response: httpx.Response, *, what: str) -> dict[str, Any]:
        if response.status_code == httpx.codes.NOT_FOUND:
            raise SourceUnavailable(
                f"The Notion {what} {self._root_id} was not found or is not shared with the "
                "integration (in Notion: ⋯ → Connections)"
            )
        return _json(response, what=f"the {what} {self._root_id}")

    def _check_count(self, count: int) -> None:
        if count > self._limits.max_documents:
            raise SourceUnavailable(
                f"The Notion {self._root_kind} {self._root_id} has more than "
                f"{self._limits.max_documents:,} pages, the most a sync may take"
            )

    async def _item(
        self,
        api: PacedClient,
        page: dict[str, Any],
        blocks: list[_Block] | None,
        *,
        known: Mapping[str, str],
        warned: set[str],
    ) -> source_ports.SourceItem:
        path, version = str(page["id"]), str(page.get("last_edited_time", ""))
        if known.get(path) == version:
            return source_ports.UnchangedDocument(path=path)
        if blocks is None:
            try:
                blocks = await self._blocks(api, path, depth=0)
            except _Unreadable as error:
                return source_ports.SkippedDocument(path=path, reason=str(error))
        title = _title(page)
        markdown, unknown = _markdown(title, blocks)
        _warn_of(unknown - warned, page_id=path)
        warned |= unknown
        content = markdown.encode()
        if len(content) > self._limits.max_document_bytes:
            return source_ports.SkippedDocument(
                path=path,
                reason=f"{len(content):,} bytes as Markdown, over the limit of "
                f"{self._limits.max_document_bytes:,}",
            )
        return source_ports.FetchedDocument(
            path=path,
            url=str(page.get("url") or ""),
            version=version,
            content=content,
            media_type=source_ports.MARKDOWN,
            title=title,
        )


def _check_token(response: httpx.Response) -> None:
    if response.status_code in _REFUSED:
        raise SourceUnavailable(f"Notion refused the token (HTTP {response.status_code})")


def _json(response: httpx.Response, *, what: str) -> dict[str, Any]:
    """The answer's JSON object; any answer but a success means the listing is incomplete."""
    _check_token(response)
    return json_object(response, service="Notion", what=what)


def _child_page_ids(blocks: list[_Block]) -> list[str]:
    found: list[str] = []
    for block in blocks:
        if block.kind == "child_page":
            found.append(str(block.data["id"]))
        found += _child_page_ids(block.children)
    return found


def _warn_of(kinds: set[str], *, page_id: str) -> None:
    for kind in sorted(kinds):
        logger.warning(
            "Notion block type %r is not rendered: left out of page %s (and of any other page "
            "with it in this sync)",
            kind,
            page_id,
        )


def _title(page: dict[str, Any]) -> str:
    for prop in (page.get("properties") or {}).values():
        if isinstance(prop, dict) and prop.get("type") == "title":
            return _plain(prop.get("title") or [])
    return ""


def _markdown(title: str, blocks: list[_Block]) -> tuple[str, set[str]]:
    """The page as Markdown, and the block types it left out."""
    unknown: set[str] = set()
    parts = [f"# {title}" if title else "", _render_all(blocks, unknown)]
    return "\n\n".join(part for part in parts if part) + "\n", unknown


def _render_all(blocks: list[_Block], unknown: set[str]) -> str:
    """Blocks one after another: a blank line between them, but a list's items kept together."""
    rendered = ""
    number = 0
    previous = ""
    for block in blocks:
        number = number + 1 if block.kind == "numbered_list_item" else 0
        text = _render(block, number, unknown)
        if not text:
            continue
        same_list = block.kind in _LIST_ITEMS and block.kind == previous
        rendered += ("\n" if same_list else "\n\n" if rendered else "") + text
        previous = block.kind
    return rendered


def _anchor(block: _Block) -> str:
    """The heading's block id as `{#id}`, for the splitter: Notion opens a page at a block by
    its id without hyphens after a `#`."""
    block_id = str(block.data.get("id") or "").replace("-", "")
    return f" {{#{block_id}}}" if block_id else ""


def _render(block: _Block, number: int, unknown: set[str]) -> str:
    value = block.value
    text = _rich_text(value.get("rich_text") or [])
    children = _render_all(block.children, unknown)
    match block.kind:
        case "paragraph" | "toggle" | "child_page" | "child_database":
            return _then(document_formats.escaped(text or str(value.get("title") or "")), children)
        case "heading_1" | "heading_2" | "heading_3":
            heading = f"{'#' * int(block.kind[-1])} {text}{_anchor(block)}"
            return _then(heading, children)
        case "bulleted_list_item":
            return _list_item("- ", text, children, indent=2)
        case "numbered_list_item":
            return _list_item(f"{number}. ", text, children, indent=len(f"{number}. "))
        case "to_do":
            box = "x" if value.get("checked") else " "
            return _list_item(f"- [{box}] ", text, children, indent=2)
        case "code":
            return _fenced(_plain(value.get("rich_text") or []), str(value.get("language") or ""))
        case "quote" | "callout":
            return _quoted(_then(text, children))
        case "divider":
            return "---"
        case "column_list" | "column" | "synced_block":
            return children
    unknown.add(block.kind)
    return ""


def _then(text: str, children: str) -> str:
    return "\n\n".join(part for part in (text, children) if part)


def _list_item(marker: str, text: str, children: str, *, indent: int) -> str:
    """A list item; its children indented under its text, as Markdown nests them."""
    nested = "\n".join(" " * indent + line if line else "" for line in children.splitlines())
    return f"{marker}{text}" + (f"\n{nested}" if nested else "")


def _fenced(code: str, language: str) -> str:
    """A fence longer than any run of backticks in the code, so none can close it early."""
    longest = max((len(run) for run in re.findall("`+", code)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{'' if language == 'plain text' else language}\n{code}\n{fence}"


def _quoted(text: str) -> str:
    return "\n".join(f"> {line}" if line else ">" for line in text.splitlines())


def _rich_text(items: list[dict[str, Any]]) -> str:
    """Text with its links as Markdown links."""
    return "".join(
        f"[{item.get('plain_text', '')}]({item['href']})"
        if item.get("href") and item.get("plain_text")
        else str(item.get("plain_text", ""))
        for item in items
    )


def _plain(items: list[dict[str, Any]]) -> str:
    return "".join(str(item.get("plain_text", "")) for item in items)
