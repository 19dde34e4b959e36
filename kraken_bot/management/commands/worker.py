"""`manage.py worker`: run the jobs of every queue with procrastinate's own worker, on PostgreSQL.

Any number of workers, on any number of hosts, share the jobs through the database. A worker runs
`ANSWER_CONCURRENCY` jobs at once. On SIGTERM (a deploy) it takes no new job and gives the running
ones `SHUTDOWN_GRACE_S` to finish, then aborts the rest; a second SIGTERM stops it at once. The
jobs of a worker that died are run again by the periodic `retry_stalled_jobs` (`kraken_bot.tasks`).
With `WORKER_METRICS_PORT` and `METRICS_TOKEN` set, it serves its own `/metrics`. A worker that
loses the database stops, saying so in one line, with status 1: a restart policy starts it again.
"""

from typing import Any

from django.core.management.base import CommandError
from procrastinate.exceptions import ConnectorException

from kraken_bot import job_worker, worker_metrics
from kraken_bot.management.base import AsyncCommand

NEEDS_POSTGRESQL = (
    "the worker needs PostgreSQL: set DATABASE_URL=postgres://…; "
    "on SQLite the service answers in-process"
)

LOST_DATABASE = (
    "the worker stopped: it cannot reach the database; its jobs wait there for a worker "
    "started once the database is back"
)


class Command(AsyncCommand):
    help = (
        "Run Kraken Bot's jobs (PostgreSQL only), ANSWER_CONCURRENCY at once, until SIGTERM; "
        "start as many workers as needed, on any hosts."
    )
    # procrastinate's worker stops gracefully on SIGTERM with asyncio's signal handlers.
    loop_in_main_thread = True

    def handle(self, *args: Any, **options: Any) -> str | None:
        if job_worker.in_process():
            raise CommandError(NEEDS_POSTGRESQL)
        return super().handle(*args, **options)

    async def ahandle(self, *args: Any, **options: Any) -> None:
        worker_app = job_worker.database_worker_app()
        try:
            async with worker_app.open_async(), worker_metrics.metrics_served():
                await worker_app.run_worker_async(**job_worker.worker_options())
        except ConnectorException as error:
            # procrastinate stops a worker whose connection to the database broke.
            raise CommandError(f"{LOST_DATABASE} ({error.__cause__ or error})") from None
