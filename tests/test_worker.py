"""`manage.py worker` and the retry of stalled jobs on PostgreSQL; on SQLite, where there are no
jobs, the worker's refusal and a new database that migrates without procrastinate's SQL."""

import asyncio
import datetime as dt
import sys
from collections.abc import AsyncIterator

import pytest
from django.utils import timezone
from procrastinate.contrib.django import app
from procrastinate.contrib.django.models import ProcrastinateJob, ProcrastinateWorker
from procrastinate.jobs import JobDeferrer

from fakes.polling import PATIENCE_S, until
from fakes.servers import (
    PROJECT_DIR,
    database_url_shared_with_tests,
    manage,
    subprocess_environment,
)
from kraken_bot import job_worker, tasks
from kraken_bot.management.commands.worker import NEEDS_POSTGRESQL
from tests.databases import ON_POSTGRESQL

A_QUEUE = "tests-stalled"


async def _status(job_id: int) -> str:
    return str((await ProcrastinateJob.objects.aget(id=job_id)).status)


if ON_POSTGRESQL:

    @pytest.fixture(autouse=True)
    async def _no_jobs_left_behind(settings) -> AsyncIterator[None]:
        """Django empties its own tables between tests, not procrastinate's: these tests do (and
        write its workers' heartbeats)."""
        settings.PROCRASTINATE_READONLY_MODELS = False
        yield
        await ProcrastinateJob.objects.all().adelete()
        await ProcrastinateWorker.objects.all().adelete()

    async def _taken_by(worker_id: int, task: JobDeferrer) -> int:
        """A job of the task, deferred and taken by the worker."""
        job_id = await task.defer_async()
        await app.job_manager.fetch_job(queues=[A_QUEUE], worker_id=worker_id)
        return job_id

    async def _silent_for(worker_id: int, seconds: float) -> None:
        await ProcrastinateWorker.objects.filter(id=worker_id).aupdate(
            last_heartbeat=timezone.now() - dt.timedelta(seconds=seconds)
        )

    async def test_a_worker_runs_a_deferred_job_and_stops_gracefully_on_sigterm() -> None:
        job_id = await app.configure_task(tasks.retry_stalled_jobs.name).defer_async(timestamp=0)
        worker = await asyncio.create_subprocess_exec(
            sys.executable,
            str(PROJECT_DIR / "manage.py"),
            "worker",
            cwd=PROJECT_DIR,
            env=subprocess_environment(DATABASE_URL=database_url_shared_with_tests()),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        try:

            async def job_succeeded() -> bool:
                return await _status(job_id) == "succeeded"

            await until(job_succeeded, within_s=PATIENCE_S)
            worker.terminate()
            output, _ = await asyncio.wait_for(worker.communicate(), PATIENCE_S)
        finally:
            if worker.returncode is None:
                worker.kill()
                await worker.wait()

        assert worker.returncode == 0, output.decode(errors="replace")
        assert not await ProcrastinateWorker.objects.aexists()

    async def test_retrying_stalled_jobs_runs_again_only_the_jobs_of_dead_workers(
        settings,
    ) -> None:
        """One worker beats; one is stopping: it beats no more while its running jobs have
        `SHUTDOWN_GRACE_S` to finish, and is not taken for dead meanwhile; one is dead, with an
        answer and a periodic job deferred again since (it cannot wait twice: its queueing lock),
        which must not keep the answer from running again."""
        settings.SHUTDOWN_GRACE_S = 30
        an_answer = app.configure_task(name="tests.an_answer", queue=A_QUEUE)
        every_minute = app.configure_task(
            name="tests.every_minute", queue=A_QUEUE, queueing_lock="tests.every_minute"
        )
        alive, stopping, dead = [await app.job_manager.register_worker() for _ in range(3)]
        alive_workers_job = await _taken_by(alive, an_answer)
        finishing = await _taken_by(stopping, an_answer)
        stalled_periodic = await _taken_by(dead, every_minute)
        dead_workers_job = await _taken_by(dead, an_answer)
        waiting_periodic = await every_minute.defer_async()
        await _silent_for(stopping, 10 + settings.SHUTDOWN_GRACE_S)
        await _silent_for(dead, tasks.stalled_after_s() + 1)

        await tasks.retry_stalled_jobs(timestamp=0)
        pruned = await app.job_manager.prune_stalled_workers(
            job_worker.worker_options()["stalled_worker_timeout"]
        )

        statuses = [
            await _status(job)
            for job in (alive_workers_job, finishing, dead_workers_job, stalled_periodic)
        ]
        assert statuses == ["doing", "doing", "todo", "aborted"]
        assert await _status(waiting_periodic) == "todo"
        assert pruned == [dead]

else:

    async def test_the_worker_refuses_to_start_on_sqlite_in_one_line() -> None:
        environment = subprocess_environment(DATABASE_URL=database_url_shared_with_tests())

        status, output = await manage("worker", environment=environment)

        assert status == 1
        assert output == f"CommandError: {NEEDS_POSTGRESQL}\n"

    async def test_a_new_sqlite_database_migrates_without_procrastinates_postgresql_sql(
        tmp_path,
    ) -> None:
        environment = subprocess_environment(DATABASE_URL=f"sqlite:///{tmp_path / 'new.sqlite3'}")

        migrated, _ = await manage("migrate", environment=environment)
        left, pending = await manage("migrate", "--check", environment=environment)

        assert migrated == 0
        assert left == 0, pending
