"""The web site source against a fake site on 127.0.0.1: what a crawl finds and leaves out, a
sitemap's conditional requests, and the limits and failures that keep a sync from removing pages
it could not see."""

import gzip
from collections import Counter
from collections.abc import AsyncIterator, Mapping, Sequence
from email.utils import formatdate
from pathlib import Path

import pytest

from application import source_ports
from fakes.servers import free_port
from fakes.website import FakeWebsite, fake_website
from kraken_bot.adapters import website_source

# A pace that never slows a test down.
FAST = source_ports.SyncLimits(requests_per_second=1_000)


@pytest.fixture
async def site(tmp_path) -> AsyncIterator[FakeWebsite]:
    async with fake_website(tmp_path) as fake:
        yield fake


@pytest.fixture
async def small_site(site: FakeWebsite) -> FakeWebsite:
    """A site whose documentation is under /docs/, with every trap a crawl meets."""
    other_host = site.url.replace("127.0.0.1", "localhost")
    await site.write("robots.txt", "User-agent: KrakenBot\nDisallow: /docs/private/\n")
    await site.write(
        "docs/index.html",
        _page(
            "a.html",
            "b.html#install",
            "a.html?print=1",
            "guide/install.html",
            "../blog/post.html",
            f"{other_host}/docs/elsewhere.html",
            "private/secret.html",
            "moved.html",
            "loop-a.html",
            "missing.html",
            "broken.html",
            "style.css",
            "notes.md",
            "mailto:docs@example.com",
        ),
    )
    await site.write("docs/a.html", _page("b.html", "a.html"))
    await site.write("docs/b.html", _page("a.html"))
    await site.write("docs/guide/install.html", _page("../a.html", "../#top"))
    await site.write("docs/new.html", _page())
    await site.write("docs/private/secret.html", _page())
    await site.write("docs/notes.md", "# Notes\n")
    await site.write("docs/style.css", "body {}")
    await site.write("docs/elsewhere.html", _page())
    await site.write("blog/post.html", _page())
    site.redirect("/docs/moved.html", "/docs/new.html")
    site.redirect("/docs/loop-a.html", "/docs/loop-b.html")
    site.redirect("/docs/loop-b.html", "/docs/loop-a.html")
    site.fail("/docs/broken.html", 500)
    return site


def _source(
    site: FakeWebsite,
    start: str = "/docs/",
    *,
    include: Sequence[str] = (),
    exclude: Sequence[str] = (),
    limits: source_ports.SyncLimits = FAST,
    timeout_s: float = 5.0,
) -> website_source.WebsiteSource:
    return website_source.WebsiteSource(
        start_url=site.url + start,
        include=include,
        exclude=exclude,
        limits=limits,
        timeout_s=timeout_s,
    )


async def _read(
    source: website_source.WebsiteSource, known: Mapping[str, str] | None = None
) -> list[source_ports.SourceItem]:
    return [item async for item in source.read(known=known or {})]


def _fetched(items: list[source_ports.SourceItem]) -> dict[str, source_ports.FetchedDocument]:
    return {item.path: item for item in items if isinstance(item, source_ports.FetchedDocument)}


def _skipped(items: list[source_ports.SourceItem]) -> dict[str, str]:
    return {
        item.path: item.reason for item in items if isinstance(item, source_ports.SkippedDocument)
    }


def _versions(items: list[source_ports.SourceItem]) -> dict[str, str]:
    return {path: document.version for path, document in _fetched(items).items()}


def _page(*links: str, canonical: str = "") -> str:
    anchors = "".join(f'<a href="{link}">{link}</a>' for link in links)
    head = f'<link rel="canonical" href="{canonical}">' if canonical else ""
    return f"<html><head><title>Page</title>{head}</head><body>{anchors}</body></html>"


def _sitemap(site: FakeWebsite, *paths: str, index: bool = False) -> str:
    kind, entry = ("sitemapindex", "sitemap") if index else ("urlset", "url")
    entries = "".join(f"<{entry}><loc>{site.url}{path}</loc></{entry}>" for path in paths)
    namespace = "http://www.sitemaps.org/schemas/sitemap/0.9"
    return f'<?xml version="1.0" encoding="UTF-8"?><{kind} xmlns="{namespace}">{entries}</{kind}>'


async def test_a_crawl_finds_each_page_in_scope_once_despite_a_loop_of_links(
    small_site: FakeWebsite,
) -> None:
    items = await _read(_source(small_site))

    paths = [item.path for item in items]
    assert sorted(_fetched(items)) == [
        "a.html",
        "a.html?print=1",
        "b.html",
        "guide/install.html",
        "index",
        "new.html",
        "notes.md",
    ]
    assert len(paths) == len(set(paths))
    asked = Counter(request.path for request in small_site.requests)
    assert asked["/docs/a.html"] == asked["/docs/b.html"] == asked["/docs/"] == 1


async def test_a_crawled_document_has_its_url_and_media_type(small_site: FakeWebsite) -> None:
    fetched = _fetched(await _read(_source(small_site)))

    install = fetched["guide/install.html"]
    assert install.url == f"{small_site.url}/docs/guide/install.html"
    assert install.media_type == source_ports.HTML
    assert install.content.startswith(b"<html>")
    assert fetched["notes.md"].media_type == source_ports.MARKDOWN
    assert fetched["index"].url == f"{small_site.url}/docs/"


async def test_a_crawl_follows_no_link_out_of_its_folder_or_to_another_host(
    small_site: FakeWebsite,
) -> None:
    await _read(_source(small_site))

    assert small_site.requested("/blog/post.html") == []
    assert small_site.requested("/docs/elsewhere.html") == []


async def test_a_crawl_keeps_out_of_what_robots_txt_disallows_to_the_bot(
    small_site: FakeWebsite,
) -> None:
    items = await _read(_source(small_site))

    assert small_site.requested("/docs/private/secret.html") == []
    assert "private/secret.html" not in {item.path for item in items}
    assert small_site.requested("/robots.txt")[0].headers["User-Agent"] == (
        "KrakenBot/1.0 (+documentation sync)"
    )


async def test_a_redirect_is_followed_to_the_page_it_names(small_site: FakeWebsite) -> None:
    items = await _read(_source(small_site))

    assert _fetched(items)["new.html"].url == f"{small_site.url}/docs/new.html"
    assert "moved.html" not in {item.path for item in items}


async def test_a_redirect_to_another_site_is_not_followed(
    site: FakeWebsite, tmp_path: Path
) -> None:
    async with fake_website(tmp_path / "elsewhere") as elsewhere:
        await site.write("docs/index.html", _page("moved.html"))
        site.redirect("/docs/moved.html", f"{elsewhere.url}/admin/delete?all=1")

        items = await _read(_source(site))

    assert elsewhere.requests == []
    assert _skipped(items) == {
        "moved.html": f"redirected out of scope, to {elsewhere.url}/admin/delete?all=1"
    }


async def test_a_robots_txt_redirected_to_another_site_is_not_followed(
    site: FakeWebsite, tmp_path: Path
) -> None:
    async with fake_website(tmp_path / "elsewhere") as elsewhere:
        await site.write("docs/index.html", _page())
        site.redirect("/robots.txt", f"{elsewhere.url}/robots.txt")

        with pytest.raises(source_ports.SourceUnavailable, match="redirected to another site"):
            await _read(_source(site))

    assert elsewhere.requests == []


async def test_a_redirect_loop_and_a_server_error_skip_their_pages_with_why(
    small_site: FakeWebsite,
) -> None:
    items = await _read(_source(small_site))

    assert _skipped(items) == {"loop-a.html": "redirect loop", "broken.html": "HTTP 500"}


async def test_a_page_that_is_gone_or_no_document_is_left_out(small_site: FakeWebsite) -> None:
    items = await _read(_source(small_site))

    paths = {item.path for item in items}
    assert small_site.requested("/docs/missing.html") != []
    assert "missing.html" not in paths
    assert "style.css" not in paths


async def test_a_page_is_known_by_its_canonical_url_and_given_once(site: FakeWebsite) -> None:
    await site.write("docs/index.html", _page("print.html", "a.html"))
    await site.write("docs/print.html", _page(canonical=f"{site.url}/docs/a.html"))
    await site.write("docs/a.html", _page())

    items = await _read(_source(site))

    assert [item.path for item in items] == ["index", "a.html"]
    assert _fetched(items)["a.html"].url == f"{site.url}/docs/a.html"
    assert site.requested("/docs/a.html") == []


async def test_a_canonical_url_out_of_scope_is_ignored(site: FakeWebsite) -> None:
    await site.write("docs/index.html", _page("a.html"))
    await site.write("docs/a.html", _page(canonical="https://elsewhere.example/a.html"))

    items = await _read(_source(site))

    assert _fetched(items)["a.html"].url == f"{site.url}/docs/a.html"


async def test_the_scope_is_the_folder_of_the_start_page(site: FakeWebsite) -> None:
    await site.write("docs/intro.html", _page("guide.html", "../about.html"))
    await site.write("docs/guide.html", _page())
    await site.write("about.html", _page())

    items = await _read(_source(site, "/docs/intro.html#top"))

    assert sorted(_fetched(items)) == ["guide.html", "intro.html"]
    assert site.requested("/about.html") == []


async def test_a_second_crawl_reads_every_page_and_says_which_are_unchanged(
    site: FakeWebsite,
) -> None:
    await site.write("docs/index.html", _page("a.html", "b.html"))
    await site.write("docs/a.html", _page())
    await site.write("docs/b.html", _page())
    site.with_etag("/docs/a.html")
    first = await _read(_source(site))
    await site.write("docs/b.html", _page("a.html"))
    site.requests.clear()

    second = await _read(_source(site), known=_versions(first))

    assert _versions(first)["a.html"].startswith('etag:"')
    assert _versions(first)["index"].startswith("sha256:")
    assert second[:2] == [
        source_ports.UnchangedDocument(path="index"),
        source_ports.UnchangedDocument(path="a.html"),
    ]
    assert list(_fetched(second)) == ["b.html"]
    assert "If-None-Match" not in site.requested("/docs/a.html")[0].headers


async def test_a_page_stored_last_time_is_read_though_the_page_linking_it_failed(
    site: FakeWebsite,
) -> None:
    await site.write("docs/index.html", _page("hub.html"))
    await site.write("docs/hub.html", _page("deep.html"))
    await site.write("docs/deep.html", _page("deeper.html"))
    await site.write("docs/deeper.html", _page())
    site.fail("/docs/hub.html", 502)
    known = {"index": "x", "hub.html": "x", "deep.html": "x", "gone.html": "x"}

    items = await _read(_source(site), known=known)

    assert _skipped(items) == {"hub.html": "HTTP 502"}
    assert sorted(_fetched(items)) == ["deep.html", "deeper.html", "index"]
    assert site.requested("/docs/gone.html") != []


async def test_a_crawl_finding_more_pages_than_the_limit_is_refused(site: FakeWebsite) -> None:
    await site.write("docs/index.html", _page("a.html", "b.html"))
    await site.write("docs/a.html", _page())
    await site.write("docs/b.html", _page())
    limits = source_ports.SyncLimits(max_documents=2, requests_per_second=1_000)

    with pytest.raises(source_ports.SourceUnavailable, match="more than 2 pages: narrow it"):
        await _read(_source(site, limits=limits))


async def test_include_and_exclude_choose_the_documents_of_a_crawl(site: FakeWebsite) -> None:
    await site.write("docs/index.html", _page("guide/a.html", "guide/old/b.html", "api/c.html"))
    for path in ("docs/guide/a.html", "docs/guide/old/b.html", "docs/api/c.html"):
        await site.write(path, _page())

    items = await _read(_source(site, include=["/docs/guide/*"], exclude=["/docs/guide/old/*"]))

    assert [item.path for item in items] == ["guide/a.html"]
    assert site.requested("/docs/api/c.html") == site.requested("/docs/guide/old/b.html") == []


async def test_a_second_read_of_a_sitemap_asks_for_each_page_only_if_it_changed(
    site: FakeWebsite,
) -> None:
    await site.write(
        "docs/sitemap.xml", _sitemap(site, "/docs/a.html", "/docs/b.html", "/docs/c.html")
    )
    for path in ("docs/a.html", "docs/b.html", "docs/c.html"):
        await site.write(path, _page())
    site.with_etag("/docs/a.html")
    site.with_last_modified("/docs/b.html")
    source = _source(site, "/docs/sitemap.xml")
    first = await _read(source)
    site.requests.clear()

    second = await _read(source, known=_versions(first))

    versions = _versions(first)
    assert versions["a.html"].startswith('etag:"')
    assert versions["b.html"].startswith("modified:")
    assert second == [
        source_ports.UnchangedDocument(path="a.html"),
        source_ports.UnchangedDocument(path="b.html"),
        source_ports.UnchangedDocument(path="c.html"),
    ]
    assert site.requested("/docs/a.html")[0].headers["If-None-Match"] == (
        versions["a.html"].removeprefix("etag:")
    )
    assert site.requested("/docs/b.html")[0].headers["If-Modified-Since"] == (
        versions["b.html"].removeprefix("modified:")
    )


async def test_a_page_changed_since_the_last_read_is_fetched_again(site: FakeWebsite) -> None:
    await site.write("docs/sitemap.xml", _sitemap(site, "/docs/a.html"))
    await site.write("docs/a.html", _page())
    site.with_etag("/docs/a.html")
    source = _source(site, "/docs/sitemap.xml")
    first = await _read(source)
    await site.write("docs/a.html", _page("b.html"))

    second = await _read(source, known=_versions(first))

    assert _fetched(second)["a.html"].content == _page("b.html").encode()
    assert _versions(second)["a.html"] != _versions(first)["a.html"]


async def test_a_sitemap_index_is_followed_and_only_sitemap_pages_are_read(
    site: FakeWebsite,
) -> None:
    await site.write(
        "docs/sitemap.xml", _sitemap(site, "/docs/one.xml", "/docs/two.xml", index=True)
    )
    await site.write("docs/one.xml", _sitemap(site, "/docs/a.html", "/blog/post.html"))
    await site.write("docs/two.xml", _sitemap(site, "/docs/b.html", "/docs/a.html"))
    for path in ("docs/a.html", "docs/b.html", "docs/linked.html", "blog/post.html"):
        await site.write(path, _page("linked.html"))

    items = await _read(_source(site, "/docs/sitemap.xml"))

    assert [item.path for item in items] == ["a.html", "b.html"]
    assert site.requested("/docs/linked.html") == site.requested("/blog/post.html") == []


async def test_the_sitemap_robots_txt_names_in_scope_lists_the_pages(site: FakeWebsite) -> None:
    await site.write("robots.txt", f"User-agent: *\nSitemap: {site.url}/docs/sitemap.xml\n")
    await site.write("docs/sitemap.xml", _sitemap(site, "/docs/orphan.html"))
    await site.write("docs/index.html", _page("linked.html"))
    await site.write("docs/orphan.html", _page())

    items = await _read(_source(site))

    assert [item.path for item in items] == ["orphan.html"]
    assert site.requested("/docs/") == []


async def test_a_sitemap_listing_more_pages_than_the_limit_is_refused_before_any_page(
    site: FakeWebsite,
) -> None:
    await site.write("docs/sitemap.xml", _sitemap(site, "/docs/a.html", "/docs/b.html"))
    source = _source(
        site,
        "/docs/sitemap.xml",
        limits=source_ports.SyncLimits(max_documents=1, requests_per_second=1_000),
    )

    with pytest.raises(
        source_ports.SourceUnavailable,
        match="the sitemap lists more than 1 pages: narrow it with include/exclude",
    ):
        await _read(source)
    assert {request.path for request in site.requests} == {"/robots.txt", "/docs/sitemap.xml"}


async def test_include_narrows_a_sitemap_to_within_the_limit(site: FakeWebsite) -> None:
    await site.write("docs/sitemap.xml", _sitemap(site, "/docs/guide/a.html", "/docs/api/b.html"))
    await site.write("docs/guide/a.html", _page())
    source = _source(
        site,
        "/docs/sitemap.xml",
        include=["/docs/guide/*"],
        limits=source_ports.SyncLimits(max_documents=1, requests_per_second=1_000),
    )

    items = await _read(source)

    assert [item.path for item in items] == ["guide/a.html"]


async def test_a_gzipped_sitemap_lists_the_pages(site: FakeWebsite) -> None:
    await site.write("docs/sitemap.xml.gz", gzip.compress(_sitemap(site, "/docs/a.html").encode()))
    await site.write("docs/a.html", _page())

    items = await _read(_source(site, "/docs/sitemap.xml.gz"))

    assert [item.path for item in items] == ["a.html"]


@pytest.mark.parametrize(
    ("content", "why"),
    [
        (gzip.compress(b" " * 2_000), "unpacks to more than 1,000 bytes"),
        (b"\x1f\x8b" + b"not gzip at all", "is not readable gzip: "),
    ],
)
async def test_a_gzipped_sitemap_too_large_unpacked_or_broken_makes_the_source_unavailable(
    site: FakeWebsite, monkeypatch: pytest.MonkeyPatch, content: bytes, why: str
) -> None:
    monkeypatch.setattr(website_source, "MAX_SITEMAP_BYTES", 1_000)
    await site.write("docs/sitemap.xml.gz", content)

    with pytest.raises(source_ports.SourceUnavailable) as refused:
        await _read(_source(site, "/docs/sitemap.xml.gz"))

    assert str(refused.value).startswith(f"{site.url}/docs/sitemap.xml.gz {why}")


async def test_something_that_is_not_a_sitemap_makes_the_source_unavailable(
    site: FakeWebsite,
) -> None:
    await site.write("docs/sitemap.xml", "<html>not a sitemap")

    with pytest.raises(source_ports.SourceUnavailable, match=r"sitemap\.xml is not a sitemap"):
        await _read(_source(site, "/docs/sitemap.xml"))


async def test_a_sitemap_with_entity_tricks_is_refused(site: FakeWebsite) -> None:
    await site.write(
        "docs/sitemap.xml",
        '<?xml version="1.0"?><!DOCTYPE u [<!ENTITY a "aaaa">]><urlset><url><loc>&a;</loc>'
        "</url></urlset>",
    )

    with pytest.raises(source_ports.SourceUnavailable, match="is not a sitemap"):
        await _read(_source(site, "/docs/sitemap.xml"))


@pytest.mark.parametrize("declared", [False, True], ids=["streamed", "with Content-Length"])
async def test_a_page_over_the_size_limit_is_skipped_without_reading_it_all(
    site: FakeWebsite, declared: bool
) -> None:
    size = 32_000_000
    await site.write("docs/index.html", _page("big.html"))
    site.serve_large("/docs/big.html", size, declared=declared)
    limits = source_ports.SyncLimits(max_document_bytes=100_000, requests_per_second=1_000)

    items = await _read(_source(site, limits=limits))

    assert _skipped(items) == {"big.html": "larger than 100,000 bytes"}
    assert site.bytes_sent["/docs/big.html"] < size


async def test_a_page_asking_to_wait_a_little_is_asked_again(site: FakeWebsite) -> None:
    await site.write("docs/index.html", _page("a.html"))
    await site.write("docs/a.html", _page())
    site.fail("/docs/a.html", 503, headers={"Retry-After": "0"}, times=1)

    items = await _read(_source(site))

    assert "a.html" in _fetched(items)
    assert len(site.requested("/docs/a.html")) == 2


async def test_a_page_asking_to_wait_long_is_skipped_until_the_next_sync(
    site: FakeWebsite,
) -> None:
    await site.write("docs/index.html", _page("a.html"))
    site.fail("/docs/a.html", 429, headers={"Retry-After": "3600"})

    items = await _read(_source(site))

    assert _skipped(items) == {"a.html": "HTTP 429, asked to wait 3600 s"}
    assert len(site.requested("/docs/a.html")) == 1


async def test_a_page_asking_to_wait_until_a_date_past_is_asked_again(site: FakeWebsite) -> None:
    await site.write("docs/index.html", _page("a.html"))
    await site.write("docs/a.html", _page())
    site.fail("/docs/a.html", 503, headers={"Retry-After": formatdate(0, usegmt=True)}, times=1)

    items = await _read(_source(site))

    assert "a.html" in _fetched(items)
    assert len(site.requested("/docs/a.html")) == 2


async def test_a_page_that_does_not_answer_in_time_is_skipped(site: FakeWebsite) -> None:
    await site.write("docs/index.html", _page("slow.html"))
    await site.write("docs/slow.html", _page())
    site.slow("/docs/slow.html", 30)

    items = await _read(_source(site, timeout_s=0.5))

    assert _skipped(items) == {"slow.html": "timed out"}


async def test_requests_keep_to_the_pace(site: FakeWebsite) -> None:
    await site.write("docs/index.html", _page("a.html", "b.html", "c.html"))
    for path in ("docs/a.html", "docs/b.html", "docs/c.html"):
        await site.write(path, _page())

    await _read(_source(site, limits=source_ports.SyncLimits(requests_per_second=50)))

    times = [request.at for request in site.requests]
    assert len(times) == 5
    # Four intervals of 20 ms, less the first request's own connection time.
    assert times[-1] - times[0] >= 0.07


async def test_requests_keep_to_the_crawl_delay_robots_txt_asks_for(site: FakeWebsite) -> None:
    await site.write("robots.txt", "User-agent: *\nCrawl-delay: 1\n")
    await site.write("docs/index.html", _page("a.html"))
    await site.write("docs/a.html", _page())

    await _read(_source(site))

    times = [request.at for request in site.requests]
    assert [request.path for request in site.requests] == ["/robots.txt", "/docs/", "/docs/a.html"]
    assert times[2] - times[1] >= 0.9


async def test_a_crawl_delay_longer_than_a_sync_waits_makes_the_source_unavailable(
    site: FakeWebsite,
) -> None:
    await site.write("robots.txt", "User-agent: KrakenBot\nCrawl-delay: 3600\n")

    with pytest.raises(source_ports.SourceUnavailable) as refused:
        await _read(_source(site))

    assert str(refused.value) == (
        "robots.txt asks for 3600 s between requests, more than the 60 s a sync waits"
    )


async def test_an_unreachable_host_makes_the_source_unavailable() -> None:
    source = website_source.WebsiteSource(
        start_url=f"http://127.0.0.1:{free_port()}/docs/",
        include=(),
        exclude=(),
        limits=FAST,
    )

    with pytest.raises(source_ports.SourceUnavailable, match="/docs/ unreachable: ConnectError"):
        await _read(source)


@pytest.mark.parametrize("path", ["/robots.txt", "/docs/"])
async def test_a_site_refusing_the_bot_is_unavailable(site: FakeWebsite, path: str) -> None:
    await site.write("docs/index.html", _page())
    site.fail(path, 403)

    with pytest.raises(source_ports.SourceUnavailable, match="unreachable: HTTP 403"):
        await _read(_source(site))


async def test_a_start_page_that_cannot_be_read_makes_the_source_unavailable(
    site: FakeWebsite,
) -> None:
    site.fail("/docs/", 500)

    with pytest.raises(source_ports.SourceUnavailable, match="/docs/ unreachable: HTTP 500"):
        await _read(_source(site))


async def test_robots_txt_failing_disallows_all_and_says_so(site: FakeWebsite) -> None:
    await site.write("docs/sitemap.xml", _sitemap(site, "/docs/a.html"))
    await site.write("docs/a.html", _page())
    site.fail("/robots.txt", 503)

    items = await _read(_source(site, "/docs/sitemap.xml"))

    assert _skipped(items) == {"a.html": "robots.txt answered HTTP 503: read as disallowing all"}
    assert site.requested("/docs/a.html") == []
    with pytest.raises(source_ports.SourceUnavailable, match="read as disallowing all"):
        await _read(_source(site))
