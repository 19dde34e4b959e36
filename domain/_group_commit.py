"""Writing many small rows that arrive at once in one transaction (a group commit).

Slack's acks each wait for one small insert. Under a burst, one insert a thread round trip and a
transaction each made the inserts queue for the thread pool and, on SQLite, for its one writer's
lock, whose waiters back off for milliseconds at a time. So the rows that arrive while one group
is being written wait for it, and go in the next, together: one thread round trip, one connection
and one commit for the group. Each caller still gets its own row, or its own exception, and only
once the row is committed.
"""

import asyncio
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

from asgiref.sync import sync_to_async

T = TypeVar("T")
R = TypeVar("R")


class GroupCommit(Generic[T, R]):
    """Calls `write` (synchronous, in a thread of the shared pool) with the items waiting, one
    group at a time per event loop. `write` returns each item's result or exception, in order; an
    exception it raises fails every item of the group."""

    def __init__(self, write: Callable[[list[T]], Sequence[R | Exception]]) -> None:
        self._write = sync_to_async(write, thread_sensitive=False)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._waiting: list[tuple[T, asyncio.Future[R]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def write(self, item: T) -> R:
        """Write `item` with the others waiting, and return its result once committed."""
        loop = asyncio.get_running_loop()
        if loop is not self._loop:
            self._loop, self._waiting, self._writer = loop, [], None
        result: asyncio.Future[R] = loop.create_future()
        self._waiting.append((item, result))
        if self._writer is None or self._writer.done():
            self._writer = loop.create_task(self._write_groups(), name="group commit")
        return await result

    async def _write_groups(self) -> None:
        while self._waiting:
            group, self._waiting = self._waiting, []
            try:
                outcomes = await self._write([item for item, _ in group])
                if len(outcomes) != len(group):
                    raise RuntimeError(
                        f"A group write gave {len(outcomes)} results for {len(group)} items"
                    )
            except asyncio.CancelledError:
                for _, result in group + self._waiting:
                    result.cancel()
                raise
            except Exception as error:
                outcomes = [error] * len(group)
            for (_, result), outcome in zip(group, outcomes, strict=True):
                if result.done():
                    continue
                if isinstance(outcome, Exception):
                    result.set_exception(outcome)
                else:
                    result.set_result(outcome)
