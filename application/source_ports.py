"""The port of a documentation source: what syncing needs from a folder, a git repository, a web
site, Confluence or Notion.

A reader gives every document of its source once, as it is now, and the sync decides what to
store and what to remove. Each kind of source has its own cheap sign that a document changed (a
checksum, a git blob id, an `ETag`, a page's version or edit time): the sync hands the reader the
versions it stored last time, and the reader says "unchanged" without fetching the document's
body wherever its source allows. A document the reader cannot read is skipped with one line that
says why; what was stored for it before stays searchable. A source that cannot be read at all
(its host unreachable, its credentials refused) raises `SourceUnavailable`, and nothing is removed.
"""

import fnmatch
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from domain import document_formats

# The formats the sync turns into passages, by media type (named where the domain reads them).
MARKDOWN = document_formats.MARKDOWN
RESTRUCTUREDTEXT = document_formats.RESTRUCTUREDTEXT
PLAIN_TEXT = document_formats.PLAIN_TEXT
HTML = document_formats.HTML
PDF = document_formats.PDF


@dataclass(frozen=True, kw_only=True)
class FetchedDocument:
    """A document that is new or changed. `path` is unique within the source and the same at
    every sync (a file's path, a page's URL path, a page id); `url` is where a reader opens it,
    empty when there is none; `version` changes whenever the document does; `title` is the
    source's own, when it keeps one apart from the content."""

    path: str
    url: str
    version: str
    content: bytes
    media_type: str
    title: str = ""


@dataclass(frozen=True, kw_only=True)
class UnchangedDocument:
    """A document whose version is the one the sync stored last time."""

    path: str


@dataclass(frozen=True, kw_only=True)
class SkippedDocument:
    """A document that could not be read, and why, in a few words."""

    path: str
    reason: str


SourceItem = FetchedDocument | UnchangedDocument | SkippedDocument


class SourceUnavailable(Exception):
    """The source could not be read at all: unreachable, credentials refused or missing."""


@dataclass(frozen=True, kw_only=True)
class SyncLimits:
    """What one sync may take from a source, so that none runs forever or fills the disk."""

    max_documents: int = 5_000
    max_document_bytes: int = 10_000_000
    # A polite pace for web sites and APIs.
    requests_per_second: float = 5.0


class SourceReader(Protocol):
    def read(self, *, known: Mapping[str, str]) -> AsyncIterator[SourceItem]:
        """Every document of the source, each once. `known` maps the path of each document stored
        from the source to its version then.

        Raises: SourceUnavailable.
        """
        ...


def too_many_documents(limit: int) -> SourceUnavailable:
    """A source of more documents than a sync may take: it would stop part-way, then remove the
    rest of what the source had given."""
    return SourceUnavailable(f"more than {limit:,} documents: narrow it with include/exclude")


def wanted(path: str, *, include: Sequence[str], exclude: Sequence[str]) -> bool:
    """Whether a source's globs take the document at `path`: fnmatch patterns, where `*` matches
    across folders too (`docs/*` takes the whole `docs` folder); no `include` takes every one."""
    return (not include or _matches(path, include)) and not _matches(path, exclude)


def _matches(path: str, globs: Sequence[str]) -> bool:
    return any(fnmatch.fnmatchcase(path, glob) for glob in globs)
