"""The passages nearest in meaning to a question: exact search over an embedding model's vectors.

Each process holds a model's vectors in memory as one matrix (scaled to length 1, so that a
matrix product gives every passage's cosine similarity at once), and checks before each search,
with one small query, that they are still all of them: the count of the model's vectors and the
time of the newest. Passages deleted or embedded since bring a reload. An exact search over a
float32 matrix stays fast up to a few hundred thousand passages (see docs/search.md for what to
do past that).
"""

import threading
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from django.db import connection
from django.db.models import Count, Max

from data import models


class WrongSize(ValueError):
    """The question's vector and the passages' vectors are not all of one size."""


@dataclass(frozen=True, kw_only=True)
class HeldVectors:
    """One model's vectors as this process holds them: a row per passage, scaled to length 1."""

    version: tuple[int, object]
    passage_ids: np.ndarray
    collections: np.ndarray
    matrix: np.ndarray

    def __bool__(self) -> bool:
        return bool(len(self.passage_ids))

    def nearest(
        self, *, vector: Sequence[float], collections: Sequence[str], count: int
    ) -> list[int]:
        """The ids of the `count` passages nearest to `vector`, nearest first, from these
        collections (none: all).

        Raises: WrongSize.
        """
        if not self:
            return []
        query = np.asarray(vector, dtype=np.float32)
        if query.shape != (self.matrix.shape[1],):
            raise WrongSize(
                f"the question's vector has {query.size} values, the passages' "
                f"{self.matrix.shape[1]}"
            )
        similarity = self.matrix @ (query / max(float(np.linalg.norm(query)), 1e-12))
        if collections:
            chosen = np.isin(self.collections, list(collections))
            similarity = np.where(chosen, similarity, -np.inf)
        best = np.argpartition(-similarity, min(count, len(similarity)) - 1)[:count]
        ranked = best[np.argsort(-similarity[best], kind="stable")]
        return [int(self.passage_ids[index]) for index in ranked if similarity[index] > -np.inf]


_held: dict[tuple[str, str], HeldVectors] = {}
_loading = threading.Lock()


def held_vectors(*, model: str) -> HeldVectors:
    """`model`'s vectors of every passage, as held by this process, reloaded first if passages
    were embedded or removed since they were loaded."""
    key = (str(connection.settings_dict["NAME"]), model)
    version = _version(model)
    held = _held.get(key)
    if held is not None and held.version == version:
        return held
    with _loading:
        held = _held.get(key)
        if held is None or held.version != version:
            held = _load(model, version=version)
            _held[key] = held
    return held


def _version(model: str) -> tuple[int, object]:
    figures = models.PassageVector.objects.filter(model=model).aggregate(
        count=Count("id"), newest=Max("embedded_at")
    )
    return figures["count"], figures["newest"]


def _load(model: str, *, version: tuple[int, object]) -> HeldVectors:
    rows = list(
        models.PassageVector.objects.filter(model=model)
        .order_by("passage_id")
        .values_list("passage_id", "passage__document__collection", "vector")
    )
    if not rows:
        return HeldVectors(
            version=version,
            passage_ids=np.zeros(0, dtype=np.int64),
            collections=np.zeros(0, dtype=object),
            matrix=np.zeros((0, 0), dtype=np.float32),
        )
    vectors = [np.frombuffer(bytes(vector), dtype=np.float32) for _, _, vector in rows]
    if len({vector.size for vector in vectors}) > 1:
        raise WrongSize(f"the vectors of {model} are not all of one size")
    matrix = np.stack(vectors)
    norms = np.maximum(np.linalg.norm(matrix, axis=1, keepdims=True), 1e-12)
    return HeldVectors(
        version=version,
        passage_ids=np.array([passage_id for passage_id, _, _ in rows], dtype=np.int64),
        collections=np.array([collection for _, collection, _ in rows], dtype=object),
        matrix=(matrix / norms).astype(np.float32),
    )
