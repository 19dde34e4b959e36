"""Indexing a folder of documentation, so that search can find its passages.

The folder is walked for Markdown, reStructuredText and plain-text files (hidden files and folders
are left out). Each file is compared with what the collection holds by checksum: new and changed
files are split into passages and stored, unchanged files are left alone, and files that are gone
are removed. A file that cannot be indexed is reported by name with the reason and skipped: not
UTF-8, empty, too large, a path or link too long to store, not a regular file (a FIFO would hang
the run), unreadable, or a link to a file outside the folder, which is never read (its content
would be quoted to anyone who asks). What the collection held for a skipped file is removed, since
it no longer says what is on disk.
"""

import asyncio
import datetime as dt
import hashlib
import os
import stat
from dataclasses import dataclass
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
    """Told after each file, so an interface can show how far indexing has got."""

    def __call__(self, *, done: int, total: int, path: str) -> None: ...


@dataclass(frozen=True, kw_only=True)
class SkippedFile:
    """A file (or folder) that was not indexed, and why."""

    path: str
    reason: str


@dataclass(frozen=True, kw_only=True)
class IndexReport:
    """What one indexing run did: files by outcome and the passages it wrote."""

    added: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0
    passages: int = 0
    skipped: tuple[SkippedFile, ...] = ()


@dataclass(frozen=True, kw_only=True)
class _Contents:
    checksum: str
    text: str


async def index_documents(
    *,
    root: Path,
    collection: str,
    now: dt.datetime,
    base_url: str = "",
    progress: Progress | None = None,
    max_file_bytes: int = MAX_FILE_BYTES,
) -> IndexReport:
    """Bring a collection up to date with a folder: add new files, re-split changed ones, remove
    deleted ones. With `base_url`, each document links to `base_url` + its path.

    Raises: FolderNotFound, InvalidBaseUrl, InvalidCollectionName.
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
    counts = {"added": 0, "updated": 0, "unchanged": 0, "passages": 0}
    skipped = unlisted
    indexed: set[str] = set()
    for done, (path, file) in enumerate(files, start=1):
        url = _url(base_url, path)
        contents: _Contents | str | None = _too_long(path, url, limits)
        if contents is None:
            contents = await asyncio.to_thread(_read, file, max_file_bytes=max_file_bytes)
        earlier = known.get(path)
        if isinstance(contents, str):
            skipped.append(SkippedFile(path=path, reason=contents))
        elif earlier and earlier.checksum == contents.checksum and earlier.url == url:
            indexed.add(path)
            counts["unchanged"] += 1
        else:
            outline = passages.split_document(path=path, text=contents.text)
            if not outline.sections:
                skipped.append(SkippedFile(path=path, reason="no text to index"))
            else:
                await operations.store_document(
                    collection=collection,
                    path=path,
                    url=url,
                    checksum=contents.checksum,
                    outline=outline,
                    now=now,
                )
                indexed.add(path)
                counts["updated" if earlier else "added"] += 1
                counts["passages"] += len(outline.sections)
        if progress is not None:
            progress(done=done, total=len(files), path=path)
    removed = await operations.remove_documents(collection=collection, paths=set(known) - indexed)
    skipped.sort(key=lambda file: file.path)
    return IndexReport(removed=removed, skipped=tuple(skipped), **counts)


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
