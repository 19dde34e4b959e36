"""An OpenAI-compatible embeddings server (the fake, on 127.0.0.1) as the embedding model: what is
indexed is embedded through it, questions are searched by meaning with it, and when it fails,
nothing indexed is lost and search goes on by words."""

import asyncio
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from django.utils import timezone
from pydantic_ai import Embedder
from pydantic_ai.embeddings import TestEmbeddingModel
from pydantic_ai.models import override_allow_model_requests

from agents import embeddings
from application import embed_passages, index_documents
from data import models
from domain import records, search
from fakes.openai import FakeOpenAI, fake_openai_server

MODEL = "openai:text-embedding-3-small"
SYNONYMS = {"fire": "send", "one-off": "single", "prompt": "request"}


@pytest.fixture
async def server(settings) -> AsyncIterator[FakeOpenAI]:
    async with fake_openai_server() as fake:
        fake.embeddings.synonyms = SYNONYMS
        settings.EMBEDDING_MODEL = MODEL
        settings.EMBEDDING_BASE_URL = fake.base_url
        with override_allow_model_requests(True):
            yield fake


@pytest.fixture
async def handbook(tmp_path: Path) -> Path:
    for name, text in {
        "direct.md": "# Direct requests\n\nSend a single request to an LLM.\n",
        "agents.md": "# Agents\n\nAn agent calls the model and its tools.\n",
    }.items():
        await asyncio.to_thread((tmp_path / name).write_text, text)
    await index_documents.index_documents(root=tmp_path, collection="handbook", now=timezone.now())
    return tmp_path


async def _embed() -> embed_passages.EmbeddingReport:
    embedder = embeddings.configured_embedder()
    assert embedder is not None
    return await embed_passages.embed_new_passages(embedder=embedder)


async def _search(question: str) -> list[records.PassageHit]:
    return await search.search_passages(
        query=question, limit=3, embedder=embeddings.configured_embedder()
    )


async def test_passages_are_embedded_through_the_server_and_questions_searched_by_meaning(
    server: FakeOpenAI, handbook: Path
) -> None:
    report = await _embed()
    hits = await _search("how do I fire a one-off prompt at the model")

    assert (report.embedded, report.model, report.stopped_by) == (2, MODEL, "")
    assert report.usage.input_tokens == sum(len(text.split()) for text in server.embedded[0])
    assert await models.PassageVector.objects.filter(model=MODEL).acount() == 2
    ranks = {hit.path: (hit.word_rank, hit.vector_rank) for hit in hits}
    assert ranks["direct.md"] == (None, 1)
    assert server.embedded[-1] == ["how do I fire a one-off prompt at the model"]


async def test_a_server_that_fails_while_indexing_loses_nothing_and_is_caught_up_later(
    server: FakeOpenAI, handbook: Path
) -> None:
    server.embeddings.status = 500

    failed = await _embed()
    found_meanwhile = await _search("agent tools")
    server.embeddings.status = 200
    caught_up = await _embed()

    assert failed.embedded == 0
    assert "Unable to embed passages" in failed.stopped_by
    assert [hit.path for hit in found_meanwhile] == ["agents.md"]
    assert caught_up.embedded == await models.Passage.objects.acount() == 2


@pytest.mark.parametrize(
    "fault",
    [
        pytest.param({"status": 503}, id="down"),
        pytest.param({"delay_s": 2.0}, id="slow"),
        pytest.param({"dimensions": 16}, id="wrong-size"),
    ],
)
async def test_a_question_the_server_cannot_embed_is_searched_by_words_and_logged(
    server: FakeOpenAI,
    handbook: Path,
    fault: dict[str, float],
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(embeddings, "QUERY_DEADLINE_S", 0.5)
    await _embed()
    for name, value in fault.items():
        setattr(server.embeddings, name, value)

    with caplog.at_level(logging.WARNING):
        hits = await _search("agent tools")

    assert [(hit.path, hit.vector_rank) for hit in hits] == [("agents.md", None)]
    warnings = [record.getMessage() for record in caplog.records if record.levelno >= 30]
    assert len(warnings) == 1
    assert warnings[0].startswith("Searching by words alone: ")


async def test_pydantic_ais_test_model_reports_the_tokens_of_each_call() -> None:
    used: list[records.Usage] = []
    embedder = embeddings.PassageEmbedder(
        name="test:test",
        embedder=Embedder(TestEmbeddingModel(dimensions=8)),
        on_usage=used.append,
    )

    vectors = await embedder.embed(["rotate the password", "book holidays"])
    question = await embedder.embed_query("how do I rotate it")

    assert [len(vector) for vector in vectors] == [8, 8]
    assert question is not None
    assert len(question) == 8
    assert [usage.model_name for usage in used] == ["test:test", "test:test"]
    assert all(usage.input_tokens for usage in used)
    assert all(usage.cost is None for usage in used)  # no price is known for it
