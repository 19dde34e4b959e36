"""Passages' embeddings, stored per embedding model: which passages still need one, and keeping
those an embedding model computed.

A vector is kept as float32 bytes, the same on SQLite and PostgreSQL. Vectors of different models
are never mixed: each is read and written under its model's name.
"""

import array
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from data import models
from domain import records
from domain._connections import gives_back_connection


@dataclass(frozen=True, kw_only=True)
class PassageToEmbed:
    """A passage without a vector of the model: what its embedding is computed from."""

    passage_id: int
    title: str
    heading: str
    text: str

    @property
    def embedding_input(self) -> str:
        """Where the passage is (title and headings), then its text."""
        return f"{records.place_in_document(title=self.title, heading=self.heading)}\n{self.text}"


@gives_back_connection
async def passages_to_embed(*, model: str, limit: int) -> list[PassageToEmbed]:
    """Up to `limit` passages with no vector of `model`, in the order they were indexed."""
    rows = (
        models.Passage.objects.exclude(vectors__model=model)
        .select_related("document")
        .order_by("id")[:limit]
    )
    return [
        PassageToEmbed(
            passage_id=row.pk, title=row.document.title, heading=row.heading, text=row.text
        )
        async for row in rows
    ]


@gives_back_connection
async def store_vectors(*, model: str, vectors: Mapping[int, Sequence[float]]) -> int:
    """Keep the vectors of `model` by passage id; a passage deleted meanwhile is skipped, a
    vector already kept is left as it is. Returns how many were kept."""
    existing = {
        pk
        async for pk in models.Passage.objects.filter(pk__in=list(vectors)).values_list(
            "pk", flat=True
        )
    }
    rows = [
        models.PassageVector(passage_id=passage_id, model=model, vector=to_bytes(vector))
        for passage_id, vector in vectors.items()
        if passage_id in existing
    ]
    await models.PassageVector.objects.abulk_create(rows, ignore_conflicts=True)
    return len(rows)


def to_bytes(vector: Sequence[float]) -> bytes:
    return array.array("f", vector).tobytes()
