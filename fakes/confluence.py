"""A fake Confluence Cloud REST API v2: a real HTTP server on 127.0.0.1 that holds spaces and
their pages, lists them a few at a time (`per_page`, 2 unless told) with `_links.next` cursors
as Confluence does, refuses any credentials but its own (401), records every request, and can be
told to answer the next requests with a rate limit (429 with `Retry-After`) or an error.

Point `ConfluenceSource(base_url=fake.base_url, email=fake.email, token=fake.token, …)` at it.
Pages can be edited between syncs (`edit_page`), which raises their version as Confluence does.
"""

from __future__ import annotations

import base64
import contextlib
import itertools
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Handler

from fakes.faults import ScriptedFaults
from fakes.local_server import serve_locally


@dataclass(frozen=True)
class ConfluenceRequest:
    path: str
    query: dict[str, str]


@dataclass
class FakeConfluence(ScriptedFaults):
    """`rate_limit` and `fail` script faults for the requests whose path and query contain
    `where`."""

    email: str = "kraken@example.com"
    token: str = "confluence-api-token"
    per_page: int = 2
    base_url: str = ""
    spaces: dict[str, str] = field(default_factory=dict)
    pages: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests: list[ConfluenceRequest] = field(default_factory=list)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1001))

    def add_space(self, key: str) -> str:
        self.spaces[key] = str(next(self._ids))
        return self.spaces[key]

    def add_page(self, space: str, title: str, body: str) -> str:
        """A page in the space with the key `space`, in storage format; its id."""
        page_id = str(next(self._ids))
        self.pages[page_id] = {
            "id": page_id,
            "status": "current",
            "title": title,
            "spaceId": self.spaces[space],
            "version": {"number": 1},
            "body": {"storage": {"representation": "storage", "value": body}},
            "_links": {"webui": f"/spaces/{space}/pages/{page_id}/{title.replace(' ', '+')}"},
        }
        return page_id

    def edit_page(self, page_id: str, body: str) -> None:
        page = self.pages[page_id]
        page["version"]["number"] += 1
        page["body"]["storage"]["value"] = body

    def listing_requests(self) -> list[ConfluenceRequest]:
        return [request for request in self.requests if request.path.endswith("/pages")]

    @web.middleware
    async def _checks(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        self.requests.append(ConfluenceRequest(request.path, dict(request.query)))
        if fault := self.take(request.path_qs):
            return _error(fault.status, "scripted fault", headers=fault.headers)
        expected = base64.b64encode(f"{self.email}:{self.token}".encode()).decode()
        if request.headers.get("Authorization") != f"Basic {expected}":
            return _error(401, "Unauthorized; scope does not match")
        return await handler(request)

    async def _spaces(self, request: web.Request) -> web.Response:
        keys = set(request.query.get("keys", "").split(","))
        found = [
            {"id": space_id, "key": key, "name": key, "type": "global", "status": "current"}
            for key, space_id in self.spaces.items()
            if key in keys
        ]
        return web.json_response({"results": found, "_links": {"base": self.base_url}})

    async def _space_pages(self, request: web.Request) -> web.Response:
        space_id = request.match_info["space_id"]
        if space_id not in self.spaces.values():
            return _error(404, "Space not found")
        in_space = [page for page in self.pages.values() if page["spaceId"] == space_id]
        start = int(request.query.get("cursor", "0"))
        size = min(int(request.query.get("limit", "25")), self.per_page)
        with_body = request.query.get("body-format") == "storage"
        results = [
            page if with_body else {key: value for key, value in page.items() if key != "body"}
            for page in in_space[start : start + size]
        ]
        links = {"base": self.base_url}
        if start + size < len(in_space):
            links["next"] = str(request.rel_url.update_query({"cursor": str(start + size)}))
        return web.json_response({"results": results, "_links": links})


def _error(status: int, message: str, *, headers: dict[str, str] | None = None) -> web.Response:
    return web.json_response({"code": status, "message": message}, status=status, headers=headers)


@contextlib.asynccontextmanager
async def fake_confluence_server() -> AsyncIterator[FakeConfluence]:
    fake = FakeConfluence()
    app = web.Application(middlewares=[fake._checks])
    app.router.add_get("/wiki/api/v2/spaces", fake._spaces)
    app.router.add_get("/wiki/api/v2/spaces/{space_id}/pages", fake._space_pages)
    async with serve_locally(app) as url:
        fake.base_url = f"{url}/wiki"
        yield fake
