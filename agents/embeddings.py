"""The embedding model that turns passages into vectors, through pydantic-ai's `Embedder`:
`EMBEDDING_MODEL` takes any embedder string pydantic-ai knows (with `EMBEDDING_BASE_URL`, an
OpenAI-compatible server such as Ollama's); `none`, or no model, leaves search to words alone."""

import os
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings
from pydantic_ai import Embedder
from pydantic_ai.embeddings import EmbeddingModel, infer_embedding_model
from pydantic_ai.exceptions import UserError
from pydantic_ai.providers.openai import OpenAIProvider

from agents import errors

NONE = "none"
# One batch of passages, from request to vectors.
EMBED_DEADLINE_S = 120


class InvalidEmbeddingModel(Exception):
    """`EMBEDDING_MODEL` does not name an embedding model pydantic-ai can use."""


@dataclass(frozen=True, kw_only=True)
class PassageEmbedder:
    """An embedding model, with the name its vectors are kept under."""

    name: str
    embedder: Embedder

    async def embed(self, texts: Sequence[str]) -> list[Sequence[float]]:
        """The vectors of the texts, in order, all of one size.

        Raises: UnableToAnswer.
        """
        async with errors.model_failures_as("Unable to embed passages", within_s=EMBED_DEADLINE_S):
            result = await self.embedder.embed_documents(list(texts))
        vectors = result.embeddings
        sizes = {len(vector) for vector in vectors}
        if len(vectors) != len(texts) or len(sizes) != 1:
            raise errors.UnableToAnswer(
                f"Unable to embed passages: {len(vectors)} vectors of sizes {sorted(sizes)} "
                f"for {len(texts)} texts"
            )
        return list(vectors)


def configured_embedder() -> PassageEmbedder | None:
    """The configured embedding model, or None when meaning-based search is off.

    Raises: InvalidEmbeddingModel.
    """
    name = settings.EMBEDDING_MODEL
    if name in ("", NONE):
        return None
    return PassageEmbedder(
        name=name, embedder=Embedder(_embedding_model(name, settings.EMBEDDING_BASE_URL))
    )


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
    except (UserError, ValueError) as error:
        raise InvalidEmbeddingModel(f"EMBEDDING_MODEL {name!r}: {error}") from None
