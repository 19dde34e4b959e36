"""Work that outlives the request that started it: the answer, after Slack's event is acknowledged.

Each job runs in a `ThreadSensitiveContext` of its own: asgiref runs every thread-sensitive ORM call
of one context on one thread, and a request's context ends with the request, so a job riding on it
would either queue behind every other job on one thread or lose its thread. A job's database
connections are closed when it ends. Jobs are kept until they finish, so a shutdown can wait for
them, and a job's failure is logged, never lost silently.

At most `ANSWERS_AT_ONCE` jobs run at once; the others wait their turn, in the order they came.
In a serving process that writes its own answers (no answer process), the one event loop also
acknowledges Slack's events, and an ack that waits behind hundreds of answers being written comes
too late; in the answer process, the bound keeps the answers' connections and memory in check. A
waiting job holds no thread and no connection; what it answers is already in the inbox, so one lost
in a crash is still answered by the sweep.

Within the bound, the first `FREE_STARTS` jobs start at once; beyond them, the next job starts
only when the loop is quiet (it comes back to a job that yields less than `QUIET_LAG_S` later), so
jobs do not pile onto a loop that is busy acknowledging events or writing the answers already
started. How many jobs that lets run at once follows from the work they do: many when they mostly
wait for a slow model, few when they keep the loop busy. The job first in line waits at most
`QUIET_WAIT_S` for quiet, so however busy the loop stays, answers go on: the first eight, and one
more every `QUIET_WAIT_S` at least.
"""

import asyncio
import contextvars
import logging
import time
import weakref
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from asgiref.sync import ThreadSensitiveContext, sync_to_async
from django.conf import settings
from django.db import connections

from application import metrics

logger = logging.getLogger(__name__)

FREE_STARTS = 8
QUIET_LAG_S = 0.005
QUIET_WAIT_S = 0.5
# How long a job waiting for quiet waits between two looks.
PROBE_S = 0.002


@dataclass
class _Turns:
    """The turns of one event loop's jobs."""

    slots: asyncio.Semaphore
    # The next job to start beyond the free starts waits for quiet holding this; the others queue.
    quiet: asyncio.Lock = field(default_factory=asyncio.Lock)
    running: int = 0


class BackgroundJobs:
    """The jobs of one process."""

    def __init__(self) -> None:
        self._running: set[asyncio.Task[None]] = set()
        # A semaphore belongs to the loop it first waits on; tests run many loops.
        self._turns: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Turns] = (
            weakref.WeakKeyDictionary()
        )

    def start(self, name: str, job: Callable[[], Awaitable[None]]) -> None:
        """Run the job in the background, in a thread-sensitive context of its own, when its turn
        comes."""
        loop = asyncio.get_running_loop()
        turns = self._turns.get(loop)
        if turns is None:
            turns = self._turns[loop] = _Turns(slots=asyncio.Semaphore(settings.ANSWERS_AT_ONCE))
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

    async def finish(self, *, grace_s: float) -> None:
        """At shutdown: give the jobs still running (answers being written) `grace_s` to end."""
        still_running = await self.wait(timeout_s=grace_s)
        if still_running:
            logger.warning(
                "Stopping with %s answers still being written; the recovery sweep will finish them",
                still_running,
            )


async def _in_turn(turns: _Turns, name: str, job: Callable[[], Awaitable[None]]) -> None:
    async with turns.slots:
        # Jobs already waiting for quiet go first: the order is kept.
        if turns.running >= FREE_STARTS or turns.quiet.locked():
            async with turns.quiet:
                await _until_quiet()
        turns.running += 1
        try:
            async with ThreadSensitiveContext():
                try:
                    await job()
                except Exception:
                    logger.exception("Background job failed: %s", name)
                finally:
                    # The context's thread goes away with it: give its connections back (to the
                    # pool).
                    await sync_to_async(connections.close_all)()
        finally:
            turns.running -= 1


async def _until_quiet() -> None:
    """Until the loop runs what it is given less than `QUIET_LAG_S` late, or `QUIET_WAIT_S` has
    passed. A quiet loop is seen at once: it comes back to a job that yields within the lag."""
    give_up_at = time.perf_counter() + QUIET_WAIT_S
    while True:
        yielded_at = time.perf_counter()
        await asyncio.sleep(0)
        back_at = time.perf_counter()
        if back_at - yielded_at < QUIET_LAG_S or back_at >= give_up_at:
            return
        await asyncio.sleep(PROBE_S)


jobs = BackgroundJobs()
