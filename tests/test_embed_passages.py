import io
from pathlib import Path

import pytest
from asgiref.sync import async_to_sync
from django.core.management import call_command
from django.db.models import Count
from pydantic_ai import Embedder

from agents import embeddings
from application import embed_passages
from data import models
from fakes.embeddings import WordsEmbeddingModel

DATABASE_RUNBOOK = """# Database runbook

## Passwords

Rotate the password with `vault rotate db`.

## Backups

Backups run nightly at 02:00.
"""
VPN = """# VPN

Install the client and sign in with SSO.
"""


def _index(folder: Path) -> None:
    call_command("index_docs", str(folder), "--collection", "handbook", stdout=io.StringIO())


@pytest.fixture
def handbook(tmp_path: Path, settings) -> Path:
    """Indexed without embedding: each test embeds with the model it is about."""
    settings.EMBEDDING_MODEL = "none"
    (tmp_path / "db.md").write_text(DATABASE_RUNBOOK)
    (tmp_path / "vpn.md").write_text(VPN)
    _index(tmp_path)
    return tmp_path


def _embedder(model: WordsEmbeddingModel, name: str = "fake:words") -> embeddings.PassageEmbedder:
    return embeddings.PassageEmbedder(name=name, embedder=Embedder(model))


def _embed(
    embedder: embeddings.PassageEmbedder,
) -> tuple[embed_passages.EmbeddingReport, list[int]]:
    progress: list[int] = []
    report = async_to_sync(embed_passages.embed_new_passages)(
        embedder=embedder, on_progress=progress.append
    )
    return report, progress


def test_every_passage_gets_a_float32_vector_once(handbook: Path) -> None:
    model = WordsEmbeddingModel(dimensions=32)
    passages = models.Passage.objects.count()

    report, progress = _embed(_embedder(model))
    again, _ = _embed(_embedder(model))

    assert (report.embedded, report.stopped_by) == (passages, "")
    assert progress == [passages]
    assert again.embedded == 0
    stored = models.PassageVector.objects.filter(model="fake:words")
    assert stored.count() == passages
    assert {len(bytes(row.vector)) for row in stored} == {32 * 4}
    assert (
        "Database runbook › Passwords\nRotate the password with `vault rotate db`."
        in (model.calls[0])
    )


def test_passages_are_embedded_in_batches_with_progress(
    handbook: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(embed_passages, "BATCH", 2)
    passages = models.Passage.objects.count()

    report, progress = _embed(_embedder(WordsEmbeddingModel()))

    assert report.embedded == passages
    assert progress == [*range(2, passages, 2), passages]


def test_only_the_passages_of_a_changed_document_are_embedded_again(handbook: Path) -> None:
    _embed(_embedder(WordsEmbeddingModel()))
    (handbook / "vpn.md").write_text(VPN + "\nAsk #it-help when it fails.\n")
    _index(handbook)
    model = WordsEmbeddingModel()

    report, _ = _embed(_embedder(model))

    assert report.embedded == 1
    assert [len(call) for call in model.calls] == [1]
    assert "it-help" in model.calls[0][0]


def test_a_new_model_embeds_everything_again_and_never_mixes_with_the_old(handbook: Path) -> None:
    passages = models.Passage.objects.count()
    _embed(_embedder(WordsEmbeddingModel(dimensions=32), name="fake:words-32"))

    report, _ = _embed(_embedder(WordsEmbeddingModel(dimensions=16), name="fake:words-16"))

    assert report.embedded == passages
    by_model = models.PassageVector.objects.values("model").annotate(count=Count("id"))
    assert {row["model"]: row["count"] for row in by_model} == {
        "fake:words-16": passages,
        "fake:words-32": passages,
    }


@pytest.mark.parametrize(
    "model",
    [
        pytest.param(WordsEmbeddingModel(failing=True), id="provider-down"),
        pytest.param(WordsEmbeddingModel(ragged=True), id="vectors-of-two-sizes"),
    ],
)
def test_a_failing_model_keeps_nothing_and_leaves_the_passages_for_later(
    handbook: Path, model: WordsEmbeddingModel
) -> None:
    report, progress = _embed(_embedder(model))
    recovered, _ = _embed(_embedder(WordsEmbeddingModel()))

    assert report.embedded == 0
    assert report.stopped_by.startswith("Unable to embed passages")
    assert progress == []
    assert recovered.embedded == models.Passage.objects.count()


def test_none_leaves_search_to_words(settings) -> None:
    settings.EMBEDDING_MODEL = "none"

    assert embeddings.configured_embedder() is None


@pytest.mark.parametrize("name", ["", "offline"])
def test_no_embedding_model_means_the_offline_one(settings, name: str) -> None:
    settings.EMBEDDING_MODEL = name

    embedder = embeddings.configured_embedder()

    assert embedder is not None
    assert embedder.name == "offline:all-MiniLM-L6-v2-int8"


@pytest.mark.parametrize(
    ("name", "base_url", "named"),
    [
        ("nonsense:model", "", "EMBEDDING_MODEL"),
        ("no-provider-prefix", "", "EMBEDDING_MODEL"),
        ("cohere:embed-v4.0", "http://127.0.0.1:1/v1", "EMBEDDING_BASE_URL"),
    ],
)
def test_an_embedding_model_pydantic_ai_cannot_use_is_refused_by_name(
    settings, name: str, base_url: str, named: str
) -> None:
    settings.EMBEDDING_MODEL = name
    settings.EMBEDDING_BASE_URL = base_url

    with pytest.raises(embeddings.InvalidEmbeddingModel, match=named):
        embeddings.configured_embedder()


def test_an_openai_compatible_server_gives_the_embedder_its_name(settings) -> None:
    settings.EMBEDDING_MODEL = "openai:nomic-embed-text"
    settings.EMBEDDING_BASE_URL = "http://127.0.0.1:11434/v1"

    embedder = embeddings.configured_embedder()

    assert embedder is not None
    assert embedder.name == "openai:nomic-embed-text"


def test_index_docs_embeds_what_it_indexed_and_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        embeddings, "configured_embedder", lambda **_: _embedder(WordsEmbeddingModel())
    )
    (tmp_path / "vpn.md").write_text(VPN)
    out = io.StringIO()

    call_command("index_docs", str(tmp_path), "--collection", "handbook", stdout=out)

    assert out.getvalue().splitlines()[-1] == "Embedded 1 passages with fake:words (9 tokens)."
    assert models.PassageVector.objects.count() == 1


def test_index_docs_embeds_with_the_offline_model_by_default(tmp_path: Path) -> None:
    (tmp_path / "vpn.md").write_text(VPN)
    (tmp_path / "db.md").write_text(DATABASE_RUNBOOK)
    out = io.StringIO()

    call_command("index_docs", str(tmp_path), "--collection", "handbook", stdout=out)

    said = out.getvalue().splitlines()[-1]
    assert said.startswith("Embedded 3 passages with offline:all-MiniLM-L6-v2-int8 (")
    assert said.endswith(" tokens).")  # counted, and free
    stored = models.PassageVector.objects.filter(model="offline:all-MiniLM-L6-v2-int8")
    assert {len(bytes(row.vector)) for row in stored} == {384 * 4}


def test_index_docs_keeps_the_index_when_embedding_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    failing = _embedder(WordsEmbeddingModel(failing=True))
    monkeypatch.setattr(embeddings, "configured_embedder", lambda **_: failing)
    (tmp_path / "vpn.md").write_text(VPN)
    err = io.StringIO()

    call_command(
        "index_docs", str(tmp_path), "--collection", "handbook", stdout=io.StringIO(), stderr=err
    )

    assert err.getvalue().startswith("Embedding stopped, the rest waits for the next run: ")
    assert models.Passage.objects.count() == 1
    assert models.PassageVector.objects.count() == 0
