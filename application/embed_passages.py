"""Embedding the passages that have no vector of the embedding model yet, so that search can find
them by meaning: new passages, those of changed documents (new rows), and every passage when the
model changes. In batches, with progress; a batch the model fails leaves its passages for the next
run, and what was kept before stays.
"""

import dataclasses
import logging
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from agents import embeddings, errors, usage
from domain import records, vectors

logger = logging.getLogger(__name__)

BATCH = 64

Progress = Callable[[int], None]


@dataclass(frozen=True, kw_only=True)
class EmbeddingReport:
    """How many passages got a vector of `model`, and what the model's calls used; `stopped_by`
    says why a run ended early."""

    model: str
    embedded: int
    usage: records.Usage
    stopped_by: str = ""


async def embed_new_passages(
    *, embedder: embeddings.PassageEmbedder, on_progress: Progress | None = None
) -> EmbeddingReport:
    """Embed every passage without a vector of the model, a batch at a time, telling
    `on_progress` the count so far after each batch."""
    embedded = 0
    spent = records.Usage(
        model_name=embedder.name, input_tokens=0, output_tokens=0, cost=Decimal(0)
    )

    def count(used: records.Usage) -> None:
        nonlocal spent
        spent = usage.add_usage(spent, used)
        if embedder.on_usage is not None:
            embedder.on_usage(used)

    counted = dataclasses.replace(embedder, on_usage=count)
    while batch := await vectors.passages_to_embed(model=embedder.name, limit=BATCH):
        try:
            found = await counted.embed([passage.embedding_input for passage in batch])
        except errors.UnableToAnswer as error:
            logger.warning("%s; %d passages left for the next run", error, len(batch))
            return EmbeddingReport(
                model=embedder.name, embedded=embedded, usage=spent, stopped_by=str(error)
            )
        embedded += await vectors.store_vectors(
            model=embedder.name,
            vectors={
                passage.passage_id: vector for passage, vector in zip(batch, found, strict=True)
            },
        )
        if on_progress is not None:
            on_progress(embedded)
    return EmbeddingReport(model=embedder.name, embedded=embedded, usage=spent)
