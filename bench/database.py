"""One database's share of the benchmark, in a process of its own (Django's settings name one
database per process):

    python -m bench.database --database-url URL --json OUT [--scale S] [--parts NAME ...]

It migrates a fresh database (a temporary SQLite file for `sqlite:`, or the PostgreSQL database
the URL names, dropped first if it exists and dropped again at the end), indexes this repository's
`docs/` for the bot to answer from, runs every part against the fakes and the real service, and
writes what it measured as JSON.
"""

import argparse
import asyncio
import json
import sqlite3
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bench.search_quality import fresh_database, use_database

PROJECT_DIR = Path(__file__).resolve().parent.parent
PARTS = ["people", "fan_out", "in_flight", "scale_out", "search", "steps"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True, help="sqlite: or postgres://.../NAME")
    parser.add_argument("--json", type=Path, required=True, help="Write the figures here.")
    parser.add_argument("--scale", type=float, default=1.0, help="Fewer events (0 < S <= 1).")
    parser.add_argument("--parts", nargs="+", choices=PARTS, default=PARTS, help="Only these.")
    arguments = parser.parse_args()
    url = urlsplit(arguments.database_url)
    if url.scheme == "sqlite":
        fresh = fresh_database("")
    else:
        fresh = fresh_database(arguments.database_url, name=url.path.strip("/"))
    with fresh as database_url:
        figures = _run(database_url, scale=arguments.scale, parts=arguments.parts)
    arguments.json.write_text(json.dumps(figures, indent=2) + "\n")


def _run(database_url: str, *, scale: float, parts: list[str]) -> dict[str, Any]:
    from django.core.management import call_command

    use_database(database_url)
    call_command("index_docs", str(PROJECT_DIR / "docs"), collection="kraken-bot", verbosity=0)
    return asyncio.run(_measure(database_url, scale=scale, chosen=parts))


async def _measure(database_url: str, *, scale: float, chosen: list[str]) -> dict[str, Any]:
    from asgiref.sync import sync_to_async
    from django.db import connection, connections

    from bench import fan_out, in_flight, people, scale_out, search_speed, steps
    from bench.edge import fake_edge

    vendor = connection.vendor
    figures: dict[str, Any] = {
        "database": vendor,
        "version": await sync_to_async(_version)(),
    }
    async with fake_edge() as edge:
        parts: dict[str, Callable[[], Awaitable[dict[str, Any]]]] = {
            "people": lambda: people.measure(edge, database_url, scale=scale),
            "fan_out": lambda: fan_out.measure(edge, database_url, scale=scale),
            "in_flight": lambda: in_flight.measure(edge, database_url, scale=scale),
            "scale_out": lambda: scale_out.measure(edge, database_url, scale=scale),
            "search": lambda: search_speed.measure(scale=scale),
            "steps": lambda: steps.measure(edge, database_url, scale=scale),
        }
        for name, part in parts.items():
            if name not in chosen:
                continue
            started = time.perf_counter()
            print(f"[{vendor}] {name} …", file=sys.stderr, flush=True)
            figures[name] = await part()
            figures[name]["part_s"] = round(time.perf_counter() - started, 1)
    await sync_to_async(connections.close_all)()
    return figures


def _version() -> str:
    from django.db import connection

    if connection.vendor != "postgresql":
        return f"SQLite {sqlite3.sqlite_version}"
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        row = cursor.fetchone()
    return f"PostgreSQL {row[0] if row else '?'}"


if __name__ == "__main__":
    main()
