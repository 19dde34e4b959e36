"""The retry of stalled jobs on PostgreSQL; on SQLite, where there are no jobs, a new database
migrates without procrastinate's PostgreSQL SQL."""

import datetime as dt
from collections.abc import AsyncIterator

import pytest
from django.utils import timezone
from procrastinate.contrib.django import app
from procrastinate.contrib.django.models import ProcrastinateJob, ProcrastinateWorker

from kraken_bot import tasks
from tests.databases import ON_POSTGRESQL
from tests.servers import manage, subprocess_environment

A_QUEUE = "tests-stalled"


async def _status(job_id: int) -> str:
    return str((await ProcrastinateJob.objects.aget(id=job_id)).status)


if ON_POSTGRESQL:

    @pytest.fixture(autouse=True)
    async def _no_jobs_left_behind(settings) -> AsyncIterator[None]:
        """Django empties its own tables between tests, not procrastinate's: these tests do."""
        yield
        settings.PROCRASTINATE_READONLY_MODELS = False
        await ProcrastinateJob.objects.all().adelete()
        await ProcrastinateWorker.objects.all().adelete()

    async def test_retrying_stalled_jobs_runs_again_only_the_jobs_of_dead_workers(
        settings,
    ) -> None:
        an_answer = app.configure_task(name="tests.an_answer", queue=A_QUEUE)
        dead = await app.job_manager.register_worker()
        alive = await app.job_manager.register_worker()
        dead_workers_job = await an_answer.defer_async()
        await app.job_manager.fetch_job(queues=[A_QUEUE], worker_id=dead)
        alive_workers_job = await an_answer.defer_async()
        await app.job_manager.fetch_job(queues=[A_QUEUE], worker_id=alive)
        settings.PROCRASTINATE_READONLY_MODELS = False
        await ProcrastinateWorker.objects.filter(id=dead).aupdate(
            last_heartbeat=timezone.now() - dt.timedelta(minutes=1)
        )

        await tasks.retry_stalled_jobs(timestamp=0)

        assert await _status(dead_workers_job) == "todo"
        assert await _status(alive_workers_job) == "doing"

else:

    async def test_a_new_sqlite_database_migrates_without_procrastinates_postgresql_sql(
        tmp_path,
    ) -> None:
        environment = subprocess_environment(DATABASE_URL=f"sqlite:///{tmp_path / 'new.sqlite3'}")

        migrated, _ = await manage("migrate", environment=environment)
        left, pending = await manage("migrate", "--check", environment=environment)

        assert migrated == 0
        assert left == 0, pending
