"""Where procrastinate keeps its jobs: tables on PostgreSQL, shown in the admin; none on SQLite."""

from django.db import connection
from procrastinate.contrib.django import app
from procrastinate.testing import InMemoryConnector

from tests.admin_support import logged_in
from tests.databases import ON_POSTGRESQL
from tests.job_fixtures import all_jobs_done

JOBS_PAGE = "/admin/procrastinate/procrastinatejob/"


@app.task(name="tests_nothing_to_do")
async def nothing_to_do() -> None:
    pass


def _procrastinate_tables() -> set[str]:
    return {name for name in connection.introspection.table_names() if "procrastinate" in name}


if ON_POSTGRESQL:

    def test_the_migrations_create_procrastinates_tables_on_postgresql() -> None:
        tables = _procrastinate_tables()

        assert {"procrastinate_jobs", "procrastinate_workers", "procrastinate_events"} <= tables

    def test_the_admin_lists_procrastinates_jobs_on_postgresql() -> None:
        admin = logged_in()

        index, jobs = admin.get("/admin/"), admin.get(JOBS_PAGE)

        assert JOBS_PAGE in index.content.decode()
        assert jobs.status_code == 200

else:

    def test_the_migrations_create_no_procrastinate_table_on_sqlite() -> None:
        tables = _procrastinate_tables()

        assert tables == set()

    def test_the_admin_has_no_page_of_jobs_on_sqlite() -> None:
        admin = logged_in()

        index, jobs = admin.get("/admin/"), admin.get(JOBS_PAGE)

        assert JOBS_PAGE not in index.content.decode()
        assert jobs.status_code == 404

    async def test_a_process_running_its_jobs_keeps_nothing_of_those_it_ran(jobs_run: None) -> None:
        """The serving process runs for months: what it keeps must not grow with each job."""
        in_memory = app.connector
        assert isinstance(in_memory, InMemoryConnector)
        for _ in range(20):
            await nothing_to_do.defer_async()

        await all_jobs_done()

        assert (in_memory.jobs, in_memory.events, in_memory.queries) == ({}, {}, [])
