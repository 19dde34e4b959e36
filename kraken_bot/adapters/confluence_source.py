"""The Confluence Cloud reader: every current page of one space, through the REST API v2.

The space is found by its key; its pages are listed with their bodies in the storage format
(Confluence's XHTML), following each answer's `_links.next` cursor. A page's version number
says whether it changed since the last sync, and only a changed page's body is kept once listed.
The whole listing is read before the first page is given, so a space with more pages than the
sync may take, or a listing that an error cut short, stops the sync before it can remove
anything. A page is given as HTML, its title as the first heading, for the sync to turn into
Markdown.
"""

import html
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Any

import httpx
from bs4 import BeautifulSoup

from application import source_ports
from application.source_ports import SourceUnavailable
from kraken_bot.adapters.http_retries import PacedClient, json_object

# Pages per listing request: their bodies come with them, so fewer than the API's 250.
PAGE_SIZE = 50


@dataclass(frozen=True, kw_only=True)
class _Page:
    id: str
    title: str
    version: str
    url: str
    body: str


class ConfluenceSource:
    """The pages of the space whose key is `space` on the site at `base_url` (such as
    `https://example.atlassian.net/wiki`), read as `email` with an API token."""

    def __init__(
        self,
        *,
        base_url: str,
        space: str,
        email: str,
        token: str,
        limits: source_ports.SyncLimits,
        timeout_s: float = 20.0,
    ) -> None:
        self._base_url = base_url.rstrip("/")
        self._space = space
        self._credentials = (email, token)
        self._limits = limits
        self._timeout_s = timeout_s

    async def read(self, *, known: Mapping[str, str]) -> AsyncIterator[source_ports.SourceItem]:
        async with self._client() as api:
            space_id = await self._space_id(api)
            pages = await self._pages(api, space_id, known)
        for page in pages:
            yield self._item(page, known)

    def _client(self) -> PacedClient:
        return PacedClient(
            service="Confluence",
            requests_per_second=self._limits.requests_per_second,
            timeout_s=self._timeout_s,
            headers={"Accept": "application/json"},
            auth=self._credentials,
        )

    async def _space_id(self, api: PacedClient) -> str:
        found = await self._json(
            api, f"{self._base_url}/api/v2/spaces", {"keys": self._space}, what="its spaces"
        )
        spaces = found.get("results") or []
        if not spaces:
            raise SourceUnavailable(
                f"Confluence has no space with the key {self._space!r} that this account can see"
            )
        return str(spaces[0]["id"])

    async def _pages(
        self, api: PacedClient, space_id: str, known: Mapping[str, str]
    ) -> list[_Page]:
        url: str | httpx.URL = f"{self._base_url}/api/v2/spaces/{space_id}/pages"
        params: dict[str, str | int] | None = {
            "body-format": "storage",
            "status": "current",
            "limit": PAGE_SIZE,
        }
        pages: list[_Page] = []
        while True:
            listing = await self._json(api, url, params, what=f"the pages of {self._space}")
            links = listing.get("_links") or {}
            pages += _pages(
                listing.get("results") or [], base=links.get("base", self._base_url), known=known
            )
            if len(pages) > self._limits.max_documents:
                raise SourceUnavailable(
                    f"The Confluence space {self._space} has more than "
                    f"{self._limits.max_documents:,} pages, the most a sync may take"
                )
            if not links.get("next"):
                return pages
            # The link is a path from the site's root (`/wiki/api/v2/…?cursor=…`).
            url, params = httpx.URL(self._base_url).join(links["next"]), None

    async def _json(
        self,
        api: PacedClient,
        url: str | httpx.URL,
        params: dict[str, str | int] | None,
        *,
        what: str,
    ) -> dict[str, Any]:
        response = await api.request("GET", url, params=params)
        if response.status_code in {httpx.codes.UNAUTHORIZED, httpx.codes.FORBIDDEN}:
            raise SourceUnavailable(
                f"Confluence refused the credentials (HTTP {response.status_code})"
            )
        return json_object(response, service="Confluence", what=what)

    def _item(self, page: _Page, known: Mapping[str, str]) -> source_ports.SourceItem:
        if known.get(page.id) == page.version:
            return source_ports.UnchangedDocument(path=page.id)
        content = f"<h1>{html.escape(page.title)}</h1>\n{page.body}".encode()
        if len(content) > self._limits.max_document_bytes:
            return source_ports.SkippedDocument(
                path=page.id,
                reason=f"{len(content):,} bytes, over the limit of "
                f"{self._limits.max_document_bytes:,}",
            )
        return source_ports.FetchedDocument(
            path=page.id,
            url=page.url,
            version=page.version,
            content=content,
            media_type=source_ports.HTML,
            title=page.title,
        )


def _pages(results: list[dict[str, Any]], *, base: str, known: Mapping[str, str]) -> list[_Page]:
    try:
        return [_page(result, base=base, known=known) for result in results]
    except (KeyError, TypeError) as error:
        raise SourceUnavailable(
            f"Confluence listed a page in a shape this reader does not know "
            f"({type(error).__name__}: {error})"
        ) from None


def _page(result: dict[str, Any], *, base: str, known: Mapping[str, str]) -> _Page:
    """A listed page; its body only when its version is not the one `known`, so that a sync
    holds no more than the pages that changed."""
    page_id, version = str(result["id"]), str(result["version"]["number"])
    return _Page(
        id=page_id,
        title=str(result.get("title") or ""),
        version=version,
        url=base + str(result["_links"]["webui"]),
        body=""
        if known.get(page_id) == version
        else _html(str(result["body"]["storage"]["value"])),
    )


def _html(storage: str) -> str:
    """The page's storage format as HTML: a code macro becomes the code block it shows, and a
    macro's parameters (a code block's language, a panel's colour) are dropped, not read as text."""
    page = BeautifulSoup(storage, "html.parser")
    for macro in page.find_all("ac:structured-macro", attrs={"ac:name": "code"}):
        code = macro.find("ac:plain-text-body")
        text = page.new_tag("code")
        text.string = code.get_text() if code else ""
        block = page.new_tag("pre")
        block.append(text)
        macro.replace_with(block)
    for parameter in page.find_all("ac:parameter"):
        parameter.decompose()
    return str(page)
