"""Syncing a source, with its state kept on it for the admin and `manage.py sources list`: when
it started and ended, how far it has got while it runs, its counts, or the one line that says
why it failed. A sync that fails changes no document it had not finished writing, and removes
none: the last good passages stay searchable. Two syncs of one source never run at once, whether
jobs or `sources sync` (they would share a git clone, and each remove what the other had not
written yet).
"""

import asyncio
import datetime as dt
import logging
import time
from collections.abc import Callable

from application import source_ports, sync_documents
from domain import operations, records

logger = logging.getLogger(__name__)

# How often, at most, a running sync writes how far it has got.
PROGRESS_EVERY_S = 2.0
STOPPED = "Stopped with its process before it ended"
# A sync whose process died in this many runs one after another is not run again: whatever
# kills it (a document too big for the memory) would take down the next process too.
DEAD_RUNS_AT_MOST = 3


class SyncFailed(Exception):
    """The sync did not complete; its reason is recorded on the source."""


ReaderFactory = Callable[[records.Source], source_ports.SourceReader]


async def sync_source(
    *,
    source: records.Source,
    reader_for: ReaderFactory,
    now: dt.datetime,
    deadline_s: float,
    prune: bool = False,
    dead_runs: int = 0,
) -> sync_documents.IndexReport:
    """Bring the source's collection up to date with it, recording how it goes on the source;
    a sync that takes longer than `deadline_s` is stopped. `dead_runs`: how many runs of this
    sync died with their process, one after another; the last shows running, and this one takes
    its place, unless there were too many.

    Raises: SyncFailed (one already running too).
    """
    if dead_runs > DEAD_RUNS_AT_MOST:
        reason = f"Its process died in each of its last {dead_runs} runs: left for the next sync"
        await operations.record_sync_ended(source_id=source.id, now=now, error=reason)
        raise SyncFailed(reason)
    running_at_most = dt.timedelta(seconds=0 if dead_runs else deadline_s)
    try:
        await operations.record_sync_started(
            source_id=source.id, now=now, running_at_most=running_at_most
        )
    except operations.SyncRunning:
        raise SyncFailed("A sync of this source is running already: wait for it to end") from None
    shown = _ProgressWriter(source.id)
    try:
        async with asyncio.timeout(deadline_s):
            report = await sync_documents.sync_documents(
                reader=reader_for(source),
                where=f"the source {source.name!r} ({source.location})",
                collection=source.collection,
                now=now,
                source_id=source.id,
                prune=prune,
                on_read=shown.read,
                progress=shown.written,
            )
    except (
        source_ports.SourceUnavailable,
        sync_documents.WouldRemoveDocuments,
        sync_documents.InvalidCollectionName,
        ValueError,
        TimeoutError,
    ) as error:
        reason = _one_line(error)
        await operations.record_sync_ended(source_id=source.id, now=_now(now, shown), error=reason)
        raise SyncFailed(reason) from error
    except asyncio.CancelledError:
        # Its process is stopping (a deploy): said, so that the next sync need not wait for the
        # deadline to take this one for dead.
        await operations.record_sync_ended(source_id=source.id, now=_now(now, shown), error=STOPPED)
        raise
    except Exception as error:
        await operations.record_sync_ended(
            source_id=source.id,
            now=_now(now, shown),
            error=f"Unexpected error: {type(error).__name__}",
        )
        raise
    await operations.record_sync_ended(
        source_id=source.id, now=_now(now, shown), counts=report.as_counts()
    )
    logger.info("Synced %s: %s", source.name, report.counts())
    return report


class _ProgressWriter:
    """Writes how far the sync has got on the source, at most every `PROGRESS_EVERY_S`."""

    def __init__(self, source_id: int) -> None:
        self._source_id = source_id
        self._written_at = time.monotonic()
        self.started = self._written_at

    async def read(self, count: int) -> None:
        await self._write(f"Read {count:,} documents")

    async def written(self, *, done: int, total: int, path: str) -> None:
        await self._write(f"Wrote {done:,} of {total:,} changed documents")

    async def _write(self, progress: str) -> None:
        if time.monotonic() - self._written_at < PROGRESS_EVERY_S:
            return
        self._written_at = time.monotonic()
        await operations.record_sync_progress(source_id=self._source_id, progress=progress)


def _now(started: dt.datetime, shown: _ProgressWriter) -> dt.datetime:
    """When the sync ended: the domain does not read the clock, so it is counted from `started`."""
    return started + dt.timedelta(seconds=time.monotonic() - shown.started)


def _one_line(error: BaseException) -> str:
    if isinstance(error, TimeoutError):
        return "Took too long: stopped, nothing removed"
    return " ".join(str(error).split())
