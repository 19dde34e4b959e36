"""Giving the database connection back as soon as a domain call is done.

Django keeps a connection per thread, and a background job's ORM calls all run on its context's
thread: without this, a job holds its connection (one of the PostgreSQL pool's few) through every
wait between its database calls, the model's answer included, and a thousand answers in flight
would need a thousand connections.
"""

import functools
from collections.abc import Awaitable, Callable
from typing import ParamSpec, TypeVar

from asgiref.sync import sync_to_async
from django.db import close_old_connections

P = ParamSpec("P")
R = TypeVar("R")


def gives_back_connection(call: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
    """Close (with a pool: return) the calling thread's connection when the call ends."""

    @functools.wraps(call)
    async def calling(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return await call(*args, **kwargs)
        finally:
            await sync_to_async(close_old_connections)()

    return calling
