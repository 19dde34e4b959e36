"""The service's start and stop, around Django's ASGI application (which has no lifespan).

At start-up: one line in the log when Slack is not configured; on SQLite, the jobs run in this
process (`job_worker.jobs_run_here`), and the questions a stop left unanswered are deferred again.
At shutdown the running jobs get `SHUTDOWN_GRACE_S` to finish, then the Slack client's connections
are closed.
"""

import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import Any

from kraken_bot import job_worker
from slack import app as slack_app
from slack import web_client

logger = logging.getLogger(__name__)


Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[Mapping[str, Any]], Awaitable[None]]
ASGIApp = Callable[[dict[str, Any], Receive, Send], Awaitable[None]]


class ServiceLifespan:
    def __init__(self, app: ASGIApp) -> None:
        self._app = app

    async def __call__(
        self,
        scope: dict[str, Any],
        receive: Receive,
        send: Send,
    ) -> None:
        if scope["type"] != "lifespan":
            await self._app(scope, receive, send)
            return
        async with contextlib.AsyncExitStack() as running:
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await running.enter_async_context(_started())
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await running.aclose()
                    await send({"type": "lifespan.shutdown.complete"})
                    return


@contextlib.asynccontextmanager
async def _started() -> AsyncIterator[None]:
    if slack_app.missing_settings():
        logger.warning(slack_app.not_configured_message())
    try:
        async with job_worker.jobs_run_here():
            yield
    finally:
        await web_client.close_session()
