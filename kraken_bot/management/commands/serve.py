"""`manage.py serve`: migrate, then serve the ASGI application with uvicorn.

`make run` and the container both start the service through this command, so what runs locally is
what runs in production. It is the one command that is not an `AsyncCommand`: uvicorn owns the
event loop.

With several workers, or an answer process beside the one worker (`ANSWER_PROCESS`), each process
keeps its metrics in files of one folder (`PROMETHEUS_MULTIPROC_DIR`), which `/metrics` adds up.
The folder must be set before a worker imports prometheus_client and must start empty, so this
command makes a fresh one for the run (unless one is given) and removes it afterwards.
"""

import contextlib
import copy
import os
import shutil
import tempfile
from collections.abc import Iterator
from typing import Any

import uvicorn
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser


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
        if not options["no_migrate"]:
            call_command("migrate", interactive=False, verbosity=1)
        with _metrics_folder(workers=options["workers"]):
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


@contextlib.contextmanager
def _metrics_folder(*, workers: int) -> Iterator[None]:
    if (workers == 1 and not settings.ANSWER_PROCESS) or os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        yield
        return
    folder = tempfile.mkdtemp(prefix="kraken-bot-metrics-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = folder
    try:
        yield
    finally:
        del os.environ["PROMETHEUS_MULTIPROC_DIR"]
        shutil.rmtree(folder, ignore_errors=True)
