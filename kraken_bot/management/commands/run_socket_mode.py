"""`manage.py run_socket_mode`: connect to Slack over Socket Mode and serve the bot's listeners.

Its process counts the events it records (and on SQLite the answers it runs), which no web
process's `/metrics` sees: with `WORKER_METRICS_PORT` and `METRICS_TOKEN` set, it serves its own,
as a job worker does."""

from typing import Any

from django.conf import settings
from django.core.management.base import CommandError

from kraken_bot import job_worker, worker_metrics
from kraken_bot.management.base import AsyncCommand
from slack import app as slack_app
from slack import socket_mode


class Command(AsyncCommand):
    help = "Run Kraken Bot over Socket Mode (no public URL needed); on SQLite it runs the jobs too."

    async def ahandle(self, *args: Any, **options: Any) -> None:
        missing = slack_app.missing_settings(slack_app.SOCKET_MODE_SETTINGS)
        if missing:
            raise CommandError(f"Socket Mode needs {' and '.join(missing)}")
        handler = socket_mode.build_handler(app_token=settings.SLACK_APP_TOKEN)
        async with job_worker.jobs_run_here(), worker_metrics.metrics_served():
            try:
                await handler.start_async()
            finally:
                await handler.close_async()
