"""`manage.py sources add|list|sync|remove`: the documentation sources, from a terminal."""

import argparse
from typing import Any

from django.conf import settings
from django.core.management.base import CommandError, CommandParser
from django.utils import timezone

from application import sync_source
from domain import operations, queries, records
from kraken_bot import sources
from kraken_bot.management.base import AsyncCommand
from kraken_bot.management.embedding import EmbedsNewPassages


class Command(EmbedsNewPassages, AsyncCommand):
    help = (
        "Manage documentation sources: a folder, a git repository, a web site, a Confluence space "
        "or Notion pages, each feeding a collection, synced now or on a schedule."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        add = actions.add_parser("add", help="Add a source, or change the one of that name.")
        add.add_argument("name", help="The source's name, unique.")
        add.add_argument(
            "--kind", required=True, choices=[kind.value for kind in records.SourceKind]
        )
        add.add_argument(
            "--location",
            required=True,
            help="The folder, the repository (URL or path), the start page or sitemap, the "
            "Confluence site (https://example.atlassian.net/wiki), or the Notion page or "
            "database id.",
        )
        add.add_argument("--collection", help="The collection it feeds (default: its name).")
        add.add_argument("--branch", help="git: the branch (default: the repository's own).")
        add.add_argument(
            "--base-url",
            help="folder and git: links to documents are BASE_URL/<path> "
            "(git: e.g. https://github.com/org/repo/blob/main).",
        )
        add.add_argument("--include", action="append", default=[], help="Glob of paths to take.")
        add.add_argument("--exclude", action="append", default=[], help="Glob of paths to leave.")
        add.add_argument("--space", help="confluence: the space's key.")
        add.add_argument(
            "--root-kind", choices=["page", "database"], help="notion: what --location names."
        )
        add.add_argument(
            "--credential",
            action="append",
            default=[],
            metavar="ROLE=VARIABLE",
            help="The environment variable holding a secret: confluence email= and token=, "
            "notion token=. The secret itself is never stored.",
        )
        add.add_argument(
            "--every", type=_minutes, help="Sync every N minutes (default: only when asked)."
        )
        actions.add_parser("list", help="List the sources and how their last sync went.")
        sync = actions.add_parser("sync", help="Sync sources now, here, and show the counts.")
        sync.add_argument("names", nargs="*", help="The sources to sync (default: all).")
        sync.add_argument(
            "--prune",
            action="store_true",
            help="Remove the documents a source no longer has even when they are most of them.",
        )
        remove = actions.add_parser("remove", help="Remove a source and its documents.")
        remove.add_argument("name")

    async def ahandle(self, *args: Any, **options: Any) -> None:
        match options["action"]:
            case "add":
                await self._add(options)
            case "list":
                await self._list()
            case "sync":
                await self._sync(options["names"], prune=options["prune"])
            case "remove":
                await self._remove(options["name"])

    async def _add(self, options: dict[str, Any]) -> None:
        kind = records.SourceKind(options["kind"])
        source_options = {
            key: value
            for key, value in (
                ("branch", options["branch"]),
                ("base_url", options["base_url"]),
                ("include", options["include"]),
                ("exclude", options["exclude"]),
                ("space", options["space"]),
                ("root_kind", options["root_kind"]),
            )
            if value
        }
        missing = [
            name for name in sources.REQUIRED_OPTIONS.get(kind, ()) if name not in source_options
        ]
        if missing:
            raise CommandError(f"A {kind} source needs --{missing[0].replace('_', '-')}")
        source = await operations.save_source(
            name=options["name"],
            kind=kind,
            collection=options["collection"] or options["name"],
            location=options["location"],
            options=source_options,
            credentials=_credentials(options["credential"]),
            every_minutes=options["every"],
        )
        every = f", every {source.every_minutes} minutes" if source.every_minutes else ""
        self.stdout.write(
            f"Source {source.name!r} ({kind}) feeds {source.collection!r}{every}: "
            f"sync it with `manage.py sources sync {source.name}`."
        )

    async def _list(self) -> None:
        for source in await queries.list_sources():
            ended = (
                source.sync_finished_at.isoformat(timespec="seconds")
                if source.sync_finished_at
                else "-"
            )
            line = (
                f"{source.name}  {source.kind}  {source.location}  → {source.collection}  "
                f"{source.outcome}  {ended}"
            )
            self.stdout.write(line + (f"  {source.last_error}" if source.last_error else ""))

    async def _remove(self, name: str) -> None:
        try:
            removed = await operations.remove_source(name=name)
        except queries.SourceNotFound as error:
            raise CommandError(str(error)) from None
        self.stdout.write(f"Removed {name!r} and its {removed} documents.")

    async def _sync(self, names: list[str], *, prune: bool) -> None:
        try:
            chosen = [
                await queries.get_source(name=name) for name in names
            ] or await queries.list_sources()
        except queries.SourceNotFound as error:
            raise CommandError(str(error)) from None
        failed = []
        for source in chosen:
            try:
                report = await sync_source.sync_source(
                    source=source,
                    reader_for=sources.reader_for,
                    now=timezone.now(),
                    deadline_s=settings.SYNC_TIMEOUT_S,
                    prune=prune,
                )
            except sync_source.SyncFailed as error:
                self.stderr.write(f"{source.name}: failed: {error}")
                failed.append(source.name)
                continue
            for skipped in report.skipped:
                self.stderr.write(f"{source.name}: skipped {skipped.path}: {skipped.reason}")
            self.stdout.write(f"{source.name}: {report.counts()}.")
        await self.embed_new_passages()
        if failed:
            raise CommandError(
                f"{len(failed)} of {len(chosen)} sources failed: {', '.join(failed)}"
            )


def _credentials(pairs: list[str]) -> dict[str, str]:
    found = {}
    for pair in pairs:
        role, _, variable = pair.partition("=")
        if not role or not variable:
            raise CommandError(f"--credential takes ROLE=VARIABLE, not {pair!r}")
        found[role] = variable
    return found


def _minutes(value: str) -> int:
    try:
        minutes = int(value)
    except ValueError:
        minutes = 0
    if minutes < 1:
        raise argparse.ArgumentTypeError(f"a number of minutes, 1 or more, not {value!r}")
    return minutes
