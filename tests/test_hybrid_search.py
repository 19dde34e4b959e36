"""Search by words and by meaning together, on both databases, with embedding models that work,
fail, or give vectors of the wrong size."""

import datetime as dt
import hashlib
import logging

import pytest
from pydantic_ai import Embedder

from agents import embeddings
from application import embed_passages
from data import models
from domain import operations, passages, records, search
from fakes.embeddings import WordsEmbeddingModel

_NOW = dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC)
# Different words, one meaning: what the fake model knows and word search does not.
SYNONYMS = {"fire": "send", "one-off": "single", "prompt": "request"}


async def _store(path: str, text: str, *, collection: str = "handbook") -> None:
    await operations.store_document(
        collection=collection,
        path=path,
        url="",
        checksum=hashlib.sha256(text.encode()).hexdigest(),
        outline=passages.split_document(path=path, text=text),
        now=_NOW,
    )


async def _handbook() -> None:
    await _store("direct.md", "# Direct requests\n\nSend a single request to an LLM.\n")
    await _store(
        "agents.md", "# Agents\n\nAn agent calls the model and tools in a loop until it answers.\n"
    )
    await _store("holidays.md", "# Holidays\n\nBook them early in the calendar.\n")


def _embedder(
    name: str = "fake:words", *, dimensions: int = 32, failing: bool = False
) -> embeddings.PassageEmbedder:
    model = WordsEmbeddingModel(dimensions=dimensions, failing=failing, synonyms=SYNONYMS)
    return embeddings.PassageEmbedder(name=name, embedder=Embedder(model))


async def _embedded(embedder: embeddings.PassageEmbedder) -> None:
    report = await embed_passages.embed_new_passages(embedder=embedder)
    assert not report.stopped_by


async def test_a_passage_in_other_words_is_found_by_meaning() -> None:
    await _handbook()
    await _embedded(_embedder())
    question = "how do I fire a one-off prompt at the model"

    by_words = await search.search_passages(query=question, limit=3)
    hybrid = await search.search_passages(query=question, limit=3, embedder=_embedder())

    assert [hit.path for hit in by_words] == ["agents.md"]
    ranks = {hit.path: (hit.word_rank, hit.vector_rank) for hit in hybrid}
    assert ranks["direct.md"] == (None, 1)
    assert ranks["agents.md"][0] == 1


async def test_a_passage_found_both_ways_ranks_above_one_found_one_way() -> None:
    await _handbook()
    await _embedded(_embedder())

    hits = await search.search_passages(query="agent tools loop", limit=3, embedder=_embedder())

    assert hits[0].path == "agents.md"
    assert (hits[0].word_rank, hits[0].vector_rank) == (1, 1)
    assert hits[0].score > hits[1].score


async def test_without_an_embedder_hits_carry_their_word_rank_alone() -> None:
    await _handbook()
    await _embedded(_embedder())

    hits = await search.search_passages(query="book holidays", limit=3)

    assert [(hit.path, hit.word_rank, hit.vector_rank) for hit in hits] == [
        ("holidays.md", 1, None)
    ]


async def test_passages_not_embedded_yet_are_still_found_by_words() -> None:
    await _handbook()
    await _embedded(_embedder())
    await _store("vpn.md", "# VPN\n\nInstall the client and sign in.\n")

    hits = await search.search_passages(query="install vpn client", limit=3, embedder=_embedder())

    assert ("vpn.md", 1, None) in [(hit.path, hit.word_rank, hit.vector_rank) for hit in hits]


@pytest.mark.parametrize("question", ["zebra quokka", "the", ""])
async def test_a_question_sharing_no_word_with_the_documentation_finds_nothing(
    question: str,
) -> None:
    await _handbook()
    await _embedded(_embedder())

    assert await search.search_passages(query=question, limit=3, embedder=_embedder()) == []


async def test_an_embedding_model_that_fails_leaves_the_search_to_words_and_says_so(
    caplog: pytest.LogCaptureFixture,
) -> None:
    await _handbook()
    await _embedded(_embedder())

    with caplog.at_level(logging.WARNING):
        hits = await search.search_passages(
            query="book holidays", limit=3, embedder=_embedder(failing=True)
        )

    assert [(hit.path, hit.vector_rank) for hit in hits] == [("holidays.md", None)]
    [warning] = [record for record in caplog.records if record.levelno >= logging.WARNING]
    assert warning.getMessage().startswith("Searching by words alone: Unable to embed the question")


async def test_a_question_vector_of_the_wrong_size_leaves_the_search_to_words(
    caplog: pytest.LogCaptureFixture,
) -> None:
    await _handbook()
    await _embedded(_embedder(dimensions=32))

    with caplog.at_level(logging.WARNING):
        hits = await search.search_passages(
            query="book holidays", limit=3, embedder=_embedder(dimensions=16)
        )

    assert [(hit.path, hit.vector_rank) for hit in hits] == [("holidays.md", None)]
    [warning] = [record for record in caplog.records if record.levelno >= logging.WARNING]
    assert "the question's vector has 16 values, the passages' 32" in warning.getMessage()


async def test_vectors_of_another_model_never_take_part() -> None:
    await _handbook()
    current = _embedder("fake:new")
    await _embedded(current)
    await _store("later.md", "# Later\n\nFire one prompt, alone, at the model.\n")
    await _embedded(_embedder("fake:old"))

    hits = await search.search_passages(
        query="fire a prompt at the model", limit=5, embedder=current
    )

    ranks = {hit.path: (hit.word_rank, hit.vector_rank) for hit in hits}
    assert ranks["later.md"][1] is None
    assert ranks["direct.md"] == (None, 1)


async def test_the_vectors_held_in_memory_follow_passages_embedded_and_removed() -> None:
    embedder = _embedder()
    await _handbook()
    await _embedded(embedder)
    question = "fire a prompt at the model"
    first = await search.search_passages(query=question, limit=3, embedder=embedder)
    await _store("direct.md", "# Direct requests\n\nFire one prompt, alone, at an LLM.\n")
    await _embedded(embedder)
    second = await search.search_passages(query=question, limit=3, embedder=embedder)
    await models.Document.objects.filter(path="direct.md").adelete()
    third = await search.search_passages(query=question, limit=3, embedder=embedder)

    def by_meaning(hits: list[records.PassageHit]) -> dict[str, int]:
        return {hit.path: hit.passage_id for hit in hits if hit.vector_rank is not None}

    assert "direct.md" in by_meaning(first)
    assert by_meaning(second)["direct.md"] != by_meaning(first)["direct.md"]
    assert "direct.md" not in by_meaning(third)


async def test_the_collection_filter_applies_to_the_search_by_meaning() -> None:
    await _handbook()
    await _store(
        "sending.md", "# Sending\n\nSend a single request to a model.\n", collection="runbooks"
    )
    await _embedded(_embedder())

    hits = await search.search_passages(
        query="fire a one-off prompt to a model",
        limit=5,
        collections=["runbooks"],
        embedder=_embedder(),
    )

    assert {hit.collection for hit in hits} == {"runbooks"}
