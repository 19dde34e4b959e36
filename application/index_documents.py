"""Indexing a folder of documentation: the `folder` kind of source, and `index_docs PATH`.

The folder is walked for Markdown, reStructuredText, plain-text, HTML and PDF files (hidden files
and folders are left out), and each file's version is the checksum of its bytes and its link.
A file that cannot be indexed is reported by name with the reason and skipped: too large, not a
regular file (a FIFO would hang the run), unreadable, or a link to a file outside the folder,
which is never read (its content would be quoted to anyone who asks). The rest of indexing (what
to write, keep and remove) is `application.sync_documents`.
"""

import asyncio
import datetime as dt
import hashlib
import os
import stat
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from pathlib import Path, PurePosixPath
from urllib.parse import quote

from application import source_ports, sync_documents
from domain import document_formats

MAX_FILE_BYTES = 2_000_000
OUTSIDE_THE_FOLDER = "a link to outside the folder"


class FolderNotFound(source_ports.SourceUnavailable):
    """The folder to index does not exist or is not a folder."""

    def __init__(self, root: Path) -> None:
        super().__init__(f"No folder to index at {root}")
        self.root = root


class InvalidBaseUrl(ValueError):
    """Links to documents need an http:// or https:// base URL."""

    def __init__(self, base_url: str) -> None:
        super().__init__(f"The base URL must start with http:// or https://, not {base_url!r}")
        self.base_url = base_url


class FolderSource:
    """The documentation files under a folder, those its globs take (`source_ports.wanted`);
    with `base_url`, each links to it + its path."""

    def __init__(
        self,
        *,
        root: Path,
        base_url: str = "",
        max_file_bytes: int = MAX_FILE_BYTES,
        include: Sequence[str] = (),
        exclude: Sequence[str] = (),
        max_documents: int | None = None,
    ):
        """Raises: InvalidBaseUrl."""
        if base_url and not base_url.startswith(("http://", "https://")):
            raise InvalidBaseUrl(base_url)
        self._root = root
        self._base_url = base_url
        self._max_file_bytes = max_file_bytes
        self._include = tuple(include)
        self._exclude = tuple(exclude)
        self._max_documents = max_documents

    async def read(self, *, known: Mapping[str, str]) -> AsyncIterator[source_ports.SourceItem]:
        """Raises: FolderNotFound; SourceUnavailable, for more files than `max_documents`."""
        found, unlisted = await asyncio.to_thread(_documentation_files, self._root)
        files = [
            (path, file)
            for path, file in found
            if source_ports.wanted(path, include=self._include, exclude=self._exclude)
        ]
        if self._max_documents is not None and len(files) > self._max_documents:
            raise source_ports.too_many_documents(self._max_documents)
        for skipped in unlisted:
            yield skipped
        for path, file in files:
            url = _url(self._base_url, path)
            contents = await asyncio.to_thread(_read, file, max_file_bytes=self._max_file_bytes)
            if isinstance(contents, str):
                yield source_ports.SkippedDocument(path=path, reason=contents)
                continue
            version = hashlib.sha256(f"{url}\n".encode() + contents).hexdigest()
            if known.get(path) == version:
                yield source_ports.UnchangedDocument(path=path)
            else:
                yield source_ports.FetchedDocument(
                    path=path,
                    url=url,
                    version=version,
                    content=contents,
                    media_type=document_formats.FILE_MEDIA_TYPES[
                        PurePosixPath(path).suffix.lower()
                    ],
                )


async def index_documents(
    *,
    root: Path,
    collection: str,
    now: dt.datetime,
    base_url: str = "",
    prune: bool = False,
    source_id: int | None = None,
    progress: sync_documents.Progress | None = None,
    on_read: Callable[[int], Awaitable[None]] | None = None,
    max_file_bytes: int = MAX_FILE_BYTES,
) -> sync_documents.IndexReport:
    """Bring a collection up to date with a folder: add new files, re-split changed ones, remove
    deleted ones; but remove more than half of the collection's documents only with `prune`.
    With `base_url`, each document links to `base_url` + its path.

    Raises: FolderNotFound, InvalidBaseUrl, sync_documents.InvalidCollectionName,
    sync_documents.WouldRemoveDocuments.
    """
    return await sync_documents.sync_documents(
        reader=FolderSource(root=root, base_url=base_url, max_file_bytes=max_file_bytes),
        where=f"the folder {root}",
        collection=collection,
        now=now,
        source_id=source_id,
        prune=prune,
        on_read=on_read,
        progress=progress,
    )


def _documentation_files(
    root: Path,
) -> tuple[list[tuple[str, Path]], list[source_ports.SkippedDocument]]:
    """Return the files to index under `root` as (POSIX path relative to root, real path), by
    path, and what was left out: folders that cannot be read, links to outside `root`."""
    if not root.is_dir():
        raise FolderNotFound(root)
    inside = _real(root)
    found: list[tuple[str, Path]] = []
    skipped: list[source_ports.SkippedDocument] = []

    def unreadable(error: OSError) -> None:
        path = Path(error.filename).relative_to(root).as_posix()
        skipped.append(
            source_ports.SkippedDocument(path=path, reason=f"unreadable folder ({_why(error)})")
        )

    # Links to folders are not followed: those inside are walked as themselves.
    for folder, subfolders, names in os.walk(root, onerror=unreadable):
        subfolders[:] = [name for name in subfolders if not name.startswith(".")]
        for name in subfolders:
            subfolder = Path(folder, name)
            if not _real(subfolder).is_relative_to(inside):
                path = subfolder.relative_to(root).as_posix()
                skipped.append(source_ports.SkippedDocument(path=path, reason=OUTSIDE_THE_FOLDER))
        for name in names:
            file = Path(folder, name)
            if name.startswith(".") or file.suffix.lower() not in document_formats.FILE_MEDIA_TYPES:
                continue
            path, real = file.relative_to(root).as_posix(), _real(file)
            if real.is_relative_to(inside):
                found.append((path, real))
            else:
                skipped.append(source_ports.SkippedDocument(path=path, reason=OUTSIDE_THE_FOLDER))
    return sorted(found), skipped


def _real(path: Path) -> Path:
    """The path with every link followed; unlike `Path.resolve`, a loop of links is not an error
    here but when the file is read."""
    return Path(os.path.realpath(path))


def _read(file: Path, *, max_file_bytes: int) -> bytes | str:
    """Return the file's bytes, or why it cannot be indexed."""
    try:
        status = file.stat()
        if not stat.S_ISREG(status.st_mode):
            return "not a regular file"
        if status.st_size > max_file_bytes:
            return f"larger than {max_file_bytes:,} bytes"
        return file.read_bytes()
    except OSError as error:
        return f"unreadable ({_why(error)})"


def _why(error: OSError) -> str:
    return error.strerror or error.__class__.__name__


def _url(base_url: str, path: str) -> str:
    if not base_url:
        return ""
    return f"{base_url.rstrip('/')}/{quote(path)}"
