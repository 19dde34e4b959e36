"""Indexing a folder of documentation, so that search can find its passages.

The folder is walked for Markdown, reStructuredText and plain-text files (hidden files and folders
are left out). Each file is compared with what the collection holds by checksum: new and changed
files are split into passages and stored, unchanged files are left alone, and files that are gone
are removed. A file that cannot be indexed (not UTF-8, empty, too large) is reported by name and
skipped; what the collection held for it is removed, since it no longer says what is on disk.
"""

import asyncio
import datetime as dt
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol
from urllib.parse import quote

from domain import operations, passages, queries

MAX_FILE_BYTES = 2_000_000


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


class Progress(Protocol):
    """Told after each file, so an interface can show how far indexing has got."""

    def __call__(self, *, done: int, total: int, path: str) -> None: ...


@dataclass(frozen=True, kw_only=True)
class SkippedFile:
    """A file that was not indexed, and why."""

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

    Raises: FolderNotFound, InvalidBaseUrl.
    """
    if base_url and not base_url.startswith(("http://", "https://")):
        raise InvalidBaseUrl(base_url)
    files = await asyncio.to_thread(_documentation_files, root)
    known = {
        document.path: document for document in await queries.list_documents(collection=collection)
    }
    counts = {"added": 0, "updated": 0, "unchanged": 0, "passages": 0}
    skipped: list[SkippedFile] = []
    indexed: set[str] = set()
    for done, (path, file) in enumerate(files, start=1):
        contents = await asyncio.to_thread(_read, file, max_file_bytes=max_file_bytes)
        url = _url(base_url, path)
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
    return IndexReport(removed=removed, skipped=tuple(skipped), **counts)


def _documentation_files(root: Path) -> list[tuple[str, Path]]:
    """Return the files to index under `root` as (POSIX path relative to root, file), by path."""
    if not root.is_dir():
        raise FolderNotFound(root)
    found: list[tuple[str, Path]] = []
    for folder, subfolders, names in os.walk(root):
        subfolders[:] = [name for name in subfolders if not name.startswith(".")]
        for name in names:
            file = Path(folder, name)
            if not name.startswith(".") and file.suffix.lower() in passages.SUFFIXES:
                found.append((file.relative_to(root).as_posix(), file))
    return sorted(found)


def _read(file: Path, *, max_file_bytes: int) -> _Contents | str:
    """Return the file's checksum and text, or why it cannot be indexed."""
    try:
        if file.stat().st_size > max_file_bytes:
            return f"larger than {max_file_bytes:,} bytes"
        data = file.read_bytes()
    except OSError as error:
        return f"unreadable ({error.strerror or error.__class__.__name__})"
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return "not UTF-8 text"
    if "\x00" in text:
        return "not UTF-8 text"
    if not text.strip():
        return "empty"
    return _Contents(checksum=hashlib.sha256(data).hexdigest(), text=text)


def _url(base_url: str, path: str) -> str:
    if not base_url:
        return ""
    return f"{base_url.rstrip('/')}/{quote(path)}"
