"""Running the jobs a test defers, and waiting for them.

On SQLite a test runs its jobs as the serving process does (`job_worker.jobs_run_here`). On
PostgreSQL the worker of `manage.py worker` runs them, in the test's event loop (so that the
test's settings apply), while the code under test defers them as in production: with Django's
connection, in its transactions.
"""

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import pytest
from procrastinate import JobContext
from procrastinate.contrib.django import app
from procrastinate.contrib.django.models import (
    ProcrastinateEvent,
    ProcrastinateJob,
    ProcrastinatePeriodicDefer,
    ProcrastinateWorker,
)
from procrastinate.jobs import Job
from procrastinate.tasks import Task

from fakes.polling import PATIENCE_S, until
from kraken_bot import job_worker
from tests.databases import ON_POSTGRESQL

# The jobs a worker defers for itself every so often.
PERIODIC = {"retry_stalled_jobs", "remove_old_jobs"}


@pytest.fixture
async def jobs_run(settings, request: pytest.FixtureRequest) -> AsyncIterator[None]:
    """The jobs deferred during the test run, and are all finished when it ends; in a test marked
    `served`, the processes it serves run them."""
    if request.node.get_closest_marker("served"):
        settings.PROCRASTINATE_READONLY_MODELS = False
        await _no_jobs_left_behind()
        yield
        await _no_jobs_left_behind()
        return
    if not ON_POSTGRESQL:
        async with job_worker.jobs_run_here():
            yield
            await all_jobs_done()
        return
    settings.PROCRASTINATE_READONLY_MODELS = False
    await _no_jobs_left_behind()
    worker_app = job_worker.database_worker_app()
    async with worker_app.open_async():
        worker = asyncio.create_task(
            worker_app.run_worker_async(
                install_signal_handlers=False, **job_worker.worker_options()
            )
        )
        try:
            yield
            await all_jobs_done()
        finally:
            worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await worker
            await _no_jobs_left_behind()


async def all_jobs_done(*, within_s: float = PATIENCE_S) -> None:
    """Wait until no job is waiting or running."""

    async def none_left() -> bool:
        waiting = await app.job_manager.list_jobs_async(status="todo")
        running = await app.job_manager.list_jobs_async(status="doing")
        return not [job for job in [*waiting, *running] if job.task_name not in PERIODIC]

    await until(none_left, within_s=within_s)


async def periodic_run(periodic: Task[Any, Any, Any], *, timestamp: int = 0) -> None:
    """Defer a run of a periodic job beside the one a worker defers as it starts, whose queueing
    lock would refuse this one while it waits."""
    await periodic.configure(queueing_lock=f"test-{periodic.name}").defer_async(timestamp=timestamp)


async def _no_jobs_left_behind() -> None:
    """Django empties its own tables between tests, not procrastinate's."""
    if not ON_POSTGRESQL:
        return
    for model in (ProcrastinateEvent, ProcrastinatePeriodicDefer, ProcrastinateJob):
        await model.objects.all().adelete()
    await ProcrastinateWorker.objects.all().adelete()


def job_context(task: Task[Any, Any, Any], *, attempts: int) -> JobContext:
    """The context of a run of the task's job after `attempts` earlier ones, for a test that
    calls the task itself."""
    return JobContext(
        app=app,
        job=Job(
            id=1,
            queue="default",
            lock=None,
            queueing_lock=None,
            task_name=task.name,
            attempts=attempts,
        ),
        start_timestamp=0.0,
        abort_reason=lambda: None,
    )
