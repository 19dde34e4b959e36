"""The service's start and stop, around Django's ASGI application (which has no lifespan).

At start-up: one line in the log when Slack is not configured; the answer process (unless
`ANSWER_PROCESS` is off), so that answers never hold up the acknowledgement of Slack's events;
and the recovery sweep, so a restarted service finishes what a crashed one left without any cron
job. At shutdown: the sweep stops, and answers still being written, here and in the answer
process, get `SHUTDOWN_GRACE_S` to finish; any left over are finished by the next sweep. Then the
Slack client's connections are closed.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from asgiref.sync import ThreadSensitiveContext
from django.conf import settings
from django.utils import timezone

from application import recover_questions
from application.background import jobs
from slack import app as slack_app
from slack import recovery, web_client
from slack.answer_process import answer_process

logger = logging.getLogger(__name__)


Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[Mapping[str, Any]], Awaitable[None]]
ASGIApp = Callable[[dict[str, Any], Receive, Send], Awaitable[None]]


class ServiceLifespan:
    def __init__(self, app: ASGIApp) -> None:
        self._app = app
        self._sweep: asyncio.Task[None] | None = None

    async def __call__(
        self,
        scope: dict[str, Any],
        receive: Receive,
        send: Send,
    ) -> None:
        if scope["type"] != "lifespan":
            await self._app(scope, receive, send)
            return
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await self._start()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self._stop()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _start(self) -> None:
        if slack_app.missing_settings():
            logger.warning(slack_app.not_configured_message())
            return
        if settings.ANSWER_PROCESS:
            await answer_process.start()
        if settings.RECOVERY_INTERVAL_S > 0:
            self._sweep = asyncio.create_task(run_recovery_sweep(), name="recovery sweep")

    async def _stop(self) -> None:
        if self._sweep is not None:
            self._sweep.cancel()
        await asyncio.gather(answer_process.stop(), jobs.finish(grace_s=settings.SHUTDOWN_GRACE_S))
        await web_client.close_session()


async def run_recovery_sweep() -> None:
    """Recover unanswered questions every `RECOVERY_INTERVAL_S`, until cancelled."""
    async with ThreadSensitiveContext():
        await recover_questions.sweep_forever(
            interval_s=settings.RECOVERY_INTERVAL_S,
            older_than_s=settings.RECOVERY_AFTER_S,
            redeliver=recovery.redeliver,
            clock=timezone.now,
        )
