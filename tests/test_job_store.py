"""Where procrastinate keeps its jobs: PostgreSQL's tables, shown in the admin; nothing on SQLite.

procrastinate runs on PostgreSQL only. Each test of what it brings there has a counterpart saying
what SQLite, the embedded default, has instead, so both databases run as many tests.
"""

from django.db import connection

from tests.admin_support import logged_in

# `vendor` comes from the settings alone: reading it opens no connection.
ON_POSTGRESQL = connection.vendor == "postgresql"
JOBS_PAGE = "/admin/procrastinate/procrastinatejob/"


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
