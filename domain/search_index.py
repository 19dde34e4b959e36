"""The full-text index of passages, per vendor (see migrations `data/0002` and `0007`): writing
to it, and how many passages hold a word, which search needs to weigh words by their rarity.

What is indexed is the passage's words as `domain.terms` sees them (identifiers split), in three
fields that rank differently: the document's title with the words of its path, the heading path,
and the body.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import connection

from domain import terms

# A file's extension, which is no word of its path: the dot of `v2.1/` is not one.
_EXTENSION = re.compile(r"\.[^./]*$")

SQLITE_TABLE = "data_passage_search"
POSTGRES_COLUMN = "search_vector"
POSTGRES_TERMS_TABLE = "data_search_term"


class UnsupportedDatabase(Exception):
    """Full-text search is built for SQLite and PostgreSQL only."""

    def __init__(self, vendor: str) -> None:
        super().__init__(f"Full-text search needs SQLite or PostgreSQL, not {vendor}")
        self.vendor = vendor


@dataclass(frozen=True, kw_only=True)
class PassageCounts:
    """How many passages are indexed, and how many of them hold each word."""

    total: int
    by_word: dict[str, int]


@dataclass(frozen=True, kw_only=True)
class Entry:
    """A stored passage with the text it is found by."""

    passage_id: int
    path: str
    title: str
    heading: str
    text: str


def add_entries(*, entries: Sequence[Entry]) -> None:
    """Index stored passages. Synchronous: it runs inside the caller's transaction.

    Raises: UnsupportedDatabase.
    """
    if not entries:
        return
    rows = [
        (
            " ".join(terms.words(text=f"{entry.title} {_EXTENSION.sub('', entry.path)}")),
            " ".join(terms.words(text=entry.heading)),
            " ".join(terms.words(text=entry.text)),
            entry.passage_id,
        )
        for entry in entries
    ]
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.executemany(
                f"INSERT INTO {SQLITE_TABLE} (title, heading, body, rowid) "  # noqa: S608
                "VALUES (%s, %s, %s, %s)",
                rows,
            )
        elif connection.vendor == "postgresql":
            # One statement for all, so the word counts' trigger runs once (migration data/0007).
            cursor.execute(
                f"UPDATE data_passage AS p SET {POSTGRES_COLUMN} = "  # noqa: S608
                "setweight(to_tsvector('english', e.title), 'A') || "
                "setweight(to_tsvector('english', e.heading), 'B') || "
                "setweight(to_tsvector('english', e.body), 'D') "
                "FROM unnest(%s::text[], %s::text[], %s::text[], %s::bigint[]) "
                "AS e(title, heading, body, id) WHERE p.id = e.id",
                [list(column) for column in zip(*rows, strict=True)],
            )
        else:
            raise UnsupportedDatabase(connection.vendor)


def passage_counts(*, words: Sequence[str]) -> PassageCounts:
    """Count the indexed passages, and those holding each word (in any form the index stems to
    the same word), without ranking any. Synchronous, for use inside a search.

    Raises: UnsupportedDatabase.
    """
    if connection.vendor == "sqlite":
        return _sqlite_passage_counts(words)
    if connection.vendor == "postgresql":
        return _postgres_passage_counts(words)
    raise UnsupportedDatabase(connection.vendor)


def sqlite_phrase(word: str) -> str:
    """A word as an FTS5 query: quoted, so it is never read as an operator."""
    return f'"{word}"'


def _sqlite_passage_counts(words: Sequence[str]) -> PassageCounts:
    # FTS5 counts a word's passages from its own list of them; a count(*) of the whole FTS5
    # table would read every row, so the total comes from the passages' table.
    counts = "".join(
        f", (SELECT count(*) FROM {SQLITE_TABLE} WHERE {SQLITE_TABLE} MATCH %s)"  # noqa: S608
        for _ in words
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT (SELECT count(*) FROM data_passage){counts}",  # noqa: S608
            [sqlite_phrase(word) for word in words],
        )
        total, *by_word = cursor.fetchone()
    return PassageCounts(total=total, by_word=dict(zip(words, by_word, strict=True)))


def _postgres_passage_counts(words: Sequence[str]) -> PassageCounts:
    # The database keeps the counts as passages change (migration data/0007), the total under the
    # empty term. A word the dictionary drops (a stop word to it) is in no vector: it counts as
    # held by every passage, like the stop words `domain.terms` drops, not by none, as a rare one.
    with connection.cursor() as cursor:
        cursor.execute(
            "WITH total AS (SELECT coalesce("  # noqa: S608
            f"(SELECT passages FROM {POSTGRES_TERMS_TABLE} WHERE term = ''), 0) AS passages) "
            "SELECT total.passages, ARRAY("
            "SELECT CASE WHEN length(to_tsvector('english', q.word)) = 0 THEN total.passages "
            "ELSE coalesce(min(t.passages), 0) END "
            "FROM unnest(%s::text[]) WITH ORDINALITY AS q(word, n) "
            f"LEFT JOIN {POSTGRES_TERMS_TABLE} AS t "
            "ON t.term = ANY(tsvector_to_array(to_tsvector('english', q.word))) "
            "GROUP BY q.n, q.word ORDER BY q.n) FROM total",
            [list(words)],
        )
        total, by_word = cursor.fetchone()
    return PassageCounts(total=total, by_word=dict(zip(words, by_word, strict=True)))
