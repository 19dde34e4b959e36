"""`manage.py search "query"`: search the indexed documentation, for people and scripts."""

import argparse
import json
from dataclasses import asdict
from typing import Any

from django.core.management.base import CommandParser

from agents import embeddings
from domain import search
from kraken_bot.management.base import AsyncCommand


def _positive(value: str) -> int:
    if not value.isdigit() or int(value) < 1:
        raise argparse.ArgumentTypeError(f"a whole number of at least 1, not {value!r}")
    return int(value)


class Command(AsyncCommand):
    help = "Search the indexed documentation and print the best passages, best first."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("query", help="What to search for, in plain words.")
        parser.add_argument("--limit", type=_positive, default=5, help="How many passages.")
        parser.add_argument(
            "--collection",
            action="append",
            default=[],
            dest="collections",
            help="Search only this collection (repeat for several).",
        )
        parser.add_argument("--json", action="store_true", help="Print the hits as JSON.")

    async def ahandle(self, *args: Any, **options: Any) -> None:
        hits = await search.search_passages(
            query=options["query"],
            limit=options["limit"],
            collections=options["collections"],
            embedder=embeddings.configured_embedder(),
        )
        if options["json"]:
            self.stdout.write(
                json.dumps(
                    {"query": options["query"], "hits": [asdict(hit) for hit in hits]},
                    ensure_ascii=False,
                    indent=2,
                )
            )
            return
        if not hits:
            self.stdout.write("No passages found.")
        for rank, hit in enumerate(hits, start=1):
            where = hit.heading or hit.title
            self.stdout.write(
                f"{rank}. {where}  ({hit.url or hit.path}, score {hit.score:.3f}; "
                f"by words {_rank(hit.word_rank)}, by meaning {_rank(hit.vector_rank)})"
            )
            self.stdout.write(f"   {hit.snippet}")


def _rank(rank: int | None) -> str:
    return "-" if rank is None else f"#{rank}"
