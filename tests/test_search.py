import datetime as dt
import io
import json
from pathlib import Path

import pytest
from asgiref.sync import sync_to_async
from django.core.management import CommandError, call_command

from domain import operations, passages, records, search, search_index

_NOW = dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC)


async def _store(path: str, text: str, *, collection: str = "handbook") -> None:
    await operations.store_document(
        collection=collection,
        path=path,
        url="",
        checksum=path,
        outline=passages.split_document(path=path, text=text),
        now=_NOW,
    )


async def _handbook() -> None:
    await _store(
        "ops/database.md",
        "# Database\n\n## Rotating passwords\n\nUse the vault CLI, then restart the workers.\n",
    )
    await _store(
        "ops/workers.md",
        "# Workers\n\n## Restarting\n\nWorkers restart on deploy. The database password is read "
        "at start-up, so a password change needs a restart. Passwords live in the vault.\n",
    )
    await _store("people/holidays.md", "# Holidays\n\nBook them early in the calendar.\n")


async def test_a_title_and_heading_match_ranks_above_a_text_match() -> None:
    await _handbook()

    hits = await search.search_passages(query="rotating database passwords")

    assert [hit.path for hit in hits] == ["ops/database.md", "ops/workers.md"]
    assert hits[0].score > hits[1].score
    assert hits[0].heading == "Database › Rotating passwords"
    assert hits[0].title == "Database"


async def test_a_hit_has_a_snippet_around_the_matching_words() -> None:
    await _store(
        "long.md", "# Notes\n\n" + "Filler words here. " * 40 + "The pager rota is online."
    )

    [hit] = await search.search_passages(query="pager rota")

    assert "pager rota" in hit.snippet
    assert hit.snippet.startswith("…")
    assert len(hit.snippet) < len(hit.text)


async def test_code_identifiers_match_the_words_they_are_made_of() -> None:
    await _store("limits.md", "# Limits\n\nPass `UsageLimits` to cap a run; see usage_limits.\n")
    await _store("other.md", "# Other\n\nNothing about it.\n")

    by_words = await search.search_passages(query="usage limits")
    by_identifier = await search.search_passages(query="how do I set usage_limits?")

    assert [hit.path for hit in by_words] == ["limits.md"]
    assert [hit.path for hit in by_identifier] == ["limits.md"]


@pytest.mark.parametrize(
    ("text", "query"),
    [
        pytest.param("Edit the con\ufb01guration \ufb01le.", "configuration file", id="ligatures"),
        pytest.param("Send your re\u0301sume\u0301 to HR.", "r\u00e9sum\u00e9", id="decomposed"),
        pytest.param("Send your r\u00e9sum\u00e9 to HR.", "re\u0301sume\u0301", id="asked-so"),
    ],
)
async def test_the_same_letters_match_however_unicode_writes_them(text: str, query: str) -> None:
    """A PDF's text has ligatures (ﬁ), a Mac's accents come apart (e + ´)."""
    await _store("letters.md", f"# Letters\n\n{text}\n")
    await _store("other.md", "# Other\n\nNothing about it.\n")

    hits = await search.search_passages(query=query)

    assert [hit.path for hit in hits] == ["letters.md"]


async def test_different_files_come_before_a_second_passage_of_one_file() -> None:
    await _store(
        "deploy.md",
        "# Deploy\n\n## Deploy the web\n\nDeploy web.\n\n## Deploy workers\n\nDeploy workers.\n",
    )
    await _store("checklist.md", "# Checklist\n\nBefore you deploy, tell the team.\n")

    hits = await search.search_passages(query="deploy")

    assert [hit.path for hit in hits] == ["deploy.md", "checklist.md", "deploy.md"]


async def test_the_words_of_a_path_with_a_dot_in_a_folder_are_all_searched() -> None:
    await _store("guides/v2.1/payroll/restart", "# Restart\n\nRun the tool.\n")
    await _store("guides/v2.1/deploy.md", "# Deploy\n\nRun the tool.\n")

    by_folder = await search.search_passages(query="payroll")
    by_name = await search.search_passages(query="deploy")

    assert [hit.path for hit in by_folder] == ["guides/v2.1/payroll/restart"]
    assert [hit.path for hit in by_name] == ["guides/v2.1/deploy.md"]


async def test_the_collection_filter_keeps_other_collections_out() -> None:
    await _store("vpn.md", "# VPN\n\nConnect to the VPN first.\n", collection="it")
    await _store("vpn.md", "# VPN\n\nThe VPN bill is paid yearly.\n", collection="finance")
    await _store("vpn.md", "# VPN\n\nThe VPN is on the office wall.\n", collection="office")

    hits = await search.search_passages(query="vpn", collections=["finance"])
    two = await search.search_passages(query="vpn", collections=["finance", "office"])
    everywhere = await search.search_passages(query="vpn")

    assert [(hit.collection, hit.path) for hit in hits] == [("finance", "vpn.md")]
    assert {hit.collection for hit in two} == {"finance", "office"}
    assert {hit.collection for hit in everywhere} == {"it", "finance", "office"}


async def test_a_collection_finds_its_passages_when_the_rarest_word_is_only_elsewhere() -> None:
    await _store("vault.md", "# Vault\n\nThe vault unseals at boot.\n", collection="it")
    await operations.store_document(
        collection="other",
        path="passwords.md",
        url="",
        checksum="passwords.md",
        outline=passages.Outline(
            title="Passwords",
            sections=tuple(
                passages.Section(heading=f"Rule {n}", text=f"Password rule number {n}.")
                for n in range(1_000)
            ),
        ),
        now=_NOW,
    )
    await _store(
        "payroll.md", "# Payroll\n\nThe payroll password is kept safe.\n", collection="finance"
    )

    hits = await search.search_passages(query="vault password", collections=["finance"])

    assert [(hit.collection, hit.path) for hit in hits] == [("finance", "payroll.md")]


async def test_a_re_stored_document_is_found_by_its_new_text_only() -> None:
    await _store("pager.md", "# Pager\n\nThe pager is orange.\n")
    await _store("pager.md", "# Pager\n\nThe pager is purple.\n")

    assert await search.search_passages(query="orange") == []
    assert [hit.text for hit in await search.search_passages(query="purple")] == [
        "The pager is purple."
    ]


async def test_removed_documents_are_no_longer_found() -> None:
    await _store("pager.md", "# Pager\n\nThe pager is orange.\n")

    await operations.remove_documents(collection="handbook", paths=["pager.md"])

    assert await search.search_passages(query="pager") == []


async def test_the_word_counts_follow_the_passages_as_documents_change() -> None:
    words = ["vault", "restart", "missing"]
    counted = sync_to_async(search_index.passage_counts)
    await _store("keys.md", "# Keys\n\nRotate the vault keys.\n")
    await _store("workers.md", "# Workers\n\nRestarting them after a vault change.\n")
    both = await counted(words=words)

    await _store("workers.md", "# Workers\n\nThey restart on deploy.\n")
    re_stored = await counted(words=words)
    await operations.remove_documents(collection="handbook", paths=["keys.md"])
    removed = await counted(words=words)
    await sync_to_async(call_command)("flush", interactive=False, verbosity=0)
    flushed = await counted(words=words)

    assert both == search_index.PassageCounts(
        total=2, by_word={"vault": 2, "restart": 1, "missing": 0}
    )
    assert re_stored.by_word == {"vault": 1, "restart": 1, "missing": 0}
    assert removed == search_index.PassageCounts(
        total=1, by_word={"vault": 0, "restart": 1, "missing": 0}
    )
    assert flushed == search_index.PassageCounts(
        total=0, by_word={"vault": 0, "restart": 0, "missing": 0}
    )


async def test_a_word_of_an_indexed_passage_is_never_counted_as_held_by_none() -> None:
    await _store("stance.md", "# Stance\n\nWe argue against it, over and over.\n")
    await _store("other.md", "# Other\n\nNothing here.\n")

    counts = await sync_to_async(search_index.passage_counts)(words=["against", "over", "argue"])

    assert all(1 <= count <= counts.total for count in counts.by_word.values())


async def test_the_limit_caps_the_hits() -> None:
    for n in range(4):
        await _store(f"page-{n}.md", f"# Page {n}\n\nThe vault holds secrets.\n")

    assert len(await search.search_passages(query="vault", limit=3)) == 3
    with pytest.raises(search.InvalidLimit):
        await search.search_passages(query="vault", limit=0)


@pytest.mark.parametrize("query", ["", "   ", "\n\t", "?!", "🙂🙂", "the how do i", "'\"()"])
async def test_a_query_without_searchable_words_finds_nothing(query: str) -> None:
    await _handbook()

    assert await search.search_passages(query=query) == []


@pytest.mark.parametrize(
    "query",
    [
        '"unbalanced quote',
        "(unbalanced (parens",
        "database AND OR NOT",
        "NEAR(database password, 2)",
        "data* ^start column:database -excluded +plus",
        "password'; DROP TABLE data_passage; --",
        "database\\ password %s %% ? :name",
        "database & | ! <-> :* 'password'",
        "{database} [password] <workers>",
        "🙂 database 🔑 password",
        "base de données mot de passe",
        "NULL",
        "against nor yourselves",
        "x" * 5_000,
        " ".join(["password"] * 500),
        "\x00database",
    ],
)
async def test_hostile_queries_are_searched_as_plain_words(query: str) -> None:
    await _handbook()

    hits = await search.search_passages(query=query)

    assert all(isinstance(hit.score, float) for hit in hits)
    assert await search.search_passages(query="rotating passwords") != []


async def test_operators_in_a_query_are_words_not_operators() -> None:
    await _handbook()

    hits = await search.search_passages(query="holidays NOT calendar")

    assert [hit.path for hit in hits] == ["people/holidays.md"]


def test_the_search_command_prints_hits_as_json(tmp_path: Path) -> None:
    (tmp_path / "database.md").write_text("# Database\n\n## Passwords\n\nRotate with vault.\n")
    call_command(
        "index_docs", str(tmp_path), "--base-url", "https://docs.example.com", stdout=io.StringIO()
    )
    output = io.StringIO()

    call_command("search", "rotate passwords", "--limit", "3", "--json", stdout=output)

    result = json.loads(output.getvalue())
    assert result["query"] == "rotate passwords"
    [hit] = result["hits"]
    assert set(hit) == {
        "passage_id",
        "collection",
        "path",
        "url",
        "title",
        "heading",
        "text",
        "snippet",
        "score",
        "word_rank",
        "vector_rank",
    }
    assert (hit["word_rank"], hit["vector_rank"]) == (1, 1)  # the offline embedding model's
    assert hit["path"] == "database.md"
    assert hit["url"] == "https://docs.example.com/database.md#passwords"
    assert hit["heading"] == "Database › Passwords"
    assert hit["snippet"] == "Rotate with vault."


def test_the_search_command_prints_numbered_hits_for_people(tmp_path: Path) -> None:
    (tmp_path / "database.md").write_text("# Database\n\nRotate with vault.\n")
    call_command("index_docs", str(tmp_path), stdout=io.StringIO())
    found, missing = io.StringIO(), io.StringIO()

    call_command("search", "vault", stdout=found)
    call_command("search", "nothing-like-this", stdout=missing)

    assert found.getvalue().startswith("1. Database  (database.md, score ")
    assert "   Rotate with vault." in found.getvalue()
    assert missing.getvalue().strip() == "No passages found."


@pytest.mark.parametrize("limit", ["0", "five"])
def test_the_search_command_says_what_a_limit_must_be(limit: str) -> None:
    with pytest.raises(CommandError, match=f"--limit: a whole number of at least 1, not '{limit}'"):
        call_command("search", "vault", "--limit", limit, stdout=io.StringIO())


async def test_when_rarer_words_fill_the_budget_a_commoner_word_alone_does_not_make_a_hit(
    monkeypatch,
) -> None:
    monkeypatch.setattr(search, "_CANDIDATE_POSTINGS", 3)
    for n in range(5):
        await _store(f"page-{n}.md", f"# Page {n}\n\nThe service runs.\n")
    await _store("pager.md", "# Pager\n\nThe service pages the on-call engineer.\n")

    rare_and_common = await search.search_passages(query="service pager")
    only_common = await search.search_passages(query="service", limit=10)

    assert [hit.path for hit in rare_and_common] == ["pager.md"]
    assert len(only_common) == 6


@pytest.mark.parametrize(
    ("document_url", "anchor", "link"),
    [
        ("https://docs.example.com/a.html", "rollback", "https://docs.example.com/a.html#rollback"),
        ("https://docs.example.com/a.pdf", "page=2", "https://docs.example.com/a.pdf#page=2"),
        # What would end a Markdown or Slack link, or is not ASCII, is percent-encoded.
        ("https://x.example/a", "c(1)|>é", "https://x.example/a#c%281%29%7C%3E%C3%A9"),
        ("https://x.example/a#top", "rollback", "https://x.example/a#top"),
        ("https://x.example/a", "", "https://x.example/a"),
        ("", "rollback", ""),
    ],
)
def test_a_passage_links_to_its_section_when_its_document_has_a_link(
    document_url: str, anchor: str, link: str
) -> None:
    assert records.passage_link(document_url=document_url, anchor=anchor) == link
