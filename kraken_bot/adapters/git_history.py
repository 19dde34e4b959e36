"""The git history port over the `git` command, run as an async subprocess.

`git log` writes one record per commit, introduced by an ASCII record separator (0x1E) and with
NUL-separated fields, so no subject, body or trailer can be mistaken for a boundary; the output is
read in chunks and parsed as it streams, never held whole.
"""

import asyncio
import datetime as dt
import os
from collections.abc import AsyncIterator
from pathlib import Path

from application import release_notes_ports
from domain import history

CHUNK_BYTES = 64 * 1024
# A commit message longer than this is cut: the notes need its first lines, not a whole essay.
MAX_BODY_CHARS = 4_000

_RECORD = b"\x1e"
_FIELDS = ("%H", "%P", "%an", "%ct", "%s", "%b", "%(trailers:unfold,only)")
_FORMAT = "%x1e" + "%x00".join(_FIELDS)


class GitRepository:
    """A repository on disk, read with `git -C <path>`."""

    def __init__(self, path: Path) -> None:
        self._path = path

    async def resolve_range(self, *, from_ref: str | None, to_ref: str) -> history.ReleaseRange:
        top_level = await self._top_level()
        await self._refuse_shallow(top_level)
        to_sha = await self._commit_of(to_ref)
        if from_ref is None:
            from_ref = await self._latest_tag(to_sha)
        from_sha = await self._commit_of(from_ref) if from_ref else ""
        return history.ReleaseRange(
            repository=top_level,
            from_ref=from_ref,
            from_sha=from_sha,
            to_ref=to_ref,
            to_sha=to_sha,
        )

    async def commits(
        self, *, release_range: history.ReleaseRange
    ) -> AsyncIterator[history.GitCommit]:
        revisions = (
            f"{release_range.from_sha}..{release_range.to_sha}"
            if release_range.from_sha
            else release_range.to_sha
        )
        process = await self._start("log", "--topo-order", f"--format={_FORMAT}", revisions)
        assert process.stdout is not None  # noqa: S101 - asked for with PIPE
        errors = asyncio.create_task(_read_all(process.stderr))
        buffer = b""
        try:
            while chunk := await process.stdout.read(CHUNK_BYTES):
                *records, buffer = (buffer + chunk).split(_RECORD)
                for record in records:
                    if record:
                        yield _commit(record)
            if buffer:
                yield _commit(buffer)
            if await process.wait():
                raise release_notes_ports.GitFailed(_first_line(await errors, "git log failed"))
        finally:
            if process.returncode is None:
                process.kill()
                await process.wait()
            await errors

    async def _top_level(self) -> str:
        code, output, error = await self._run("rev-parse", "--show-toplevel")
        if code:
            raise release_notes_ports.NotARepository(
                f"{self._path} is not a git repository ({_first_line(error, 'git refused it')})"
            )
        return output.strip()

    async def _refuse_shallow(self, top_level: str) -> None:
        """A shallow clone's history stops short: the latest tag is not found, and `git log` ends at
        the clone's boundary, so its notes would cover the wrong range without a word."""
        _, output, _ = await self._run("rev-parse", "--is-shallow-repository")
        if output.strip() == "true":
            raise release_notes_ports.ShallowClone(
                f"{top_level} is a shallow clone, so its history stops short of the range: run "
                "`git fetch --unshallow` in it first (in CI, check it out with fetch depth 0)"
            )

    async def _commit_of(self, ref: str) -> str:
        if ref.startswith("-"):
            raise release_notes_ports.UnknownRef(f"Unknown ref {ref!r}: refs never start with '-'")
        code, output, _ = await self._run("rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
        if code:
            raise release_notes_ports.UnknownRef(
                f"Unknown ref {ref!r}: no commit of {self._path} is called that"
            )
        return output.strip()

    async def _latest_tag(self, sha: str) -> str:
        """The latest tag reachable from the commit's parent, or empty when there is none."""
        # Before the commit itself: notes up to a tagged release start from the tag before it.
        code, output, _ = await self._run("describe", "--tags", "--abbrev=0", f"{sha}^")
        return output.strip() if code == 0 else ""

    async def _run(self, *arguments: str) -> tuple[int, str, str]:
        process = await self._start(*arguments)
        output, error = await process.communicate()
        return (
            process.returncode or 0,
            output.decode(errors="replace"),
            error.decode(errors="replace"),
        )

    async def _start(self, *arguments: str) -> asyncio.subprocess.Process:
        try:
            return await asyncio.create_subprocess_exec(
                "git",
                "-C",
                str(self._path),
                *arguments,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                env={**os.environ, "LC_ALL": "C", "GIT_PAGER": "cat"},
            )
        except OSError as error:
            raise release_notes_ports.GitFailed(f"Unable to run git: {error.strerror}") from None


def _commit(record: bytes) -> history.GitCommit:
    fields = record.decode(errors="replace").strip("\n").split("\x00")
    if len(fields) < len(_FIELDS):
        raise release_notes_ports.GitFailed(f"Unreadable git log record: {fields[0][:40]!r}")
    sha, parents, author, committed, subject = fields[:5]
    # A body is the one field that could hold a NUL of its own; the trailers come last.
    body, trailers = "\x00".join(fields[5:-1]), fields[-1]
    return history.GitCommit(
        sha=sha,
        parents=tuple(parents.split()),
        author=author,
        committed_at=dt.datetime.fromtimestamp(int(committed), tz=dt.UTC),
        subject=subject,
        body=body.strip()[:MAX_BODY_CHARS],
        trailers=tuple(_trailers(trailers)),
    )


def _trailers(text: str) -> list[tuple[str, str]]:
    pairs = []
    for line in text.splitlines():
        key, separator, value = line.partition(":")
        if separator and key.strip():
            pairs.append((key.strip(), value.strip()))
    return pairs


async def _read_all(stream: asyncio.StreamReader | None) -> str:
    return (await stream.read()).decode(errors="replace") if stream else ""


def _first_line(text: str, default: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[0] if lines else default
