"""Bringing a collection up to date with one of its sources, whatever the kind of source.

The reader gives every document of the source as it is now (`application.source_ports`). Each new
or changed one is turned into text (HTML and PDF through `domain.document_formats`) and split
into passages; unchanged ones are left alone; a document that cannot be read is skipped with
why, and what was stored for it stays. Only once the whole source was read is anything written,
so that a sync which would remove more than half of the documents (a wrong folder, a site that
answers nothing) is refused with nothing changed, unless pruning was asked for; and a sync that
fails part-way removes nothing. Documents the collection holds from before sources existed are
adopted by the first source that finds them; those of another source in the same collection are
never touched, and a document at the same path there is skipped. A source moved to another
collection takes its documents out of the old one once a sync has written them to the new.
"""

import asyncio
import datetime as dt
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from typing import Protocol

from application import source_ports
from domain import document_formats, operations, passages, queries, records

# What is split as Markdown whatever its path: HTML and PDF once turned into it, and Markdown
# whose path has no suffix to say so (a Notion page's id, a web page's path).
_AS_MARKDOWN = frozenset({source_ports.MARKDOWN, source_ports.HTML, source_ports.PDF})


class InvalidCollectionName(ValueError):
    """A collection's name must fit where documents store it."""

    def __init__(self, collection: str, *, max_length: int) -> None:
        super().__init__(
            f"The collection name must be 1 to {max_length} characters long, not {len(collection)}"
        )
        self.collection = collection


class WouldRemoveDocuments(Exception):
    """Syncing would remove more than half of the documents the source had given, so nothing was
    changed: the source is likely empty, or not the one the collection was indexed from."""

    def __init__(
        self,
        *,
        where: str,
        collection: str,
        paths: tuple[str, ...],
        total: int,
        skipped: tuple[source_ports.SkippedDocument, ...],
    ) -> None:
        super().__init__(
            f"Refused to remove {len(paths)} of the {total} documents of the collection "
            f"{collection!r}, which are not in {where}: is it where the collection was indexed "
            "from? Nothing was changed."
        )
        self.paths = paths
        self.skipped = skipped


class Progress(Protocol):
    """Told after each document written, so an interface can show how far a sync has got."""

    async def __call__(self, *, done: int, total: int, path: str) -> None: ...


@dataclass(frozen=True, kw_only=True)
class IndexReport:
    """What one sync did: documents by outcome and the passages it wrote."""

    added: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0
    passages: int = 0
    skipped: tuple[source_ports.SkippedDocument, ...] = ()

    def counts(self) -> str:
        return (
            f"{self.added} added, {self.updated} updated, {self.removed} removed, "
            f"{self.unchanged} unchanged, {len(self.skipped)} skipped; "
            f"{self.passages} passages written"
        )

    def as_counts(self) -> records.SyncCounts:
        return records.SyncCounts(
            added=self.added,
            updated=self.updated,
            removed=self.removed,
            unchanged=self.unchanged,
            skipped=tuple((document.path, document.reason) for document in self.skipped),
        )


@dataclass(frozen=True, kw_only=True)
class _Change:
    path: str
    url: str
    version: str
    outline: passages.Outline
    new: bool


@dataclass(kw_only=True)
class _Plan:
    changes: list[_Change] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    skipped: list[source_ports.SkippedDocument] = field(default_factory=list)

    def seen(self) -> set[str]:
        return {
            *(change.path for change in self.changes),
            *self.unchanged,
            *(document.path for document in self.skipped),
        }


async def sync_documents(
    *,
    reader: source_ports.SourceReader,
    where: str,
    collection: str,
    now: dt.datetime,
    source_id: int | None = None,
    prune: bool = False,
    on_read: Callable[[int], Awaitable[None]] | None = None,
    progress: Progress | None = None,
) -> IndexReport:
    """Bring the collection up to date with what the reader gives (`where` names the source in
    messages): add new documents, re-split changed ones, remove those the source no longer has;
    but remove more than half of them only with `prune`. `on_read` is told how many documents
    were read so far, `progress` each document written.

    Raises: InvalidCollectionName, WouldRemoveDocuments, source_ports.SourceUnavailable.
    """
    limits = queries.document_limits()
    if not 0 < len(collection) <= limits.collection:
        raise InvalidCollectionName(collection, max_length=limits.collection)
    held = await queries.list_documents(collection=collection)
    ours = {document.path: document for document in held if document.source_id in (None, source_id)}
    others = {document.path for document in held if document.path not in ours}
    plan = await _plan(reader, ours=ours, others=others, limits=limits, on_read=on_read)
    skipped = tuple(sorted(plan.skipped, key=lambda document: document.path))
    gone = sorted(set(ours).difference(plan.seen()))
    if 2 * len(gone) > len(ours) and not prune:
        raise WouldRemoveDocuments(
            where=where, collection=collection, paths=tuple(gone), total=len(ours), skipped=skipped
        )
    for done, change in enumerate(plan.changes, start=1):
        await operations.store_document(
            collection=collection,
            path=change.path,
            url=change.url,
            checksum=change.version,
            outline=change.outline,
            now=now,
            source_id=source_id,
        )
        if progress is not None:
            await progress(done=done, total=len(plan.changes), path=change.path)
    removed = await operations.remove_documents(collection=collection, paths=gone)
    if source_id is not None:
        await operations.adopt_documents(
            collection=collection, paths=plan.unchanged, source_id=source_id
        )
        removed += await operations.remove_documents_elsewhere(
            source_id=source_id, collection=collection
        )
    return IndexReport(
        added=sum(change.new for change in plan.changes),
        updated=sum(not change.new for change in plan.changes),
        removed=removed,
        unchanged=len(plan.unchanged),
        passages=sum(len(change.outline.sections) for change in plan.changes),
        skipped=skipped,
    )


async def _plan(
    reader: source_ports.SourceReader,
    *,
    ours: dict[str, records.Document],
    others: set[str],
    limits: records.DocumentLimits,
    on_read: Callable[[int], Awaitable[None]] | None,
) -> _Plan:
    """Read every document, to know what a sync will write, keep and skip before it does."""
    plan = _Plan()
    read = 0
    async for item in reader.read(known={path: doc.checksum for path, doc in ours.items()}):
        if isinstance(item, source_ports.UnchangedDocument):
            plan.unchanged.append(item.path)
        elif isinstance(item, source_ports.SkippedDocument):
            plan.skipped.append(item)
        elif item.path in others:
            plan.skipped.append(_skipped(item, "indexed from another source"))
        else:
            planned: _Change | str | None = _too_long(item, limits)
            if planned is None:
                planned = await asyncio.to_thread(_change, item, ours)
            if isinstance(planned, _Change):
                plan.changes.append(planned)
            else:
                plan.skipped.append(_skipped(item, planned))
        read += 1
        if on_read is not None:
            await on_read(read)
    return plan


def _change(
    document: source_ports.FetchedDocument, ours: dict[str, records.Document]
) -> _Change | str:
    """The document as passages, or why it has none."""
    try:
        text = document_formats.markdown_of(
            media_type=document.media_type, content=document.content
        )
    except document_formats.UnreadableDocument as error:
        return str(error)
    outline = passages.split_document(
        path=document.path, text=text, as_markdown=document.media_type in _AS_MARKDOWN
    )
    if not outline.sections:
        return "no text to index"
    if document.title:
        outline = replace(outline, title=document.title)
    return _Change(
        path=document.path,
        url=document.url,
        version=document.version,
        outline=outline,
        new=document.path not in ours,
    )


def _too_long(document: source_ports.FetchedDocument, limits: records.DocumentLimits) -> str | None:
    if len(document.path) > limits.path:
        return f"path longer than {limits.path:,} characters"
    if len(document.url) > limits.url:
        return f"link longer than {limits.url:,} characters"
    return None


def _skipped(document: source_ports.FetchedDocument, reason: str) -> source_ports.SkippedDocument:
    return source_ports.SkippedDocument(path=document.path, reason=reason)
