"""The write side of the full-text index of passages (see migration `data/0002`), per vendor.

What is indexed is the passage's words as `domain.terms` sees them (identifiers split), in three
fields that rank differently: the document's title with the words of its path, the heading path,
and the body.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from django.db import connection

from domain import terms

SQLITE_TABLE = "data_passage_search"
POSTGRES_COLUMN = "search_vector"


class UnsupportedDatabase(Exception):
    """Full-text search is built for SQLite and PostgreSQL only."""

    def __init__(self, vendor: str) -> None:
        super().__init__(f"Full-text search needs SQLite or PostgreSQL, not {vendor}")
        self.vendor = vendor


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
    rows = [
        (
            " ".join(terms.words(text=f"{entry.title} {entry.path.rsplit('.', 1)[0]}")),
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
            cursor.executemany(
                f"UPDATE data_passage SET {POSTGRES_COLUMN} = "  # noqa: S608
                "setweight(to_tsvector('english', %s), 'A') || "
                "setweight(to_tsvector('english', %s), 'B') || "
                "setweight(to_tsvector('english', %s), 'D') WHERE id = %s",
                rows,
            )
        else:
            raise UnsupportedDatabase(connection.vendor)
