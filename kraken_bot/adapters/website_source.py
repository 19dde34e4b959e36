"""A documentation web site as a source: its pages, listed by its sitemap or found along its links.

The source is the start URL's folder on its host (start `https://h/docs/intro.html`: scope
`https://h/docs/`); a page's path is its URL's path (with its query) under that folder. The
site's owner decides what a bot may fetch, and the bot keeps to it: the host's `robots.txt` for
its user agent, a polite pace (one request at a time, `requests_per_second`, slower when
`robots.txt` asks for a `Crawl-delay`), and one wait for a `Retry-After` of at most a minute.

With a sitemap (the start URL, or one `robots.txt` names under the scope; gzipped or not), the
pages are the ones it lists, each asked for with the validator stored last time (`etag:…` /
`modified:…`), so an unchanged page costs a 304. Without one, the pages are found breadth-first
from the start page along its links, each read in full (a 304 would hide its links), then the
pages stored last time that no link reached this time: a page whose only link was on a page that
failed this time is read rather than dropped.

What the sync is told: a page that is gone (404, 410) or disallowed is left out, so it is removed;
a page that fails (another error, a timeout, a redirect loop) is skipped with why, so what was
stored stays. What would make the sync remove pages wrongly raises `SourceUnavailable` instead:
the host unreachable or refusing, the start page or the sitemap unreadable, more pages than
`max_documents`.
"""

import asyncio
import contextlib
import hashlib
import zlib
from collections import deque
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import urldefrag, urljoin, urlsplit, urlunsplit
from urllib.robotparser import RobotFileParser
from xml.etree.ElementTree import ParseError

import httpx
from bs4 import BeautifulSoup, Tag
from defusedxml import DefusedXmlException  # type: ignore[import-untyped]
from defusedxml import ElementTree as SafeElementTree

from application import source_ports
from kraken_bot.adapters.http_retries import Pacer, retry_after_s

USER_AGENT = "KrakenBot/1.0 (+documentation sync)"
MAX_REDIRECTS = 10
# The sitemaps protocol's own limit for one sitemap file.
MAX_SITEMAP_BYTES = 50_000_000
# Google reads no more of a robots.txt than this; a larger one is no robots.txt to guess at.
MAX_ROBOTS_BYTES = 500_000
# The longest a page's `Retry-After` is waited for; a page asking more waits for the next sync.
MAX_RETRY_AFTER_S = 60.0
# The longest `Crawl-delay` kept to: a site asking more between requests cannot be synced.
MAX_CRAWL_DELAY_S = 60.0
_GZIP_MAGIC = b"\x1f\x8b"
_DEFAULT_PORTS = {"http": 80, "https": 443}
# The media types that are documents, as the sync names them; any other answer is no document.
_DOCUMENT_TYPES = {
    "text/html": source_ports.HTML,
    "application/pdf": source_ports.PDF,
    "text/markdown": source_ports.MARKDOWN,
    "text/x-markdown": source_ports.MARKDOWN,
    "text/plain": source_ports.PLAIN_TEXT,
}
# The request headers that send back each kind of validator a page's version may hold.
_CONDITIONAL_HEADERS = {"etag": "If-None-Match", "modified": "If-Modified-Since"}


class WebsiteSource:
    """The pages of a documentation web site, from `start_url` (a page, or a sitemap when it
    ends in `.xml`). `include` and `exclude` are fnmatch globs on a URL's path
    (`/docs/guide/*`): a page is a document when it matches an `include` (any, when there are
    none) and no `exclude`. A crawl reads the start page for its links whatever they say, so
    start it where the included pages are linked."""

    def __init__(
        self,
        *,
        start_url: str,
        include: Sequence[str],
        exclude: Sequence[str],
        limits: source_ports.SyncLimits,
        timeout_s: float = 20.0,
    ) -> None:
        self._start_url = urldefrag(start_url).url
        self._scope = _Scope.of(self._start_url, include=include, exclude=exclude)
        self._limits = limits
        self._timeout_s = timeout_s

    async def read(self, *, known: Mapping[str, str]) -> AsyncIterator[source_ports.SourceItem]:
        """Every page of the site, each once (see the module's docstring for what is left out,
        skipped, or raised).

        Raises: SourceUnavailable.
        """
        async with httpx.AsyncClient(
            headers={"User-Agent": USER_AGENT},
            timeout=self._timeout_s,
            follow_redirects=True,
            max_redirects=MAX_REDIRECTS,
            event_hooks={"request": [self._scope.refuse_other_sites]},
        ) as client:
            http = _PacedHttp(client, requests_per_second=self._limits.requests_per_second)
            reading = _Reading(
                http=http,
                scope=self._scope,
                limits=self._limits,
                timeout_s=self._timeout_s,
                known=known,
            )
            robots = await reading.robots()
            http.keep_to(robots)
            sitemaps = self._sitemaps(robots)
            items = (
                reading.from_sitemaps(sitemaps, robots)
                if sitemaps
                else reading.crawl(self._start_url, robots)
            )
            async for item in items:
                yield item

    def _sitemaps(self, robots: "_Robots") -> list[str]:
        """The start URL when it is a sitemap, else the sitemaps robots.txt names in scope."""
        if urlsplit(self._start_url).path.endswith((".xml", ".xml.gz")):
            return [self._start_url]
        named = (_absolute(self._scope.root, sitemap) for sitemap in robots.sitemaps())
        return [url for url in named if url and self._scope.contains(url)]


@dataclass(frozen=True, kw_only=True)
class _Scope:
    """The URLs of the source: the start URL's scheme, host and port, under its folder; and of
    those, the documents, which `include` and `exclude` let through."""

    origin: tuple[str, str, int]
    root: str
    folder: str
    include: tuple[str, ...]
    exclude: tuple[str, ...]

    @classmethod
    def of(cls, start_url: str, *, include: Sequence[str], exclude: Sequence[str]) -> "_Scope":
        parts = urlsplit(start_url)
        folder = parts.path[: parts.path.rfind("/") + 1] or "/"
        return cls(
            origin=_origin(start_url),
            root=urlunsplit((parts.scheme, parts.netloc, folder, "", "")),
            folder=folder,
            include=tuple(include),
            exclude=tuple(exclude),
        )

    def contains(self, url: str) -> bool:
        return _origin(url) == self.origin and _url_path(url).startswith(self.folder)

    async def refuse_other_sites(self, request: httpx.Request) -> None:
        """Before each request, redirects included: none leaves the source's host.

        Raises: RedirectedOffSite.
        """
        url = str(request.url)
        if _origin(url) != self.origin:
            raise RedirectedOffSite(url, request=request)

    def wants(self, url: str) -> bool:
        path = _url_path(url)
        return self.contains(url) and source_ports.wanted(
            path, include=self.include, exclude=self.exclude
        )

    def path_of(self, url: str) -> str:
        """The document's path: the URL's path (and query) under the folder; the folder's own
        page is `index`."""
        query = urlsplit(url).query
        relative = _url_path(url)[len(self.folder) :] + (f"?{query}" if query else "")
        return relative or "index"

    def url_of(self, path: str) -> str:
        return self.root + ("" if path == "index" else path)


class RedirectedOffSite(httpx.RequestError):
    """A redirect to another host than the source's, not followed: a page cannot send the bot's
    requests where it likes (an address inside the network, a cloud's metadata service)."""

    def __init__(self, url: str, *, request: httpx.Request) -> None:
        super().__init__(f"redirected to another site, {url}", request=request)
        self.url = url


@dataclass(frozen=True)
class _Robots:
    """What the host's robots.txt lets the bot fetch. `refusal` says why nothing may be: a
    robots.txt that could not be read (a server error) is read as disallowing all, as Google
    reads it, rather than crawl a site whose owner may be saying no."""

    rules: RobotFileParser
    refusal: str = ""

    @classmethod
    def of(cls, text: str) -> "_Robots":
        rules = RobotFileParser()
        rules.parse(text.splitlines())
        return cls(rules)

    @classmethod
    def refusing(cls, why: str) -> "_Robots":
        return cls(RobotFileParser(), refusal=f"{why}: read as disallowing all")

    def allows(self, url: str) -> bool:
        return not self.refusal and self.rules.can_fetch(USER_AGENT, url)

    def why_not(self) -> str:
        return self.refusal or "disallowed by robots.txt"

    def sitemaps(self) -> list[str]:
        return self.rules.site_maps() or []

    def crawl_delay_s(self) -> float:
        return float(self.rules.crawl_delay(USER_AGENT) or 0)


class _PacedHttp:
    """One request at a time, at most `requests_per_second`, each counted from when the last
    was due; an answer asking to wait (429, 503 with `Retry-After`) at most a minute is asked
    once more after that wait."""

    def __init__(self, client: httpx.AsyncClient, *, requests_per_second: float) -> None:
        self._client = client
        self._pacer = Pacer(requests_per_second=requests_per_second)

    def keep_to(self, robots: _Robots) -> None:
        """Space the requests as robots.txt asks.

        Raises: SourceUnavailable, when it asks for more than a sync can wait between two.
        """
        delay_s = robots.crawl_delay_s()
        if delay_s > MAX_CRAWL_DELAY_S:
            raise source_ports.SourceUnavailable(
                f"robots.txt asks for {delay_s:.0f} s between requests, more than the "
                f"{MAX_CRAWL_DELAY_S:.0f} s a sync waits"
            )
        self._pacer.slow_to(delay_s)

    @contextlib.asynccontextmanager
    async def get(
        self, url: str, headers: Mapping[str, str] | None = None
    ) -> AsyncIterator[httpx.Response]:
        """The answer to a GET, its body not read yet (so that a large one is never read
        whole), after the redirects; closed on leaving."""
        response = await self._send(url, headers)
        wait_s = _asked_wait_s(response)
        if wait_s is not None and wait_s <= MAX_RETRY_AFTER_S:
            await response.aclose()
            await asyncio.sleep(wait_s)
            response = await self._send(url, headers)
        try:
            yield response
        finally:
            await response.aclose()

    async def _send(self, url: str, headers: Mapping[str, str] | None) -> httpx.Response:
        await self._pacer.wait()
        request = self._client.build_request("GET", url, headers=headers)
        return await self._client.send(request, stream=True)


@dataclass(frozen=True, kw_only=True)
class _Page:
    """A document read in full: its URL after redirects, and what its HTML says of others."""

    url: str
    media_type: str
    content: bytes
    version: str
    links: tuple[str, ...] = ()
    canonical: str | None = None


@dataclass(frozen=True)
class _Unread:
    """A page not read, and why."""

    reason: str


class _NotModified(_Unread):
    """The version stored last time is the page's."""


class _Absent(_Unread):
    """Nothing for the sync: the page is gone, or is no document."""


class _Failed(_Unread):
    """The page could not be read this time; what was stored for it stays."""


_Outcome = _Page | _NotModified | _Absent | _Failed


@dataclass(frozen=True)
class _HtmlFacts:
    links: tuple[str, ...] = ()
    canonical: str | None = None


class _Reading:
    """One read of the site: the URLs met so far (none fetched twice) and the paths given to the
    sync (each once)."""

    def __init__(
        self,
        *,
        http: _PacedHttp,
        scope: _Scope,
        limits: source_ports.SyncLimits,
        timeout_s: float,
        known: Mapping[str, str],
    ) -> None:
        self._http = http
        self._scope = scope
        self._limits = limits
        self._timeout_s = timeout_s
        self._known = known
        self._met: set[str] = set()
        self._given: set[str] = set()

    async def robots(self) -> _Robots:
        """The host's robots.txt. As the first request, it also tells whether the host can be
        reached at all."""
        url = urljoin(self._scope.root, "/robots.txt")
        try:
            async with self._http.get(url) as response:
                return await _robots_from(response, url)
        except RedirectedOffSite as error:
            return _Robots.refusing(f"robots.txt {error}: start from that site")
        except httpx.HTTPError as error:
            raise source_ports.SourceUnavailable(
                f"{self._scope.root} unreachable: {self._describe(error)}"
            ) from None

    async def from_sitemaps(
        self, sitemaps: list[str], robots: _Robots
    ) -> AsyncIterator[source_ports.SourceItem]:
        """The pages the sitemaps list, each asked for only if it changed."""
        for url in await self._sitemap_pages(sitemaps):
            if robots.refusal:
                outcome: _Outcome = _Failed(robots.refusal)
            elif robots.allows(url) and self._scope.path_of(url) not in self._given:
                outcome = await self._fetch(url, self._conditions(url))
            else:
                continue
            if item := self._item(url, outcome):
                yield item

    async def crawl(self, start: str, robots: _Robots) -> AsyncIterator[source_ports.SourceItem]:
        """The pages reached from the start page, breadth-first, then those stored last time
        that no link reached."""
        if not robots.allows(start):
            raise source_ports.SourceUnavailable(f"{start} unreachable: {robots.why_not()}")
        queue = deque([start])
        self._met.add(start)
        stored_pages_queued = False
        while queue:
            url = queue.popleft()
            if self._scope.path_of(url) in self._given:
                continue
            outcome = await self._fetch(url)
            if url == start and isinstance(outcome, _Unread):
                raise source_ports.SourceUnavailable(f"{start} unreachable: {outcome.reason}")
            if isinstance(outcome, _Page):
                queue.extend(self._unmet(outcome.links, robots))
            if not queue and not stored_pages_queued:
                stored_pages_queued = True
                queue.extend(self._unmet(map(self._scope.url_of, sorted(self._known)), robots))
            if item := self._item(url, outcome):
                yield item

    def _unmet(self, urls: Iterable[str], robots: _Robots) -> list[str]:
        """The documents among `urls` not met before, that robots.txt allows; now met."""
        found = [url for url in dict.fromkeys(urls) if url not in self._met]
        allowed = [url for url in found if self._scope.wants(url) and robots.allows(url)]
        self._met.update(allowed)
        return allowed

    async def _sitemap_pages(self, sitemaps: list[str]) -> list[str]:
        """The documents the sitemaps list, following sitemap index files.

        Raises: SourceUnavailable, before any page is read, when they are too many.
        """
        pending = deque(sitemaps)
        read: set[str] = set()
        pages: dict[str, None] = {}
        while pending:
            sitemap = pending.popleft()
            if sitemap in read:
                continue
            read.add(sitemap)
            body = await self._sitemap(sitemap)
            listed, indexed = await asyncio.to_thread(_sitemap_entries, body, sitemap)
            pending.extend(url for url in indexed if self._scope.contains(url))
            pages.update(dict.fromkeys(url for url in listed if self._scope.wants(url)))
            if len(pages) > self._limits.max_documents:
                raise source_ports.SourceUnavailable(
                    f"the sitemap lists more than {self._limits.max_documents:,} pages: "
                    "narrow it with include/exclude"
                )
        return list(pages)

    async def _sitemap(self, url: str) -> bytes:
        """A sitemap's body: without all of it, which pages are gone cannot be told."""
        try:
            async with self._http.get(url) as response:
                if not response.is_success:
                    raise source_ports.SourceUnavailable(
                        f"{url} unreachable: HTTP {response.status_code}"
                    )
                body = await _read_at_most(response, MAX_SITEMAP_BYTES)
        except httpx.HTTPError as error:
            raise source_ports.SourceUnavailable(
                f"{url} unreachable: {self._describe(error)}"
            ) from None
        if body is None:
            raise source_ports.SourceUnavailable(
                f"{url} is larger than {MAX_SITEMAP_BYTES:,} bytes"
            )
        if body.startswith(_GZIP_MAGIC):
            return await asyncio.to_thread(_gunzipped_sitemap, body, url)
        return body

    def _describe(self, error: httpx.HTTPError) -> str:
        if isinstance(error, httpx.TimeoutException):
            return f"no answer within {self._timeout_s:g} s"
        return f"{type(error).__name__}: {error}".splitlines()[0]

    def _conditions(self, url: str) -> dict[str, str]:
        """The header that lets the server answer 304 to the version stored last time."""
        kind, _, value = self._known.get(self._scope.path_of(url), "").partition(":")
        header = _CONDITIONAL_HEADERS.get(kind)
        return {header: value} if header else {}

    async def _fetch(self, url: str, headers: Mapping[str, str] | None = None) -> _Outcome:
        try:
            async with self._http.get(url, headers) as response:
                return await self._page(response)
        except httpx.TooManyRedirects:
            return _Failed("redirect loop")
        except RedirectedOffSite as error:
            return _Failed(f"redirected out of scope, to {error.url}")
        except httpx.TimeoutException:
            return _Failed("timed out")
        except httpx.HTTPError as error:
            return _Failed(f"could not be read ({type(error).__name__})")

    async def _page(self, response: httpx.Response) -> _Outcome:
        status = response.status_code
        if status == httpx.codes.NOT_MODIFIED:
            return _NotModified("HTTP 304")
        if status in {httpx.codes.NOT_FOUND, httpx.codes.GONE}:
            return _Absent(f"HTTP {status}")
        if not response.is_success:
            return _Failed(_status_reason(response))
        url = urldefrag(str(response.url)).url
        if not self._scope.contains(url):
            return _Failed(f"redirected out of scope, to {url}")
        received_type = _media_type(response)
        media_type = _DOCUMENT_TYPES.get(received_type)
        if media_type is None:
            return _Absent(f"not a document ({received_type or 'no Content-Type'})")
        content = await _read_at_most(response, self._limits.max_document_bytes)
        if content is None:
            return _Failed(f"larger than {self._limits.max_document_bytes:,} bytes")
        html = (
            await asyncio.to_thread(_html_facts, content, url)
            if media_type == source_ports.HTML
            else _HtmlFacts()
        )
        return _Page(
            url=url,
            media_type=media_type,
            content=content,
            version=_version(response, content),
            links=html.links,
            canonical=html.canonical,
        )

    def _item(self, url: str, outcome: _Outcome) -> source_ports.SourceItem | None:
        """What the sync is told of the page found at `url`: None when the page is no document,
        or one already given (under its canonical URL, or reached by a redirect).

        Raises: SourceUnavailable, when it would be one more than `max_documents`.
        """
        if isinstance(outcome, _Absent):
            return None
        identity = self._identity(outcome) if isinstance(outcome, _Page) else url
        path = self._scope.path_of(identity)
        if path in self._given or not self._scope.wants(identity):
            return None
        self._given.add(path)
        self._met.add(identity)
        if len(self._given) > self._limits.max_documents:
            raise source_ports.SourceUnavailable(
                f"more than {self._limits.max_documents:,} pages: narrow it with include/exclude"
            )
        return self._document(path, identity, outcome)

    def _identity(self, page: _Page) -> str:
        """The page's canonical URL when it names one in scope, else where it was read."""
        canonical = page.canonical
        return canonical if canonical and self._scope.contains(canonical) else page.url

    def _document(
        self, path: str, url: str, outcome: _Page | _NotModified | _Failed
    ) -> source_ports.SourceItem:
        if isinstance(outcome, _Failed):
            return source_ports.SkippedDocument(path=path, reason=outcome.reason)
        if isinstance(outcome, _NotModified) or self._known.get(path) == outcome.version:
            return source_ports.UnchangedDocument(path=path)
        return source_ports.FetchedDocument(
            path=path,
            url=url,
            version=outcome.version,
            content=outcome.content,
            media_type=outcome.media_type,
        )


async def _robots_from(response: httpx.Response, url: str) -> _Robots:
    """The rules of an answer for robots.txt: none when there is none (404), all-refusing when
    the server failed, and the source unavailable when it refuses the bot (401, 403)."""
    status = response.status_code
    if status in {httpx.codes.UNAUTHORIZED, httpx.codes.FORBIDDEN}:
        raise source_ports.SourceUnavailable(f"{url} unreachable: HTTP {status}, access refused")
    if status == httpx.codes.TOO_MANY_REQUESTS or status >= httpx.codes.INTERNAL_SERVER_ERROR:
        return _Robots.refusing(f"robots.txt answered HTTP {status}")
    if not response.is_success:
        return _Robots.of("")
    body = await _read_at_most(response, MAX_ROBOTS_BYTES)
    if body is None:
        return _Robots.refusing(f"robots.txt is larger than {MAX_ROBOTS_BYTES:,} bytes")
    return _Robots.of(body.decode("utf-8", errors="replace"))


async def _read_at_most(response: httpx.Response, limit: int) -> bytes | None:
    """The body, or None as soon as it is known to be over `limit` bytes (from Content-Length,
    or once that much has been read): a large file is never read whole into memory."""
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > limit:
        return None
    body = bytearray()
    async for chunk in response.aiter_bytes():
        body += chunk
        if len(body) > limit:
            return None
    return bytes(body)


def _html_facts(content: bytes, url: str) -> _HtmlFacts:
    """The links and the canonical URL of an HTML page, absolute and without fragments. Run in
    a thread: parsing a large page would hold up the other work of the event loop."""
    soup = BeautifulSoup(content, "html.parser")
    base = _absolute(url, _href(soup.find("base"))) or url
    links = (_absolute(base, _href(anchor)) for anchor in soup.find_all("a"))
    canonical = soup.find("link", rel="canonical")
    return _HtmlFacts(
        links=tuple(link for link in links if link), canonical=_absolute(base, _href(canonical))
    )


def _href(element: object) -> str | None:
    href = element.get("href") if isinstance(element, Tag) else None
    return href if isinstance(href, str) else None


def _sitemap_entries(body: bytes, url: str) -> tuple[list[str], list[str]]:
    """The page URLs of a `urlset`, or the sitemap URLs of a `sitemapindex`. defusedxml refuses
    entity tricks (a sitemap is someone else's XML). Run in a thread: a sitemap can be 50 MB.

    Raises: SourceUnavailable, when it is no sitemap.
    """
    try:
        root = SafeElementTree.fromstring(body)
    except (ParseError, DefusedXmlException) as error:
        raise source_ports.SourceUnavailable(f"{url} is not a sitemap: {error}") from None
    locations = (
        _absolute(url, element.text) for element in root.iter() if _local(element.tag) == "loc"
    )
    found = [location for location in locations if location]
    kind = _local(root.tag)
    if kind == "urlset":
        return found, []
    if kind == "sitemapindex":
        return [], found
    raise source_ports.SourceUnavailable(f"{url} is not a sitemap: its root is <{kind}>")


def _local(tag: str) -> str:
    """An XML tag without its namespace: sitemaps in the wild do not all declare theirs."""
    return tag.rpartition("}")[2]


def _absolute(base: str, href: str | None) -> str | None:
    """`href` resolved against `base`, without its fragment, when that is an http(s) URL."""
    if href is None:
        return None
    try:
        url = urldefrag(urljoin(base, href.strip())).url
        scheme, host, _ = _origin(url)
    except ValueError:
        return None
    return url if scheme in _DEFAULT_PORTS and host else None


def _origin(url: str) -> tuple[str, str, int]:
    """Scheme, host and port, the port spelled out. Raises ValueError for an invalid port."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    return scheme, parts.hostname or "", parts.port or _DEFAULT_PORTS.get(scheme, 0)


def _url_path(url: str) -> str:
    return urlsplit(url).path or "/"


def _media_type(response: httpx.Response) -> str:
    content_type: str = response.headers.get("Content-Type", "")
    return content_type.partition(";")[0].strip().lower()


def _version(response: httpx.Response, content: bytes) -> str:
    """The page's validator as the server gave it, for the next sync's conditional request;
    else a checksum of its content."""
    if etag := response.headers.get("ETag"):
        return f"etag:{etag}"
    if modified := response.headers.get("Last-Modified"):
        return f"modified:{modified}"
    return f"sha256:{hashlib.sha256(content).hexdigest()}"


def _asked_wait_s(response: httpx.Response) -> float | None:
    """The wait a 429 or 503 asks for, in seconds, when it names one."""
    busy = {httpx.codes.TOO_MANY_REQUESTS, httpx.codes.SERVICE_UNAVAILABLE}
    return retry_after_s(response) if response.status_code in busy else None


def _gunzipped_sitemap(body: bytes, url: str) -> bytes:
    """A gzipped sitemap's XML, at most as large as a sitemap may be: a small file can unpack
    into gigabytes.

    Raises: SourceUnavailable.
    """
    unpacking = zlib.decompressobj(wbits=zlib.MAX_WBITS | 16)
    try:
        xml = unpacking.decompress(body, MAX_SITEMAP_BYTES + 1)
    except zlib.error as error:
        raise source_ports.SourceUnavailable(f"{url} is not readable gzip: {error}") from None
    if len(xml) > MAX_SITEMAP_BYTES:
        raise source_ports.SourceUnavailable(
            f"{url} unpacks to more than {MAX_SITEMAP_BYTES:,} bytes"
        )
    return xml


def _status_reason(response: httpx.Response) -> str:
    wait_s = _asked_wait_s(response)
    asked = f", asked to wait {wait_s:.0f} s" if wait_s is not None else ""
    return f"HTTP {response.status_code}{asked}"
