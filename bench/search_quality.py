"""Measure document search on a documentation folder and a file of questions with known answers.

    uv run python bench/search_quality.py --corpus DIR --qa FILE [--database-url URL] [--json OUT]

The folder is indexed into a fresh, throwaway database through the indexing use case and its
passages embedded with the configured embedding model (`EMBEDDING_MODEL`: the offline one unless
set; `none` for words alone); on PostgreSQL it is then vacuumed and analysed as autovacuum would
soon do. Every question goes through `domain.search.search_passages`, the search the bot uses.
A question is found at rank k when a passage from one of its expected files is at rank k or
better. It prints recall@1, @5 and @10 (ten passages are what the model reads), the mean
reciprocal rank (over the top 10), the search latency and the time to index and to embed, and
writes them as JSON with `--json`; under `rankings`, the same figures for words alone, meaning
alone and the two fused, side by side. `--copies N` indexes the folder N times (into N
collections) to time search on a larger index; recall and MRR then count the same file from any
copy.

The question file is JSON Lines: `{"id", "question", "expected_paths", ...}`, with the expected
paths relative to the folder. Without `--database-url` the database is a temporary SQLite file;
with a `postgres://` URL, a database named `kraken_bench_search` is created on that server (after
dropping any earlier one of that name) and dropped at the end: no other database is touched.
"""

import argparse
import asyncio
import datetime as dt
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

if TYPE_CHECKING:
    from agents import embeddings

BENCH_DATABASE = "kraken_bench_search"
RANKS_COUNTED = 10
TIMED_ROUNDS = 5


@dataclass(frozen=True, kw_only=True)
class Question:
    id: str
    text: str
    expected_paths: frozenset[str]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, required=True, help="The documentation folder.")
    parser.add_argument("--qa", type=Path, required=True, help="The questions (JSON Lines).")
    parser.add_argument("--database-url", default="", help="postgres://... (default: SQLite).")
    parser.add_argument("--json", type=Path, help="Write the figures to this file as JSON.")
    parser.add_argument(
        "--copies",
        type=int,
        default=1,
        help="Index the folder this many times, into as many collections, to time a larger index.",
    )
    parser.add_argument("--verbose", action="store_true", help="Show each question's ranks.")
    arguments = parser.parse_args()
    if arguments.copies < 1:
        parser.error("--copies must be at least 1")
    questions = _questions(arguments.qa)
    with fresh_database(arguments.database_url) as database_url:
        figures = _measure(
            corpus=arguments.corpus,
            questions=questions,
            database_url=database_url,
            copies=arguments.copies,
            verbose=arguments.verbose,
        )
    print(json.dumps(figures, indent=2))
    if arguments.json:
        arguments.json.write_text(json.dumps(figures, indent=2) + "\n")


def question_records(path: Path) -> list[dict[str, Any]]:
    """The records of a JSON Lines question file, blank lines skipped."""
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def _questions(path: Path) -> list[Question]:
    return [
        Question(
            id=str(record["id"]),
            text=record["question"],
            expected_paths=frozenset(record["expected_paths"]),
        )
        for record in question_records(path)
    ]


@contextmanager
def fresh_database(database_url: str, *, name: str = BENCH_DATABASE) -> Iterator[str]:
    """A new, empty database for one run, and its URL: a temporary SQLite file without a URL, or
    the database `name` on the URL's PostgreSQL server (dropped first if it exists, and after)."""
    if not database_url:
        with tempfile.TemporaryDirectory(prefix="kraken-bench-") as folder:
            yield f"sqlite:///{folder}/bench.sqlite3"
        return
    parts = urlsplit(database_url)
    if parts.scheme not in {"postgres", "postgresql"}:
        sys.exit("--database-url must be a postgres:// URL (SQLite is the default)")
    import psycopg

    maintenance = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(maintenance, autocommit=True) as server:
        server.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        server.execute(f"CREATE DATABASE {name}")
    try:
        yield urlunsplit(parts._replace(path=f"/{name}"))
    finally:
        with psycopg.connect(maintenance, autocommit=True) as server:
            server.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def _measure(
    *, corpus: Path, questions: list[Question], database_url: str, copies: int, verbose: bool
) -> dict[str, object]:
    use_database(database_url)
    return asyncio.run(
        _index_and_search(corpus=corpus, questions=questions, copies=copies, verbose=verbose)
    )


def use_database(database_url: str) -> None:
    """Set Django up in this process on the database, migrated."""
    os.environ.update(
        DATABASE_URL=database_url,
        DJANGO_SETTINGS_MODULE="kraken_bot.settings",
        ENV_FILE="",
        SECRET_KEY="bench-only-secret-key-never-used-to-serve-anything-at-all",  # noqa: S106
        LOG_LEVEL="WARNING",
    )
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


async def _index_and_search(
    *, corpus: Path, questions: list[Question], copies: int, verbose: bool
) -> dict[str, object]:
    from asgiref.sync import sync_to_async
    from django.db import connection, connections

    from agents import embeddings
    from application import embed_passages, index_documents
    from domain import search

    started = time.perf_counter()
    reports = [
        await index_documents.index_documents(
            root=corpus, collection=f"bench-{copy}", now=dt.datetime.now(tz=dt.UTC)
        )
        for copy in range(copies)
    ]
    indexing_s = time.perf_counter() - started
    embedder = embeddings.configured_embedder()
    started = time.perf_counter()
    if embedder is not None:
        embedded = await embed_passages.embed_new_passages(embedder=embedder)
        if embedded.stopped_by:
            sys.exit(f"Unable to embed the passages: {embedded.stopped_by}")
    embedding_s = time.perf_counter() - started
    await sync_to_async(_settle)()
    rankings = {"words": _by_words, "hybrid": _hybrid(embedder)}
    if embedder is not None:
        rankings["meaning"] = _by_meaning(embedder)
    ranks: dict[str, list[int | None]] = {name: [] for name in rankings}
    for question in questions:
        for name, ranking in rankings.items():
            paths = await ranking(question.text)
            rank = next(
                (n for n, path in enumerate(paths, 1) if path in question.expected_paths), None
            )
            ranks[name].append(rank)
            if verbose:
                print(f"{question.id} {name} rank={rank} {paths[:5]}", file=sys.stderr)
    latencies_ms: list[float] = []
    for _ in range(TIMED_ROUNDS):
        for question in questions:
            begun = time.perf_counter()
            await search.search_passages(query=question.text, limit=5, embedder=embedder)
            latencies_ms.append((time.perf_counter() - begun) * 1000)
    vendor = connection.vendor
    await sync_to_async(connections.close_all)()
    return {
        "database": vendor,
        "embedding_model": embedder.name if embedder else "none",
        "documents": sum(report.added for report in reports),
        "passages": sum(report.passages for report in reports),
        "skipped": len(reports[0].skipped),
        "questions": len(questions),
        **_figures(ranks["hybrid"]),
        "search_p50_ms": round(statistics.median(latencies_ms), 2) if latencies_ms else None,
        "indexing_s": round(indexing_s, 2),
        "embedding_s": round(embedding_s, 2),
        "rankings": {name: _figures(found) for name, found in ranks.items()},
    }


Ranking = Callable[[str], Awaitable[list[str]]]


async def _by_words(question: str) -> list[str]:
    from domain import search

    return [hit.path for hit in await search.search_passages(query=question, limit=RANKS_COUNTED)]


def _hybrid(embedder: "embeddings.PassageEmbedder | None") -> Ranking:
    """The search the bot uses: by words and by meaning (by words alone without an embedder)."""
    from domain import search

    async def ranking(question: str) -> list[str]:
        hits = await search.search_passages(query=question, limit=RANKS_COUNTED, embedder=embedder)
        return [hit.path for hit in hits]

    return ranking


def _by_meaning(embedder: "embeddings.PassageEmbedder") -> Ranking:
    """The files of the passages nearest in meaning, each file once, nearest first."""
    from asgiref.sync import sync_to_async

    from data import models
    from domain import vector_search

    async def ranking(question: str) -> list[str]:
        vector = await embedder.embed_query(question)
        if vector is None:
            return []
        held = await sync_to_async(vector_search.held_vectors)(model=embedder.name)
        nearest = held.nearest(vector=vector, collections=(), count=RANKS_COUNTED * 10)
        paths = {
            passage_id: path
            async for passage_id, path in models.Passage.objects.filter(pk__in=nearest).values_list(
                "pk", "document__path"
            )
        }
        return list(dict.fromkeys(paths[passage_id] for passage_id in nearest))[:RANKS_COUNTED]

    return ranking


def _figures(ranks: list[int | None]) -> dict[str, float]:
    """Recall at 1, 5 and 10 (the file is among the passages the model reads), and the mean
    reciprocal rank over the top 10."""
    count = len(ranks) or 1
    return {
        "recall@1": round(sum(1 for r in ranks if r == 1) / count, 3),
        "recall@5": round(sum(1 for r in ranks if r is not None and r <= 5) / count, 3),
        "recall@10": round(sum(1 for r in ranks if r is not None and r <= 10) / count, 3),
        "mrr": round(sum(1 / r for r in ranks if r is not None) / count, 3),
    }


def _settle() -> None:
    """On PostgreSQL, do what autovacuum does a while after a bulk load (statistics for the
    planner, visibility information), so that search is timed on the steady state rather than on
    tables the planner has never looked at. SQLite gathers no statistics unless told, so nor
    does the bench.
    """
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")


if __name__ == "__main__":
    main()
