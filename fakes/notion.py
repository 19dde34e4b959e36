"""A fake Notion API: a real HTTP server on 127.0.0.1 that holds databases, pages and their
blocks, answers database queries and block children a few at a time (`per_page`, 2 unless told)
with `has_more`/`next_cursor` as Notion does, refuses any token but its own (401) and any request
without `Notion-Version` (400), answers 404 for what it does not hold (as Notion does for what is
not shared with the integration), records every request, and can be told to answer the next
requests with a rate limit (429 with `Retry-After`) or an error.

Point `NotionSource(api_url=fake.api_url, token=fake.token, …)` at it. Build blocks with
`block(...)` and `text(...)`; pages added under a page appear among its blocks as `child_page`
blocks. Pages can be edited between syncs (`edit_page`), which moves their `last_edited_time`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Handler

from fakes.faults import ScriptedFaults
from fakes.local_server import serve_locally

FIRST_EDIT = dt.datetime(2026, 1, 6, 10, 0, tzinfo=dt.UTC)


def text(content: str, *, href: str | None = None) -> dict[str, Any]:
    """A rich text item, as Notion gives them."""
    return {
        "type": "text",
        "text": {"content": content, "link": {"url": href} if href else None},
        "plain_text": content,
        "href": href,
    }


def block(
    kind: str, *rich: str | dict[str, Any], children: Sequence[dict[str, Any]] = (), **fields: Any
) -> dict[str, Any]:
    """A block of type `kind` with its rich text (strings or `text(...)` items), its nested
    blocks, and any other fields of its type (`checked=True`, `language="python"`)."""
    value: dict[str, Any] = dict(fields)
    if rich:
        value["rich_text"] = [text(item) if isinstance(item, str) else item for item in rich]
    return {
        "object": "block",
        "id": str(uuid.uuid4()),
        "type": kind,
        kind: value,
        "children": children,
    }


@dataclass(frozen=True)
class NotionRequest:
    method: str
    path: str


@dataclass
class FakeNotion(ScriptedFaults):
    """`rate_limit` and `fail` script faults for the requests whose path contains `where`."""

    token: str = "secret_kraken_integration"
    per_page: int = 2
    api_url: str = ""
    databases: dict[str, list[str]] = field(default_factory=dict)
    pages: dict[str, dict[str, Any]] = field(default_factory=dict)
    # The child blocks of each page or block, by its id.
    blocks: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    requests: list[NotionRequest] = field(default_factory=list)
    _edits: itertools.count[int] = field(default_factory=itertools.count)

    def add_database(self) -> str:
        database_id = str(uuid.uuid4())
        self.databases[database_id] = []
        return database_id

    def add_page(
        self,
        title: str,
        blocks: Sequence[dict[str, Any]] = (),
        *,
        database: str = "",
        parent_page: str = "",
    ) -> str:
        """A page, a row of `database` or a child of `parent_page` (or neither: a page shared
        with the integration on its own); its id."""
        page_id = str(uuid.uuid4())
        property_name = "Name" if database else "title"
        self.pages[page_id] = {
            "object": "page",
            "id": page_id,
            "url": f"https://www.notion.so/{title.replace(' ', '-')}-{page_id.replace('-', '')}",
            "last_edited_time": self._edit_time(),
            "properties": {property_name: {"id": "title", "type": "title", "title": [text(title)]}},
        }
        self._store(page_id, blocks)
        if database:
            self.databases[database].append(page_id)
        if parent_page:
            self.blocks[parent_page].append(
                {
                    "object": "block",
                    "id": page_id,
                    "type": "child_page",
                    "child_page": {"title": title},
                    "has_children": True,
                }
            )
        return page_id

    def edit_page(self, page_id: str, blocks: Sequence[dict[str, Any]]) -> None:
        """New content for the page; the pages under it stay."""
        kept = [child for child in self.blocks[page_id] if child["type"] == "child_page"]
        self._store(page_id, blocks)
        self.blocks[page_id] += kept
        self.pages[page_id]["last_edited_time"] = self._edit_time()

    def block_reads(self, page_id: str) -> int:
        """How many times the page's own blocks were asked for."""
        path = f"/v1/blocks/{page_id}/children"
        return sum(request.path == path for request in self.requests)

    def _store(self, parent_id: str, blocks: Sequence[dict[str, Any]]) -> None:
        self.blocks[parent_id] = []
        for item in blocks:
            children = item["children"]
            stored = {key: value for key, value in item.items() if key != "children"}
            self.blocks[parent_id].append(stored | {"has_children": bool(children)})
            if children:
                self._store(item["id"], children)

    def _edit_time(self) -> str:
        at = FIRST_EDIT + dt.timedelta(minutes=next(self._edits))
        return at.isoformat(timespec="milliseconds").replace("+00:00", "Z")

    @web.middleware
    async def _checks(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        self.requests.append(NotionRequest(request.method, request.path))
        if fault := self.take(request.path):
            code = "rate_limited" if fault.status == 429 else "internal_server_error"
            return _error(fault.status, code, "scripted fault", headers=fault.headers)
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            return _error(401, "unauthorized", "API token is invalid.")
        if "Notion-Version" not in request.headers:
            return _error(400, "missing_version", "Notion-Version header failed validation")
        return await handler(request)

    async def _query(self, request: web.Request) -> web.Response:
        database_id = request.match_info["id"]
        if database_id not in self.databases:
            return _not_found("database", database_id)
        query = await request.json()
        rows = [self.pages[page_id] for page_id in self.databases[database_id]]
        return web.json_response(self._list(rows, query.get("start_cursor"), query))

    async def _page(self, request: web.Request) -> web.Response:
        page = self.pages.get(request.match_info["id"])
        if page is None:
            return _not_found("page", request.match_info["id"])
        return web.json_response(page)

    async def _children(self, request: web.Request) -> web.Response:
        children = self.blocks.get(request.match_info["id"])
        if children is None:
            return _not_found("block", request.match_info["id"])
        cursor = request.query.get("start_cursor")
        return web.json_response(self._list(children, cursor, dict(request.query)))

    def _list(
        self, items: list[dict[str, Any]], cursor: str | None, query: dict[str, Any]
    ) -> dict[str, Any]:
        """One page of a list, as Notion pages them: the cursor is the next item's id."""
        ids = [item["id"] for item in items]
        start = ids.index(cursor) if cursor else 0
        size = min(int(query.get("page_size", 100)), self.per_page)
        more = start + size < len(items)
        return {
            "object": "list",
            "results": items[start : start + size],
            "has_more": more,
            "next_cursor": ids[start + size] if more else None,
        }


def _not_found(kind: str, object_id: str) -> web.Response:
    return _error(
        404,
        "object_not_found",
        f"Could not find {kind} with ID: {object_id}. Make sure the relevant pages and "
        "databases are shared with your integration.",
    )


def _error(
    status: int, code: str, message: str, *, headers: dict[str, str] | None = None
) -> web.Response:
    return web.json_response(
        {"object": "error", "status": status, "code": code, "message": message},
        status=status,
        headers=headers,
    )


@contextlib.asynccontextmanager
async def fake_notion_server() -> AsyncIterator[FakeNotion]:
    fake = FakeNotion()
    app = web.Application(middlewares=[fake._checks])
    app.router.add_post("/v1/databases/{id}/query", fake._query)
    app.router.add_get("/v1/pages/{id}", fake._page)
    app.router.add_get("/v1/blocks/{id}/children", fake._children)
    async with serve_locally(app) as url:
        fake.api_url = url
        yield fake
