"""`manage.py index_docs PATH`: index a folder of documentation for search, incrementally."""

from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils import timezone

from application import index_documents
from kraken_bot.management.base import AsyncCommand


class Command(AsyncCommand):
    help = (
        "Index the Markdown, reStructuredText and text files under PATH: new and changed files "
        "are split into passages, deleted ones removed, unchanged ones skipped."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path, help="The folder of documentation to index.")
        parser.add_argument("--collection", default="docs", help="The collection to index into.")
        parser.add_argument(
            "--base-url", default="", help="Link documents to BASE_URL/<path> in citations."
        )

    async def ahandle(self, *args: Any, **options: Any) -> None:
        collection = options["collection"]
        try:
            report = await index_documents.index_documents(
                root=options["path"],
                collection=collection,
                base_url=options["base_url"],
                now=timezone.now(),
                progress=self._show_progress if self.stdout.isatty() else None,
            )
        except (
            index_documents.FolderNotFound,
            index_documents.InvalidBaseUrl,
            index_documents.InvalidCollectionName,
        ) as error:
            raise CommandError(str(error)) from None
        for skipped in report.skipped:
            self.stderr.write(f"Skipped {skipped.path}: {skipped.reason}")
        self.stdout.write(
            f"Indexed {options['path']} into {collection!r}: {report.added} added, "
            f"{report.updated} updated, {report.removed} removed, {report.unchanged} unchanged, "
            f"{len(report.skipped)} skipped; {report.passages} passages written."
        )

    def _show_progress(self, *, done: int, total: int, path: str) -> None:
        ending = "\n" if done == total else ""
        self.stdout.write(f"\r\x1b[2K{done}/{total} files  {path}"[:200], ending=ending)
        self.stdout.flush()
