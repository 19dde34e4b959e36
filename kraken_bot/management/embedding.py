"""Embedding what a command has just indexed, shown on its terminal."""

from decimal import Decimal

from django.core.management.base import BaseCommand, CommandError

from agents import embeddings
from application import embed_passages, metrics


class EmbedsNewPassages(BaseCommand):
    """A command that embeds the passages it indexed, once it has."""

    async def embed_new_passages(self) -> None:
        """Embed the passages that have no vector of the embedding model yet, when one is set."""
        try:
            embedder = embeddings.configured_embedder(on_usage=metrics.count_embedding_usage)
        except embeddings.InvalidEmbeddingModel as error:
            raise CommandError(str(error)) from None
        if embedder is None:
            return
        report = await embed_passages.embed_new_passages(
            embedder=embedder,
            on_progress=self._show_embedded if self.stdout.isatty() else None,
        )
        if self.stdout.isatty() and report.embedded:
            self.stdout.write("")
        self.stdout.write(
            f"Embedded {report.embedded} passages with {report.model}"
            f" ({report.usage.input_tokens or 0:,} tokens{_cost(report.usage.cost)})."
        )
        if report.stopped_by:
            self.stderr.write(
                f"Embedding stopped, the rest waits for the next run: {report.stopped_by}"
            )

    def _show_embedded(self, embedded: int) -> None:
        self.stdout.write(f"\r\x1b[2K{embedded} passages embedded", ending="")
        self.stdout.flush()


def _cost(cost: Decimal | None) -> str:
    return "" if cost is None or not cost else f", ${cost:.4f}"
