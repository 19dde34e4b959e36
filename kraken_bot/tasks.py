"""The jobs of the entry points: those that keep procrastinate's queues moving, and the admin's.

procrastinate's Django app imports this module (the `tasks` module of an installed app) when
Django starts. The Slack interface's tasks (`slack.jobs`) are imported by a worker as it starts
(`PROCRASTINATE_IMPORT_PATHS`): importing our `slack` while Django starts would, under mypy's
Django plugin, find slack_sdk's deprecated `slack` instead.
"""

import asyncio
import contextlib
import datetime as dt
import logging

from django.conf import settings
from django.utils import timezone
from procrastinate import BaseRetryStrategy, JobContext, RetryDecision, builtin_tasks, exceptions
from procrastinate.contrib.django import app
from procrastinate.jobs import Job, Status

from agents import embeddings
from application import embed_passages, metrics
from application import sync_source as sync_source_use_case
from domain import queries
from kraken_bot import sources

logger = logging.getLogger(__name__)

# How long finished jobs stay in the admin's list of jobs; failed ones stay until deleted.
KEEP_JOBS_HOURS = 7 * 24


# A worker beats every 10 s while it takes jobs.
HEARTBEAT_S = 10


def stalled_after_s() -> float:
    """How long a worker is silent before it is taken for dead. A stopping worker beats no more
    while its running jobs have `SHUTDOWN_GRACE_S` to finish: they must not run twice meanwhile."""
    return settings.SHUTDOWN_GRACE_S + 3 * HEARTBEAT_S


@app.periodic(cron="* * * * * */30")
@app.task(name="retry_stalled_jobs", queueing_lock="retry_stalled_jobs")
async def retry_stalled_jobs(timestamp: int) -> None:
    """Run again the jobs of the workers whose heartbeat has stopped (killed, out of memory).

    Run every 30 s, this gives a dead worker's jobs to another worker within two minutes of its
    death (with the default `SHUTDOWN_GRACE_S`). A job whose queueing lock another job already
    waits with (a periodic job deferred again, a sync asked for again) is left to that one: it is
    marked aborted, and the rest still run again. Each run again counts as an attempt of its
    job: an answer past its last attempt only tells the person (`slack.jobs`).
    """
    for job in await app.job_manager.get_stalled_jobs(seconds_since_heartbeat=stalled_after_s()):
        try:
            await app.job_manager.retry_job(job)
        except exceptions.UniqueViolation:
            logger.warning(
                "Job %s (%s) of a stalled worker is not run again: one like it waits to run",
                job.id,
                job.task_name,
            )
            await app.job_manager.finish_job(job, status=Status.ABORTED, delete_job=False)
        else:
            logger.warning("Job %s (%s) of a stalled worker is run again", job.id, job.task_name)


@app.periodic(cron="17 3 * * *")
@app.task(name="remove_old_jobs", queueing_lock="remove_old_jobs", pass_context=True)
async def remove_old_jobs(context: JobContext, timestamp: int) -> None:
    """Keep the table of jobs small: succeeded jobs go after a week."""
    await builtin_tasks.remove_old_jobs(context, max_hours=KEEP_JOBS_HOURS)


@app.periodic(cron="*/10 * * * *")
@app.task(name="embed_new_passages", lock="embed_new_passages", queueing_lock="embed_new_passages")
async def embed_new_passages(timestamp: int | None = None) -> None:
    """Embed the passages that have no vector of the embedding model yet: after a re-indexing,
    and every ten minutes for what a failing embedding model left (or a new model needs). One at
    a time (the lock): two would embed, and pay for, the same passages."""
    embedder = embeddings.configured_embedder(on_usage=metrics.count_embedding_usage)
    if embedder is None:
        return
    report = await embed_passages.embed_new_passages(embedder=embedder)
    if report.embedded or report.stopped_by:
        logger.info(
            "Embedded %d passages with %s (%d tokens)%s",
            report.embedded,
            report.model,
            report.usage.input_tokens or 0,
            f"; stopped: {report.stopped_by}" if report.stopped_by else "",
        )


class _RunAgainIfStopped(BaseRetryStrategy):
    """A sync its worker stopped part-way at shutdown (a deploy: procrastinate cancels what
    outlasts `SHUTDOWN_GRACE_S`) runs again at once, on a worker still running. A sync that failed
    is not: how is recorded on its source, and its schedule brings the next."""

    def get_retry_decision(self, *, exception: BaseException, job: Job) -> RetryDecision | None:
        if isinstance(exception, asyncio.CancelledError):
            return RetryDecision(retry_in={"seconds": 0})
        return None


@app.task(name="sync_source", pass_context=True, retry=_RunAgainIfStopped())
async def sync_source(context: JobContext, *, source_id: int, prune: bool = False) -> None:
    """Sync a documentation source: from the admin's "Sync now", or when its schedule is due.
    Never two of one source at once (the job's lock); how it ended is recorded on the source.
    Run again (its worker died: it has no retries of its own), it takes over its dead run's, up
    to a few times one after another."""
    source = await queries.find_source(source_id=source_id)
    if source is None:
        logger.warning("Source %s is gone: not synced", source_id)
        return
    try:
        await sync_source_use_case.sync_source(
            source=source,
            reader_for=sources.reader_for,
            now=timezone.now(),
            deadline_s=settings.SYNC_TIMEOUT_S,
            prune=prune,
            dead_runs=context.job.attempts,
        )
    except sync_source_use_case.SyncFailed as error:
        logger.warning("Syncing %s failed: %s", source.name, error)
        return
    with contextlib.suppress(exceptions.AlreadyEnqueued):  # the one waiting embeds them too
        await embed_new_passages.defer_async()


async def defer_sync(source_id: int, *, prune: bool = False) -> bool:
    """Queue a sync of the source; False when one is already waiting to run."""
    key = f"sync_source-{source_id}"
    try:
        await sync_source.configure(lock=key, queueing_lock=key).defer_async(
            source_id=source_id, prune=prune
        )
    except exceptions.AlreadyEnqueued:
        return False
    return True


@app.periodic(cron="* * * * *")
@app.task(name="sync_due_sources", queueing_lock="sync_due_sources")
async def sync_due_sources(timestamp: int) -> None:
    """Queue a sync of each source whose schedule is due: every `every_minutes` from its last
    sync's start."""
    now = dt.datetime.fromtimestamp(timestamp, tz=dt.UTC)
    for source in await queries.list_sources():
        if source.every_minutes and (
            source.sync_started_at is None
            or now - source.sync_started_at >= dt.timedelta(minutes=source.every_minutes)
        ):
            await defer_sync(source.id)
