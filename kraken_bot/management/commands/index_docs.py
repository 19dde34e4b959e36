"""`manage.py index_docs PATH`: index a folder of documentation for search, incrementally."""

from decimal import Decimal
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils import timezone

from agents import embeddings
from application import embed_passages, index_documents, metrics
from kraken_bot.management.base import AsyncCommand


class Command(AsyncCommand):
    help = (
        "Index the Markdown, reStructuredText and text files under PATH: new and changed files "
        "are split into passages, deleted ones removed, unchanged ones skipped. Files that cannot "
        "be indexed (links to outside PATH among them) are skipped, one line each saying why. A "
        "run that would remove more than half of the collection's documents is refused without "
        "--prune."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path, help="The folder of documentation to index.")
        parser.add_argument("--collection", default="docs", help="The collection to index into.")
        parser.add_argument(
            "--base-url", default="", help="Link documents to BASE_URL/<path> in citations."
        )
        parser.add_argument(
            "--prune",
            action="store_true",
            help="Remove the documents whose files are gone even when they are most of the "
            "collection (an empty or another folder is refused without it).",
        )

    async def ahandle(self, *args: Any, **options: Any) -> None:
        collection = options["collection"]
        try:
            report = await index_documents.index_documents(
                root=options["path"],
                collection=collection,
                base_url=options["base_url"],
                prune=options["prune"],
                now=timezone.now(),
                progress=self._show_progress if self.stdout.isatty() else None,
            )
        except (
            index_documents.FolderNotFound,
            index_documents.InvalidBaseUrl,
            index_documents.InvalidCollectionName,
        ) as error:
            raise CommandError(str(error)) from None
        except index_documents.WouldRemoveDocuments as error:
            self._show_skipped(error.skipped)
            for path in error.paths:
                self.stderr.write(f"Would remove {path}")
            raise CommandError(
                f"{error} Index it into a collection of its own with --collection NAME, or run "
                "again with --prune to remove them."
            ) from None
        self._show_skipped(report.skipped)
        self.stdout.write(f"Indexed {options['path']} into {collection!r}: {report.counts()}.")
        await self._embed()

    async def _embed(self) -> None:
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

    def _show_skipped(self, skipped: tuple[index_documents.SkippedFile, ...]) -> None:
        for file in skipped:
            self.stderr.write(f"Skipped {file.path}: {file.reason}")

    def _show_progress(self, *, done: int, total: int, path: str) -> None:
        ending = "\n" if done == total else ""
        self.stdout.write(f"\r\x1b[2K{done}/{total} files  {path}"[:200], ending=ending)
        self.stdout.flush()


def _cost(cost: Decimal | None) -> str:
    return "" if cost is None or not cost else f", ${cost:.4f}"
