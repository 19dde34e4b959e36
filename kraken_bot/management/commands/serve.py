"""`manage.py serve`: migrate, then serve the ASGI application with uvicorn.

`make run` and the container both start the service through this command, so what runs locally is
what runs in production. It is the one command that is not an `AsyncCommand`: uvicorn owns the
event loop.

Every process it starts keeps its metrics in files of the folder `manage.py` set for it before
anything imported prometheus_client (`kraken_bot.metrics_folder`), which `/metrics` adds up.
"""

import copy
from typing import Any

import uvicorn
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from kraken_bot import job_worker

# Each process would run its own queue of jobs, and answer again at start-up what the others are
# still answering.
ONE_PROCESS_ON_SQLITE = (
    "on SQLite the service runs its jobs in its one process: use --workers 1 "
    "(WEB_CONCURRENCY=1 in the image), "
    "or PostgreSQL (DATABASE_URL=postgres://…) with `manage.py worker` to scale out"
)


class Command(BaseCommand):
    help = "Apply migrations, then serve Kraken Bot with uvicorn."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--workers", type=int, default=1)
        parser.add_argument(
            "--no-migrate", action="store_true", help="Do not apply migrations before serving."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["workers"] > 1 and job_worker.in_process():
            raise CommandError(ONE_PROCESS_ON_SQLITE)
        if not options["no_migrate"]:
            call_command("migrate", interactive=False, verbosity=1)
        uvicorn.run(
            "kraken_bot.asgi:application",
            host=options["host"],
            port=options["port"],
            workers=options["workers"],
            proxy_headers=True,
            lifespan="on",
            log_config=_uvicorn_log_config(),
        )


def _uvicorn_log_config() -> dict[str, Any] | None:
    """uvicorn's logging: with `LOG_FORMAT=json` none of its own, so its lines go through the
    service's handler at `LOG_LEVEL`; with `text` its own, its line per request (each Slack event
    is one) at `LOG_LEVEL` too, and where it listens always said."""
    if settings.LOG_FORMAT == "json":
        return None
    config = copy.deepcopy(uvicorn.config.LOGGING_CONFIG)
    config["loggers"]["uvicorn.access"]["level"] = settings.LOG_LEVEL.upper()
    return config
