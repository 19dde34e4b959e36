"""Work that outlives the request that started it: the answer, after Slack's event is acknowledged.

Each job runs in a `ThreadSensitiveContext` of its own: asgiref runs every thread-sensitive ORM call
of one context on one thread, and a request's context ends with the request, so a job riding on it
would either queue behind every other job on one thread or lose its thread. A job's database
connections are closed when it ends. Jobs are kept until they finish, so a shutdown can wait for
them, and a job's failure is logged, never lost silently.

At most `ANSWERS_AT_ONCE` jobs run at once; the others wait their turn, in the order they came.
The process's one event loop also acknowledges Slack's events, and an ack that waits behind
hundreds of answers being written comes too late. A waiting job holds no thread and no connection;
what it answers is already in the inbox, so one lost in a crash is still answered by the sweep.
"""

import asyncio
import contextvars
import logging
import weakref
from collections.abc import Awaitable, Callable

from asgiref.sync import ThreadSensitiveContext, sync_to_async
from django.conf import settings
from django.db import connections

from application import metrics

logger = logging.getLogger(__name__)


class BackgroundJobs:
    """The jobs of one process."""

    def __init__(self) -> None:
        self._running: set[asyncio.Task[None]] = set()
        # A semaphore belongs to the loop it first waits on; tests run many loops.
        self._turns: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = (
            weakref.WeakKeyDictionary()
        )

    def start(self, name: str, job: Callable[[], Awaitable[None]]) -> None:
        """Run the job in the background, in a thread-sensitive context of its own, when its turn
        comes."""
        loop = asyncio.get_running_loop()
        turns = self._turns.setdefault(loop, asyncio.Semaphore(settings.ANSWERS_AT_ONCE))
        # A fresh contextvars context: the request's (and any executor asgiref tied to it) ends
        # with the request, long before the job does.
        task = loop.create_task(
            _in_turn(turns, name, job), name=name, context=contextvars.Context()
        )
        self._running.add(task)
        metrics.jobs_in_flight.inc()
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._running.discard(task)
        metrics.jobs_in_flight.dec()

    @property
    def running(self) -> int:
        """The jobs not yet finished, those waiting their turn included."""
        return len(self._running)

    async def wait(self, *, timeout_s: float) -> int:
        """Wait for the jobs, waiting ones included, at most `timeout_s`; return how many were
        still unfinished."""
        if not self._running:
            return 0
        _, pending = await asyncio.wait(set(self._running), timeout=timeout_s)
        return len(pending)


async def _in_turn(turns: asyncio.Semaphore, name: str, job: Callable[[], Awaitable[None]]) -> None:
    async with turns, ThreadSensitiveContext():
        try:
            await job()
        except Exception:
            logger.exception("Background job failed: %s", name)
        finally:
            # The context's thread goes away with it: give its connections back (to the pool).
            await sync_to_async(connections.close_all)()


jobs = BackgroundJobs()
