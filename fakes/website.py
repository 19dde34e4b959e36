"""A fake documentation web site: a real HTTP server on 127.0.0.1 that serves the files of a
folder (pages, a `robots.txt`, a `sitemap.xml`), a folder's `index.html` for its own URL, and 404
for a file that is not there. It records every request with its headers, and can be told to
redirect a path (two paths redirected to each other make a loop), to fail it (a status and
headers, such as 429 with `Retry-After`, every time or the next few times), to answer it slowly,
or to stream a large page for it, counting the bytes it got to send before the client stopped
reading. Paths given to `with_etag` or `with_last_modified` carry that validator and answer 304
to a request that sends it back, as a static file server does.

Write the site's files with `await site.write(path, text)` (the file system is not touched in the
event loop).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import hashlib
import time
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from email.utils import formatdate
from pathlib import Path

from aiohttp import web

from fakes.local_server import serve_locally

CHUNK = b"<p>" + b"x" * 65_529 + b"</p>"
_CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".md": "text/markdown; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
    ".xml": "application/xml",
    ".gz": "application/gzip",
    ".pdf": "application/pdf",
    ".css": "text/css",
    ".png": "image/png",
}


@dataclass(frozen=True)
class SiteRequest:
    path: str
    """The path and query asked for."""
    headers: Mapping[str, str]
    at: float = field(default_factory=time.monotonic)


@dataclass(frozen=True, kw_only=True)
class _Failure:
    status: int
    headers: dict[str, str]
    times: int | None


@dataclass(frozen=True, kw_only=True)
class _LargePage:
    size: int
    declared: bool


@dataclass
class FakeWebsite:
    root: Path
    url: str = ""
    requests: list[SiteRequest] = field(default_factory=list)
    bytes_sent: dict[str, int] = field(default_factory=dict)
    _redirects: dict[str, str] = field(default_factory=dict)
    _failures: dict[str, _Failure] = field(default_factory=dict)
    _delays: dict[str, float] = field(default_factory=dict)
    _large: dict[str, _LargePage] = field(default_factory=dict)
    _etags: set[str] = field(default_factory=set)
    _last_modified: set[str] = field(default_factory=set)

    async def write(self, path: str, content: str | bytes) -> None:
        """Write a file of the site (`docs/index.html` is served at `/docs/index.html`)."""
        file = self.root / path
        await asyncio.to_thread(file.parent.mkdir, parents=True, exist_ok=True)
        data = content.encode() if isinstance(content, str) else content
        await asyncio.to_thread(file.write_bytes, data)

    def requested(self, path: str) -> list[SiteRequest]:
        """The requests for a path (with its query, if any)."""
        return [request for request in self.requests if request.path == path]

    def redirect(self, path: str, to: str) -> None:
        """Answer requests for the path with a 302 to `to`."""
        self._redirects[path] = to

    def fail(
        self,
        path: str,
        status: int,
        *,
        headers: Mapping[str, str] | None = None,
        times: int | None = None,
    ) -> None:
        """Answer requests for the path with this status: the next `times`, or all."""
        self._failures[path] = _Failure(status=status, headers=dict(headers or {}), times=times)

    def slow(self, path: str, delay_s: float) -> None:
        self._delays[path] = delay_s

    def serve_large(self, path: str, size: int, *, declared: bool = False) -> None:
        """Stream an HTML page of `size` bytes, with its Content-Length when `declared`."""
        self._large[path] = _LargePage(size=size, declared=declared)

    def with_etag(self, *paths: str) -> None:
        self._etags.update(paths)

    def with_last_modified(self, *paths: str) -> None:
        self._last_modified.update(paths)

    async def _serve(self, request: web.Request) -> web.StreamResponse:
        self.requests.append(SiteRequest(request.path_qs, request.headers))
        path = request.path
        await asyncio.sleep(self._delays.get(path, 0.0))
        if failure := self._failure(path):
            return web.Response(status=failure.status, headers=failure.headers, text="failed")
        if path in self._redirects:
            return web.Response(status=302, headers={"Location": self._redirects[path]})
        if path in self._large:
            return await self._stream_large(request, path)
        return await self._file(request, path)

    def _failure(self, path: str) -> _Failure | None:
        failure = self._failures.get(path)
        if failure is not None and failure.times is not None:
            if failure.times > 1:
                self._failures[path] = _Failure(
                    status=failure.status, headers=failure.headers, times=failure.times - 1
                )
            else:
                del self._failures[path]
        return failure

    async def _file(self, request: web.Request, path: str) -> web.Response:
        found = await asyncio.to_thread(_read, self.root, path)
        if found is None:
            return web.Response(status=404, text="not found")
        content, modified_at = found
        headers = {"Content-Type": _CONTENT_TYPES.get(Path(path).suffix, "text/html")}
        unchanged = False
        if path in self._etags:
            headers["ETag"] = f'"{hashlib.sha256(content).hexdigest()[:16]}"'
            unchanged = request.headers.get("If-None-Match") == headers["ETag"]
        if path in self._last_modified:
            headers["Last-Modified"] = formatdate(int(modified_at.timestamp()), usegmt=True)
            since = request.if_modified_since
            unchanged = unchanged or (since is not None and since >= modified_at)
        if unchanged:
            return web.Response(status=304, headers=headers)
        return web.Response(body=content, headers=headers)

    async def _stream_large(self, request: web.Request, path: str) -> web.StreamResponse:
        page = self._large[path]
        response = web.StreamResponse(headers={"Content-Type": "text/html"})
        if page.declared:
            response.content_length = page.size
        await response.prepare(request)
        self.bytes_sent[path] = 0
        with contextlib.suppress(ConnectionError):  # the client stopped reading, as it should
            while self.bytes_sent[path] < page.size:
                piece = CHUNK[: page.size - self.bytes_sent[path]]
                await response.write(piece)
                self.bytes_sent[path] += len(piece)
        return response


def _read(root: Path, path: str) -> tuple[bytes, dt.datetime] | None:
    """A file's content and its modification time to the second, as HTTP dates have it."""
    file = (root / path.lstrip("/")).resolve()
    if path.endswith("/"):
        file /= "index.html"
    if not file.is_relative_to(root.resolve()) or not file.is_file():
        return None
    modified_at = dt.datetime.fromtimestamp(int(file.stat().st_mtime), dt.UTC)
    return file.read_bytes(), modified_at


@contextlib.asynccontextmanager
async def fake_website(root: Path) -> AsyncIterator[FakeWebsite]:
    """Serve the folder `root` at `site.url` (`http://127.0.0.1:<port>`) until left."""
    fake = FakeWebsite(root=root)
    app = web.Application()
    app.router.add_get("/{tail:.*}", fake._serve)
    async with serve_locally(app) as url:
        fake.url = url
        yield fake
