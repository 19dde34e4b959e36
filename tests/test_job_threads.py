"""The threads jobs make their ORM calls on: on PostgreSQL a thread for each job, so that one
job's calls do not wait behind another's; on SQLite, which writes one transaction at a time, one
thread for all, so that the jobs do not wait for each other's lock on the file."""

import threading

import pytest
from asgiref.sync import sync_to_async
from procrastinate.contrib.django import app

from fakes.polling import PATIENCE_S, until
from tests.databases import ON_POSTGRESQL

JOBS = 3
threads_used: list[int] = []


@app.task(name="tests_record_orm_thread")
async def record_orm_thread() -> None:
    """Note the thread a thread-sensitive call runs on, and stay running until every job has, so
    that the jobs overlap (a thread that ended may give its id to the next one)."""
    threads_used.append(await sync_to_async(threading.get_ident)())
    await until(every_job_noted, within_s=PATIENCE_S)


async def every_job_noted() -> bool:
    return len(threads_used) == JOBS


@pytest.fixture
def no_threads_noted() -> None:
    threads_used.clear()


async def test_jobs_at_once_make_their_orm_calls_on_the_threads_their_database_suits(
    no_threads_noted: None, jobs_run: None
) -> None:
    for _ in range(JOBS):
        await record_orm_thread.defer_async()

    await until(every_job_noted, within_s=PATIENCE_S)

    assert len(set(threads_used)) == (JOBS if ON_POSTGRESQL else 1)
