"""`manage.py run_socket_mode`: connect to Slack over Socket Mode and serve the bot's listeners."""

import asyncio
from typing import Any

from django.conf import settings
from django.core.management.base import CommandError

from application.background import jobs
from kraken_bot import lifespan
from kraken_bot.management.base import AsyncCommand
from slack import app as slack_app
from slack import socket_mode


class Command(AsyncCommand):
    help = "Run Kraken Bot over Socket Mode (no public URL needed), with the recovery sweep."

    async def ahandle(self, *args: Any, **options: Any) -> None:
        missing = slack_app.missing_settings(slack_app.SOCKET_MODE_SETTINGS)
        if missing:
            raise CommandError(f"Socket Mode needs {' and '.join(missing)}")
        handler = socket_mode.build_handler(app_token=settings.SLACK_APP_TOKEN)
        sweep = (
            asyncio.create_task(lifespan.run_recovery_sweep())
            if settings.RECOVERY_INTERVAL_S > 0
            else None
        )
        try:
            await handler.start_async()
        finally:
            if sweep is not None:
                sweep.cancel()
            await jobs.finish(grace_s=settings.SHUTDOWN_GRACE_S)
            await handler.close_async()
