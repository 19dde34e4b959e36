"""A documentation source in a git repository, read with the `git` command as an async subprocess.

Each source keeps a shallow clone of its branch in a folder of its own under the cache, named from
a hash of its location and branch. A sync brings the clone to the branch's tip and lists its tree:
a file's blob id, with its link, is its version, so an unchanged file is known without being read
(and a new base URL relinks every file), and a renamed
one is a path gone plus a path new, which the sync handles like any other. Only the tree matters,
so one commit of history is enough.

One sync of a source runs at a time: two at once would share, and fight over, its clone.
"""

import asyncio
import contextlib
import hashlib
import logging
import os
import re
import shutil
import signal
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from urllib.parse import quote

from application import source_ports
from domain import document_formats

logger = logging.getLogger(__name__)

# The longest any one git command may run (a clone of a large repository over a slow link
# included) before it is killed and the source reported unavailable.
GIT_TIMEOUT_S = 300.0

_SYMLINK_MODE = "120000"
# The user and password (or token) of a URL such as https://user:token@host/org/repo.git.
_CREDENTIALS = re.compile(r"(?<=://)[^/@\s]+@")


@dataclass(frozen=True, kw_only=True)
class _TreeFile:
    path: str
    blob_id: str
    size: int


class _GitFailed(Exception):
    """A git command exited with an error; the message is the last line it wrote."""


class GitSource:
    """The documentation files of one branch of a git repository.

    `include` and `exclude` are fnmatch patterns on a file's POSIX path, where `*` matches across
    folders too (`docs/*` takes the whole `docs` folder); an empty `include` takes every file.
    Hidden files and folders (a path part starting with ".") are always left out.
    """

    def __init__(
        self,
        *,
        location: str,
        branch: str,
        cache_dir: Path,
        base_url: str,
        include: Sequence[str],
        exclude: Sequence[str],
        limits: source_ports.SyncLimits,
    ) -> None:
        self._location = location
        self._branch = branch
        self._folder = cache_dir / hashlib.sha256(f"{location}\0{branch}".encode()).hexdigest()[:24]
        self._base_url = base_url.rstrip("/")
        self._include = tuple(include)
        self._exclude = tuple(exclude)
        self._limits = limits

    async def read(self, *, known: Mapping[str, str]) -> AsyncIterator[source_ports.SourceItem]:
        """Every documentation file at the branch's tip, each once.

        Raises: SourceUnavailable (git missing or too slow, the repository or branch unreachable,
        or more documentation files than the limit, which the sync would otherwise cut short and
        then remove the rest of).
        """
        await self._update_clone()
        files = [file for file in await self._tree() if self._is_wanted(file.path)]
        if len(files) > self._limits.max_documents:
            raise source_ports.too_many_documents(self._limits.max_documents)
        for file in files:
            yield await self._item(file, known)

    async def _update_clone(self) -> None:
        """Bring the clone to the branch's tip, cloning afresh when there is no usable clone."""
        if await asyncio.to_thread(self._folder.exists):
            try:
                await self._fetch()
            except _GitFailed as error:
                # The remote may be at fault as well as the cache: if so, the clone says so too.
                logger.warning("Cloning %s again: %s", _without_credentials(self._location), error)
            else:
                return
            await _remove(self._folder)
        try:
            await _git(*self._clone_arguments())
        except _GitFailed as error:
            raise source_ports.SourceUnavailable(
                f"Unable to clone {_without_credentials(self._location)}: {error}"
            ) from None

    def _clone_arguments(self) -> tuple[str, ...]:
        branch = ("--branch", self._branch) if self._branch else ()
        return (
            "clone",
            "--quiet",
            "--no-tags",
            "--single-branch",
            *branch,
            "--depth",
            "1",
            "--",
            self._location,
            str(self._folder),
        )

    async def _fetch(self) -> None:
        # In a folder that is not a repository's top, git works on whatever repository encloses
        # it: a reset there would wipe someone else's work.
        top = await _git("-C", str(self._folder), "rev-parse", "--show-cdup")
        if top.strip():
            raise _GitFailed(f"{self._folder} is not a repository of its own")
        # "HEAD" of the remote is its default branch, whichever it is today.
        tip = self._branch or "HEAD"
        await _git("-C", str(self._folder), "fetch", "--quiet", "--depth", "1", "--", "origin", tip)
        await _git("-C", str(self._folder), "reset", "--quiet", "--hard", "FETCH_HEAD")

    async def _tree(self) -> list[_TreeFile]:
        try:
            listing = await _git("-C", str(self._folder), "ls-tree", "-r", "-z", "--long", "HEAD")
        except _GitFailed as error:
            raise source_ports.SourceUnavailable(f"Unable to list the files: {error}") from None
        return [file for entry in listing.split(b"\0") if entry and (file := _tree_file(entry))]

    def _is_wanted(self, path: str) -> bool:
        posix_path = PurePosixPath(path)
        return (
            posix_path.suffix.lower() in document_formats.FILE_MEDIA_TYPES
            and not any(part.startswith(".") for part in posix_path.parts)
            and source_ports.wanted(path, include=self._include, exclude=self._exclude)
        )

    async def _item(self, file: _TreeFile, known: Mapping[str, str]) -> source_ports.SourceItem:
        url = f"{self._base_url}/{quote(file.path)}" if self._base_url else ""
        version = version_of(file.blob_id, url=url)
        if known.get(file.path) == version:
            return source_ports.UnchangedDocument(path=file.path)
        if file.size > self._limits.max_document_bytes:
            return source_ports.SkippedDocument(
                path=file.path, reason=f"larger than {self._limits.max_document_bytes:,} bytes"
            )
        try:
            # The work tree is the tip just checked out: reading it costs no process per file.
            content = await asyncio.to_thread((self._folder / file.path).read_bytes)
        except OSError as error:
            return source_ports.SkippedDocument(
                path=file.path, reason=f"unreadable: {error.strerror}"
            )
        return source_ports.FetchedDocument(
            path=file.path,
            url=url,
            version=version,
            content=content,
            media_type=document_formats.FILE_MEDIA_TYPES[PurePosixPath(file.path).suffix.lower()],
        )


def version_of(blob_id: str, *, url: str) -> str:
    """A file's version: its blob id, and a digest of its link."""
    return f"{blob_id}:{hashlib.sha256(url.encode()).hexdigest()[:16]}"


def _tree_file(entry: bytes) -> _TreeFile | None:
    """A file of `git ls-tree --long` ("<mode> <type> <id> <size>\\t<path>"), or None for what
    is not a document's content: a symlink, or a submodule (type "commit")."""
    header, _, path = entry.partition(b"\t")
    mode, kind, blob_id, size = header.decode().split()
    if kind != "blob" or mode == _SYMLINK_MODE:
        return None
    return _TreeFile(path=path.decode(errors="replace"), blob_id=blob_id, size=int(size))


async def _git(*arguments: str) -> bytes:
    """Run git, never asking for a password and killed after GIT_TIMEOUT_S; return its output.

    Raises: _GitFailed with the last line git wrote, SourceUnavailable when git cannot be run or
    runs out of time (a host that does not answer: cloning again would only wait as long again).
    """
    try:
        process = await asyncio.create_subprocess_exec(
            "git",
            "-c",
            "core.askPass=",
            *arguments,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env={**os.environ, "LC_ALL": "C", "GIT_TERMINAL_PROMPT": "0"},
            # No terminal for ssh to ask on, and one process group to kill: git's helpers
            # (git-remote-https, ssh) hold its pipes open after git itself is gone.
            start_new_session=True,
        )
    except OSError as error:
        raise source_ports.SourceUnavailable(f"Unable to run git: {error.strerror}") from None
    try:
        async with asyncio.timeout(GIT_TIMEOUT_S):
            output, errors = await process.communicate()
    except TimeoutError:
        raise source_ports.SourceUnavailable(
            f"git {_command(arguments)} took longer than {GIT_TIMEOUT_S:g} s"
        ) from None
    finally:
        if process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            await process.wait()
    if process.returncode:
        raise _GitFailed(_last_line(errors.decode(errors="replace")))
    return output


def _command(arguments: tuple[str, ...]) -> str:
    """The git command of a call's arguments, past `-C <folder>`."""
    return arguments[2] if arguments[0] == "-C" else arguments[0]


async def _remove(folder: Path) -> None:
    try:
        await asyncio.to_thread(shutil.rmtree, folder)
    except OSError as error:
        raise source_ports.SourceUnavailable(
            f"Unable to clear the cache folder {folder}: {error.strerror}"
        ) from None


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return _without_credentials(lines[-1]) if lines else "git failed and said nothing"


def _without_credentials(text: str) -> str:
    return _CREDENTIALS.sub("", text)
