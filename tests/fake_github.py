"""A fake GitHub REST API: a real HTTP server on 127.0.0.1 that lists a repository's pull
requests in pages linked by `Link: rel="next"` headers, records every request, and can be told to
answer the next requests with a rate limit (403, `X-RateLimit-Remaining: 0`, `Retry-After`), an
error, or slowly. It answers at its root, as `api.github.com` does, and under `/api/v3`, as a
GitHub Enterprise Server does."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from fakes.local_server import serve_locally


@dataclass(frozen=True, kw_only=True)
class _Trouble:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0


@dataclass
class FakeGitHub:
    pull_requests: list[dict[str, Any]] = field(default_factory=list)
    per_page: int = 2
    api_url: str = ""
    requests: list[web.Request] = field(default_factory=list)
    _troubles: list[_Trouble] = field(default_factory=list)

    def add_pull_request(
        self, number: int, title: str, *, labels: tuple[str, ...] = (), merge_sha: str = ""
    ) -> None:
        self.pull_requests.append(
            {
                "number": number,
                "title": title,
                "labels": [{"name": label} for label in labels],
                "merge_commit_sha": merge_sha or f"{number:040d}",
                "merged_at": "2026-01-06T10:00:00Z",
                "updated_at": f"2026-02-{28 - len(self.pull_requests):02d}T10:00:00Z",
            }
        )

    def rate_limit(self, *, retry_after_s: int | None = 1) -> None:
        headers = {"X-RateLimit-Remaining": "0"}
        if retry_after_s is not None:
            headers["Retry-After"] = str(retry_after_s)
        self._troubles.append(_Trouble(status=403, headers=headers))

    def fail(self, status: int = 500) -> None:
        self._troubles.append(_Trouble(status=status))

    def slow(self, delay_s: float) -> None:
        self._troubles.append(_Trouble(delay_s=delay_s))

    async def _pulls(self, request: web.Request) -> web.Response:
        self.requests.append(request)
        trouble = self._troubles.pop(0) if self._troubles else _Trouble()
        await asyncio.sleep(trouble.delay_s)
        if trouble.status != 200:
            return web.json_response(
                {"message": "API rate limit exceeded"},
                status=trouble.status,
                headers=trouble.headers,
            )
        page = int(request.query.get("page", "1"))
        start = (page - 1) * self.per_page
        headers = {}
        if start + self.per_page < len(self.pull_requests):
            next_url = request.url.update_query({"page": str(page + 1)})
            headers["Link"] = f'<{next_url}>; rel="next"'
        body = self.pull_requests[start : start + self.per_page]
        return web.json_response(body, headers=headers)


@contextlib.asynccontextmanager
async def fake_github_server() -> AsyncIterator[FakeGitHub]:
    fake = FakeGitHub()
    app = web.Application()
    for root in ("", "/api/v3"):
        app.router.add_get(f"{root}/repos/{{owner}}/{{repo}}/pulls", fake._pulls)
    async with serve_locally(app) as url:
        fake.api_url = url
        yield fake
