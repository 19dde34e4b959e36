"""An embedding model for tests: each word of a text adds to one of a few dimensions (by a hash of
the word), so texts that share words point the same way; words given as `synonyms` count as the
word they stand for, so that texts can mean the same in different words. Deterministic, instant,
no network; it can be told to fail or to give vectors of a wrong size, as a provider might."""

import hashlib
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from pydantic_ai.embeddings import EmbeddingModel, EmbeddingResult, EmbeddingSettings
from pydantic_ai.embeddings.result import EmbedInputType
from pydantic_ai.exceptions import ModelHTTPError
from pydantic_ai.usage import RequestUsage


@dataclass(init=False)
class WordsEmbeddingModel(EmbeddingModel):
    dimensions: int
    failing: bool
    ragged: bool
    synonyms: Mapping[str, str]
    calls: list[list[str]] = field(default_factory=list)

    def __init__(
        self,
        *,
        dimensions: int = 32,
        failing: bool = False,
        ragged: bool = False,
        synonyms: Mapping[str, str] | None = None,
    ) -> None:
        """`failing`: every call fails as a provider that is down; `ragged`: the last vector of a
        call is one value short."""
        self.dimensions = dimensions
        self.failing = failing
        self.ragged = ragged
        self.synonyms = synonyms or {}
        self.calls = []
        super().__init__()

    @property
    def model_name(self) -> str:
        return f"words-{self.dimensions}"

    @property
    def system(self) -> str:
        return "fake"

    async def embed(
        self,
        inputs: str | Sequence[str],
        *,
        input_type: EmbedInputType,
        settings: EmbeddingSettings | None = None,
    ) -> EmbeddingResult:
        texts, _ = self.prepare_embed(inputs, settings)
        self.calls.append(texts)
        if self.failing:
            raise ModelHTTPError(status_code=503, model_name=self.model_name, body="overloaded")
        vectors = [self._vector(text) for text in texts]
        if self.ragged:
            vectors[-1] = vectors[-1][:-1]
        return EmbeddingResult(
            embeddings=vectors,
            inputs=texts,
            input_type=input_type,
            model_name=self.model_name,
            provider_name=self.system,
            usage=RequestUsage(input_tokens=sum(len(text.split()) for text in texts)),
        )

    def _vector(self, text: str) -> list[float]:
        return words_vector(text, dimensions=self.dimensions, synonyms=self.synonyms)


def words_vector(text: str, *, dimensions: int, synonyms: Mapping[str, str]) -> list[float]:
    """Each word (or the word it stands for) adds to one dimension, by a hash of the word."""
    vector = [0.0] * dimensions
    for written in text.lower().split():
        word = synonyms.get(written, written)
        vector[int(hashlib.sha256(word.encode()).hexdigest(), 16) % dimensions] += 1.0
    norm = math.sqrt(sum(value * value for value in vector)) or 1.0
    return [value / norm for value in vector]
