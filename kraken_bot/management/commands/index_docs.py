"""`manage.py index_docs PATH`: index a folder of documentation for search, incrementally."""

from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils import timezone

from application import index_documents, source_ports, sync_documents
from kraken_bot.management.base import AsyncCommand
from kraken_bot.management.embedding import EmbedsNewPassages


class Command(EmbedsNewPassages, AsyncCommand):
    help = (
        "Index the Markdown, reStructuredText, text, HTML and PDF files under PATH: new and "
        "changed files are split into passages, "
        "deleted ones removed, unchanged ones skipped. Files that cannot be indexed (links to "
        "outside PATH among them) are skipped, one line each saying why. A run that would remove "
        "more than half of the collection's documents is refused without --prune."
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
            sync_documents.InvalidCollectionName,
        ) as error:
            raise CommandError(str(error)) from None
        except sync_documents.WouldRemoveDocuments as error:
            self._show_skipped(error.skipped)
            for path in error.paths:
                self.stderr.write(f"Would remove {path}")
            raise CommandError(
                f"{error} Index it into a collection of its own with --collection NAME, or run "
                "again with --prune to remove them."
            ) from None
        self._show_skipped(report.skipped)
        self.stdout.write(f"Indexed {options['path']} into {collection!r}: {report.counts()}.")
        await self.embed_new_passages()

    def _show_skipped(self, skipped: tuple[source_ports.SkippedDocument, ...]) -> None:
        for file in skipped:
            self.stderr.write(f"Skipped {file.path}: {file.reason}")

    async def _show_progress(self, *, done: int, total: int, path: str) -> None:
        ending = "\n" if done == total else ""
        self.stdout.write(f"\r\x1b[2K{done}/{total} files  {path}"[:200], ending=ending)
        self.stdout.flush()
