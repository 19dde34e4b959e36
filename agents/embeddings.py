"""The embedding model that turns passages and questions into vectors, through pydantic-ai's
`Embedder`: `EMBEDDING_MODEL` takes any embedder string pydantic-ai knows (with
`EMBEDDING_BASE_URL`, an OpenAI-compatible server such as Ollama's); empty (or `offline`) means
the offline model that comes installed; `none` leaves search to words alone."""

import logging
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings
from pydantic_ai import Embedder
from pydantic_ai.embeddings import EmbeddingModel, EmbeddingResult, infer_embedding_model
from pydantic_ai.exceptions import UserError
from pydantic_ai.providers.openai import OpenAIProvider

from agents import errors, offline_embedding, usage
from domain import records

NONE = "none"
OFFLINE = "offline"
OFFLINE_NAME = f"{offline_embedding.SYSTEM}:{offline_embedding.MODEL_NAME}"
# One batch of passages, from request to vectors.
EMBED_DEADLINE_S = 120
# A question's vector: past this, the search goes on by words alone.
QUERY_DEADLINE_S = 5

logger = logging.getLogger(__name__)


class InvalidEmbeddingModel(Exception):
    """`EMBEDDING_MODEL` does not name an embedding model pydantic-ai can use."""


UsageSink = Callable[[records.Usage], None]


@dataclass(frozen=True, kw_only=True)
class PassageEmbedder:
    """An embedding model, with the name its vectors are kept under; `on_usage` is told the
    tokens and cost of each call."""

    name: str
    embedder: Embedder
    on_usage: UsageSink | None = None

    async def embed(self, texts: Sequence[str]) -> list[Sequence[float]]:
        """The vectors of the texts, in order, all of one size.

        Raises: UnableToAnswer.
        """
        async with errors.model_failures_as("Unable to embed passages", within_s=EMBED_DEADLINE_S):
            result = await self.embedder.embed_documents(list(texts))
        self._count(result)
        vectors = result.embeddings
        sizes = {len(vector) for vector in vectors}
        if len(vectors) != len(texts) or len(sizes) != 1:
            raise errors.UnableToAnswer(
                f"Unable to embed passages: {len(vectors)} vectors of sizes {sorted(sizes)} "
                f"for {len(texts)} texts"
            )
        return list(vectors)

    async def embed_query(self, text: str) -> Sequence[float] | None:
        """The question's vector, or None (and a warning in the log) when the model fails."""
        try:
            async with errors.model_failures_as(
                "Unable to embed the question", within_s=QUERY_DEADLINE_S
            ):
                result = await self.embedder.embed_query(text)
        except errors.UnableToAnswer as error:
            logger.warning("Searching by words alone: %s (%s)", error, self.name)
            return None
        self._count(result)
        if len(result.embeddings) != 1:
            logger.warning(
                "Searching by words alone: %d vectors for one question (%s)",
                len(result.embeddings),
                self.name,
            )
            return None
        return result.embeddings[0]

    def _count(self, result: EmbeddingResult) -> None:
        if self.on_usage is not None:
            self.on_usage(usage.embedding_usage(result))


def configured_embedder(*, on_usage: UsageSink | None = None) -> PassageEmbedder | None:
    """The configured embedding model, or None when meaning-based search is off.

    Raises: InvalidEmbeddingModel.
    """
    name = settings.EMBEDDING_MODEL
    if name == NONE:
        return None
    if name in ("", OFFLINE):
        model: EmbeddingModel = _offline_model()
        name = OFFLINE_NAME
    else:
        model = _embedding_model(name, settings.EMBEDDING_BASE_URL)
    return PassageEmbedder(name=name, embedder=Embedder(model), on_usage=on_usage)


@lru_cache(maxsize=1)
def _offline_model() -> offline_embedding.OfflineEmbeddingModel:
    """One per process: it holds the model's weights once loaded."""
    return offline_embedding.OfflineEmbeddingModel()


@lru_cache(maxsize=4)
def _embedding_model(name: str, base_url: str) -> EmbeddingModel:
    provider, _, model_name = name.partition(":")
    if base_url and provider != "openai":
        raise InvalidEmbeddingModel(
            f"EMBEDDING_BASE_URL works with openai: embedding models, not {name!r}"
        )
    try:
        if not base_url:
            return infer_embedding_model(name)
        return infer_embedding_model(
            f"openai:{model_name}",
            provider_factory=lambda _: OpenAIProvider(
                base_url=base_url, api_key=os.environ.get("OPENAI_API_KEY") or "unused"
            ),
        )
    # A provider whose optional package is not installed raises ImportError, saying which.
    except (UserError, ValueError, ImportError) as error:
        raise InvalidEmbeddingModel(f"EMBEDDING_MODEL {name!r}: {error}") from None
