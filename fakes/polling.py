"""Waiting for state that reports nothing when it changes (a database, another process)."""

import asyncio
import time
from collections.abc import Awaitable, Callable

EVERY_S = 0.1
# How long a test waits for another process (a served bot, an answer) before it gives up: generous,
# for a machine whose cores are busy with other work can be many times slower than a quiet one.
PATIENCE_S = 120


async def until(condition: Callable[[], Awaitable[bool]], *, within_s: float) -> float:
    """Check the condition every 0.1 s until it holds; return how long that took.

    Raises: TimeoutError when it still does not hold after `within_s`.
    """
    started = time.monotonic()
    while not await condition():
        if time.monotonic() - started > within_s:
            raise TimeoutError(f"{condition.__qualname__}: still not the case after {within_s} s")
        await asyncio.sleep(EVERY_S)
    return time.monotonic() - started
