"""Running an async fake server for a sync test: `call_command` must run in a sync test (it starts
its own event loop), so the fake serves from an event loop on a thread of its own."""

import asyncio
import contextlib
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractAsyncContextManager
from typing import TypeVar

T = TypeVar("T")
_TIMEOUT_S = 10


async def _cancel_the_rest() -> None:
    """Cancel what the server still runs (a deliberately slow answer the client gave up on), so
    that closing the loop destroys no pending task."""
    others = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
    for task in others:
        task.cancel()
    await asyncio.gather(*others, return_exceptions=True)


@contextlib.contextmanager
def served_in_background(factory: Callable[[], AbstractAsyncContextManager[T]]) -> Iterator[T]:
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="fake-server", daemon=True)
    thread.start()
    server = factory()
    try:
        yield asyncio.run_coroutine_threadsafe(server.__aenter__(), loop).result(_TIMEOUT_S)
    finally:
        asyncio.run_coroutine_threadsafe(server.__aexit__(None, None, None), loop).result(
            _TIMEOUT_S
        )
        asyncio.run_coroutine_threadsafe(_cancel_the_rest(), loop).result(_TIMEOUT_S)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(_TIMEOUT_S)
        loop.close()
