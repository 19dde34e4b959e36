"""`manage.py worker`: run the jobs of every queue with procrastinate's own worker, on PostgreSQL.

Any number of workers, on any number of hosts, share the jobs through the database. A worker runs
`ANSWER_CONCURRENCY` jobs at once. On SIGTERM (a deploy) it takes no new job and gives the running
ones `SHUTDOWN_GRACE_S` to finish, then aborts the rest; a second SIGTERM stops it at once. The
jobs of a worker that died are run again by the periodic `retry_stalled_jobs` (`kraken_bot.tasks`).
"""

from typing import Any

from django.conf import settings
from django.core.management.base import CommandError
from django.db import connection
from procrastinate import PsycopgConnector
from procrastinate.contrib.django import app, connector_params

from kraken_bot.management.base import AsyncCommand

NEEDS_POSTGRESQL = (
    "the worker needs PostgreSQL: set DATABASE_URL=postgres://…; "
    "on SQLite the service answers in-process"
)


class Command(AsyncCommand):
    help = (
        "Run Kraken Bot's jobs (PostgreSQL only), ANSWER_CONCURRENCY at once, until SIGTERM; "
        "start as many workers as needed, on any hosts."
    )
    # procrastinate's worker stops gracefully on SIGTERM with asyncio's signal handlers.
    loop_in_main_thread = True

    def handle(self, *args: Any, **options: Any) -> str | None:
        if connection.vendor != "postgresql":
            raise CommandError(NEEDS_POSTGRESQL)
        return super().handle(*args, **options)

    async def ahandle(self, *args: Any, **options: Any) -> None:
        # Django's own connections suit deferring jobs; a worker listens for new jobs, which
        # needs procrastinate's connector (with a pool of its own) on the same database.
        with app.replace_connector(PsycopgConnector(kwargs=connector_params())):
            async with app.open_async():
                await app.run_worker_async(
                    concurrency=settings.ANSWER_CONCURRENCY,
                    shutdown_graceful_timeout=settings.SHUTDOWN_GRACE_S,
                )
