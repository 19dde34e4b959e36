"""Work that outlives the request that started it: the answer, after Slack's event is acknowledged.

Each job runs in a `ThreadSensitiveContext` of its own: asgiref runs every thread-sensitive ORM call
of one context on one thread, and a request's context ends with the request, so a job riding on it
would either queue behind every other job on one thread or lose its thread. A job's database
connections are closed when it ends. Jobs are kept until they finish, so a shutdown can wait for
them, and a job's failure is logged, never lost silently.
"""

import asyncio
import contextvars
import logging
from collections.abc import Awaitable, Callable

from asgiref.sync import ThreadSensitiveContext, sync_to_async
from django.db import connections

logger = logging.getLogger(__name__)


class BackgroundJobs:
    """The jobs of one process."""

    def __init__(self) -> None:
        self._running: set[asyncio.Task[None]] = set()

    def start(self, name: str, job: Callable[[], Awaitable[None]]) -> None:
        """Run the job in the background, in a thread-sensitive context of its own."""
        # A fresh contextvars context: the request's (and any executor asgiref tied to it) ends
        # with the request, long before the job does.
        task = asyncio.get_running_loop().create_task(
            _in_own_context(name, job), name=name, context=contextvars.Context()
        )
        self._running.add(task)
        task.add_done_callback(self._running.discard)

    @property
    def running(self) -> int:
        return len(self._running)

    async def wait(self, *, timeout_s: float) -> int:
        """Wait for the running jobs, at most `timeout_s`; return how many were still running."""
        if not self._running:
            return 0
        _, pending = await asyncio.wait(set(self._running), timeout=timeout_s)
        return len(pending)


async def _in_own_context(name: str, job: Callable[[], Awaitable[None]]) -> None:
    async with ThreadSensitiveContext():
        try:
            await job()
        except Exception:
            logger.exception("Background job failed: %s", name)
        finally:
            # The context's thread goes away with it: give its connections back (to the pool).
            await sync_to_async(connections.close_all)()


jobs = BackgroundJobs()
