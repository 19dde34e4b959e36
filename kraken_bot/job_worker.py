"""Running the jobs: procrastinate's worker, with the options every worker of ours shares.

On PostgreSQL, `manage.py worker` processes run the jobs, on any number of hosts. On SQLite (one
machine, and no job tables) the serving process runs them itself: its procrastinate app keeps the
queue in memory and a worker runs in its event loop. The inbox keeps what a stop would lose from
memory, so at start-up the questions not yet done are deferred again.

A job on PostgreSQL makes its ORM calls on a thread of its own. On SQLite the jobs make theirs on
one shared thread: SQLite writes one transaction at a time, and a thread for each job would only
have the jobs wait for the file's lock, each holding it while it waits for the interpreter's,
until the inbox's writes give up and Slack's events are refused.
"""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, Literal

from asgiref.sync import ThreadSensitiveContext
from django.conf import settings
from django.db import DatabaseError, connection
from procrastinate import App, JobContext, PsycopgConnector
from procrastinate.contrib.django import app, connector_params
from procrastinate.testing import InMemoryConnector
from procrastinate.worker import Worker

from kraken_bot import tasks
from slack import jobs

logger = logging.getLogger(__name__)


class _InMemoryJobs(InMemoryConnector):
    """procrastinate's in-memory connector keeps every query it ran and the events of every job,
    for a test to look at. A serving process keeps neither: its memory would grow with each job
    and each poll for as long as it runs."""

    async def generic_execute(
        self, query: str, suffix: Literal["run", "one", "all"], **arguments: Any
    ) -> Any:
        try:
            return await super().generic_execute(query, suffix, **arguments)
        finally:
            self.queries.clear()
            for job_id in self.events.keys() - self.jobs.keys():
                del self.events[job_id]


async def in_a_context_of_its_own(
    call_next: Callable[[], Awaitable[Any]], context: JobContext, worker: Worker
) -> Any:
    """asgiref runs the ORM calls of one context on one thread: a job in a context of its own
    runs its calls on a thread of its own, not queued behind every other job's."""
    async with ThreadSensitiveContext():
        return await call_next()


async def _answer_what_a_stop_left() -> None:
    """Without its database the service still starts, to say so at `/healthz`."""
    try:
        await jobs.answer_unfinished_events()
    except DatabaseError:
        logger.exception("Unable to look for the questions a stop left unanswered")


def worker_options() -> dict[str, Any]:
    return {
        "concurrency": settings.ANSWER_CONCURRENCY,
        "shutdown_graceful_timeout": settings.SHUTDOWN_GRACE_S,
        "update_heartbeat_interval": tasks.HEARTBEAT_S,
        # A starting worker removes the workers silent this long, and their jobs are then stalled.
        "stalled_worker_timeout": tasks.stalled_after_s(),
        "worker_middleware": [] if in_process() else [in_a_context_of_its_own],
    }


def database_worker_app() -> App:
    """The app a worker runs jobs with, on PostgreSQL: it listens for new jobs and reads them with
    procrastinate's own connector (a pool of its own; Django's connection can do neither). The
    tasks stay bound to the Django app, so a job defers new jobs with Django's connection, in the
    job's own transactions, as the web process does."""
    return app.with_connector(PsycopgConnector(kwargs=connector_params()))


def in_process() -> bool:
    """Whether this process runs its jobs itself: on SQLite, where no worker can share them."""
    return connection.vendor != "postgresql"


@contextlib.asynccontextmanager
async def jobs_run_here() -> AsyncIterator[None]:
    """While open, on SQLite, this process runs the jobs it defers, at most `ANSWER_CONCURRENCY`
    at once, in the order they came; at the end, the running ones get `SHUTDOWN_GRACE_S` to
    finish. On PostgreSQL the workers run them, and this does nothing."""
    if not in_process():
        yield
        return
    # It reads procrastinate's schema from a file as it is made: not in the loop.
    in_memory = await asyncio.to_thread(_InMemoryJobs)
    with app.replace_connector(in_memory):
        async with app.open_async():
            worker = asyncio.create_task(
                app.run_worker_async(
                    install_signal_handlers=False, delete_jobs="always", **worker_options()
                ),
                name="jobs",
            )
            try:
                await _answer_what_a_stop_left()
                yield
            finally:
                worker.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await worker
