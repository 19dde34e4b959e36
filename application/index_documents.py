"""Indexing a folder of documentation, so that search can find its passages.

The folder is walked for Markdown, reStructuredText and plain-text files (hidden files and folders
are left out). Each file is compared with what the collection holds by checksum: new and changed
files are split into passages and stored, unchanged files are left alone, and files that are gone
are removed. A file that cannot be indexed is reported by name with the reason and skipped: not
UTF-8, empty, too large, a path or link too long to store, not a regular file (a FIFO would hang
the run), unreadable, or a link to a file outside the folder, which is never read (its content
would be quoted to anyone who asks). What the collection held for a skipped file is removed, since
it no longer says what is on disk.

Every file is read and split before anything is written, so that a run which would remove more
than half of a collection's documents (an empty folder, or another one than the collection was
indexed from) is refused with nothing changed, unless pruning was asked for.
"""

import asyncio
import datetime as dt
import hashlib
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol
from urllib.parse import quote

from domain import operations, passages, queries, records

MAX_FILE_BYTES = 2_000_000
OUTSIDE_THE_FOLDER = "a link to outside the folder"


class FolderNotFound(Exception):
    """The folder to index does not exist or is not a folder."""

    def __init__(self, root: Path) -> None:
        super().__init__(f"No folder to index at {root}")
        self.root = root


class InvalidBaseUrl(ValueError):
    """Links to documents need an http:// or https:// base URL."""

    def __init__(self, base_url: str) -> None:
        super().__init__(f"The base URL must start with http:// or https://, not {base_url!r}")
        self.base_url = base_url


class InvalidCollectionName(ValueError):
    """A collection's name must fit where documents store it."""

    def __init__(self, collection: str, *, max_length: int) -> None:
        super().__init__(
            f"The collection name must be 1 to {max_length} characters long, not {len(collection)}"
        )
        self.collection = collection


class Progress(Protocol):
    """Told after each file written, so an interface can show how far indexing has got."""

    def __call__(self, *, done: int, total: int, path: str) -> None: ...


@dataclass(frozen=True, kw_only=True)
class SkippedFile:
    """A file (or folder) that was not indexed, and why."""

    path: str
    reason: str


class WouldRemoveDocuments(Exception):
    """Indexing the folder would remove more than half of the collection's documents, so nothing
    was changed: the folder is likely empty, or not the one the collection was indexed from."""

    def __init__(
        self,
        *,
        root: Path,
        collection: str,
        paths: tuple[str, ...],
        total: int,
        skipped: tuple[SkippedFile, ...],
    ) -> None:
        super().__init__(
            f"Refused to remove {len(paths)} of the {total} documents of the collection "
            f"{collection!r}, whose files are not in {root}: is it the folder the collection "
            "was indexed from? Nothing was changed."
        )
        self.paths = paths
        self.skipped = skipped


@dataclass(frozen=True, kw_only=True)
class IndexReport:
    """What one indexing run did: files by outcome and the passages it wrote."""

    added: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0
    passages: int = 0
    skipped: tuple[SkippedFile, ...] = ()

    def counts(self) -> str:
        return (
            f"{self.added} added, {self.updated} updated, {self.removed} removed, "
            f"{self.unchanged} unchanged, {len(self.skipped)} skipped; "
            f"{self.passages} passages written"
        )


@dataclass(frozen=True, kw_only=True)
class _Contents:
    checksum: str
    text: str


@dataclass(frozen=True, kw_only=True)
class _Change:
    path: str
    url: str
    checksum: str
    outline: passages.Outline
    new: bool


@dataclass(kw_only=True)
class _Plan:
    changes: list[_Change] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    skipped: list[SkippedFile] = field(default_factory=list)


async def index_documents(
    *,
    root: Path,
    collection: str,
    now: dt.datetime,
    base_url: str = "",
    prune: bool = False,
    progress: Progress | None = None,
    max_file_bytes: int = MAX_FILE_BYTES,
) -> IndexReport:
    """Bring a collection up to date with a folder: add new files, re-split changed ones, remove
    deleted ones; but remove more than half of the collection's documents only with `prune`.
    With `base_url`, each document links to `base_url` + its path.

    Raises: FolderNotFound, InvalidBaseUrl, InvalidCollectionName, WouldRemoveDocuments.
    """
    if base_url and not base_url.startswith(("http://", "https://")):
        raise InvalidBaseUrl(base_url)
    limits = queries.document_limits()
    if not 0 < len(collection) <= limits.collection:
        raise InvalidCollectionName(collection, max_length=limits.collection)
    files, unlisted = await asyncio.to_thread(_documentation_files, root)
    known = {
        document.path: document for document in await queries.list_documents(collection=collection)
    }
    plan = await asyncio.to_thread(
        _plan, files, known=known, base_url=base_url, limits=limits, max_file_bytes=max_file_bytes
    )
    skipped = tuple(sorted([*unlisted, *plan.skipped], key=lambda file: file.path))
    gone = sorted(set(known).difference(plan.unchanged, (change.path for change in plan.changes)))
    if 2 * len(gone) > len(known) and not prune:
        raise WouldRemoveDocuments(
            root=root, collection=collection, paths=tuple(gone), total=len(known), skipped=skipped
        )
    for done, change in enumerate(plan.changes, start=1):
        await operations.store_document(
            collection=collection,
            path=change.path,
            url=change.url,
            checksum=change.checksum,
            outline=change.outline,
            now=now,
        )
        if progress is not None:
            progress(done=done, total=len(plan.changes), path=change.path)
    return IndexReport(
        added=sum(change.new for change in plan.changes),
        updated=sum(not change.new for change in plan.changes),
        removed=await operations.remove_documents(collection=collection, paths=gone),
        unchanged=len(plan.unchanged),
        passages=sum(len(change.outline.sections) for change in plan.changes),
        skipped=skipped,
    )


def _documentation_files(root: Path) -> tuple[list[tuple[str, Path]], list[SkippedFile]]:
    """Return the files to index under `root` as (POSIX path relative to root, real path), by
    path, and what was left out: folders that cannot be read, links to outside `root`."""
    if not root.is_dir():
        raise FolderNotFound(root)
    inside = _real(root)
    found: list[tuple[str, Path]] = []
    skipped: list[SkippedFile] = []

    def unreadable(error: OSError) -> None:
        path = Path(error.filename).relative_to(root).as_posix()
        skipped.append(SkippedFile(path=path, reason=f"unreadable folder ({_why(error)})"))

    # Links to folders are not followed: those inside are walked as themselves.
    for folder, subfolders, names in os.walk(root, onerror=unreadable):
        subfolders[:] = [name for name in subfolders if not name.startswith(".")]
        for name in subfolders:
            subfolder = Path(folder, name)
            if not _real(subfolder).is_relative_to(inside):
                path = subfolder.relative_to(root).as_posix()
                skipped.append(SkippedFile(path=path, reason=OUTSIDE_THE_FOLDER))
        for name in names:
            file = Path(folder, name)
            if name.startswith(".") or file.suffix.lower() not in passages.SUFFIXES:
                continue
            path, real = file.relative_to(root).as_posix(), _real(file)
            if real.is_relative_to(inside):
                found.append((path, real))
            else:
                skipped.append(SkippedFile(path=path, reason=OUTSIDE_THE_FOLDER))
    return sorted(found), skipped


def _real(path: Path) -> Path:
    """The path with every link followed; unlike `Path.resolve`, a loop of links is not an error
    here but when the file is read."""
    return Path(os.path.realpath(path))


def _plan(
    files: list[tuple[str, Path]],
    *,
    known: dict[str, records.Document],
    base_url: str,
    limits: records.DocumentLimits,
    max_file_bytes: int,
) -> _Plan:
    """Read and split every file, to know what a run will write, keep and skip before it does."""
    plan = _Plan()
    for path, file in files:
        url = _url(base_url, path)
        contents = _too_long(path, url, limits) or _read(file, max_file_bytes=max_file_bytes)
        earlier = known.get(path)
        if isinstance(contents, str):
            plan.skipped.append(SkippedFile(path=path, reason=contents))
        elif earlier and earlier.checksum == contents.checksum and earlier.url == url:
            plan.unchanged.append(path)
        else:
            outline = passages.split_document(path=path, text=contents.text)
            if outline.sections:
                change = _Change(
                    path=path,
                    url=url,
                    checksum=contents.checksum,
                    outline=outline,
                    new=earlier is None,
                )
                plan.changes.append(change)
            else:
                plan.skipped.append(SkippedFile(path=path, reason="no text to index"))
    return plan


def _too_long(path: str, url: str, limits: records.DocumentLimits) -> str | None:
    if len(path) > limits.path:
        return f"path longer than {limits.path:,} characters"
    if len(url) > limits.url:
        return f"link longer than {limits.url:,} characters"
    return None


def _read(file: Path, *, max_file_bytes: int) -> _Contents | str:
    """Return the file's checksum and text, or why it cannot be indexed."""
    try:
        status = file.stat()
        if not stat.S_ISREG(status.st_mode):
            return "not a regular file"
        if status.st_size > max_file_bytes:
            return f"larger than {max_file_bytes:,} bytes"
        data = file.read_bytes()
    except OSError as error:
        return f"unreadable ({_why(error)})"
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return "not UTF-8 text"
    if "\x00" in text:
        return "not UTF-8 text"
    if not text.strip():
        return "empty"
    return _Contents(checksum=hashlib.sha256(data).hexdigest(), text=text)


def _why(error: OSError) -> str:
    return error.strerror or error.__class__.__name__


def _url(base_url: str, path: str) -> str:
    if not base_url:
        return ""
    return f"{base_url.rstrip('/')}/{quote(path)}"
