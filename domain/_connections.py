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


def gives_back_connection_in_thread(call: Callable[P, R]) -> Callable[P, R]:
    """The same for a synchronous call run in a thread (through `sync_to_async`), in that one round
    trip: for calls on the path of Slack's ack, where each round trip waits its turn on the
    loop."""

    @functools.wraps(call)
    def calling(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return call(*args, **kwargs)
        finally:
            close_old_connections()

    return calling


def gives_back_connection(call: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
    """Close (with a pool: return) the calling thread's connection when the call ends."""

    @functools.wraps(call)
    async def calling(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return await call(*args, **kwargs)
        finally:
            await sync_to_async(close_old_connections)()

    return calling
