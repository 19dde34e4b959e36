"""The base class of every Kraken Bot management command.

Django runs `handle` synchronously, outside any event loop, while the use cases are coroutines.
`AsyncCommand` runs one coroutine, `ahandle`, with `async_to_sync`, so each command is a thin
translation from its arguments to one awaited application call.
"""

from typing import Any

from asgiref.sync import async_to_sync
from django.core.management.base import BaseCommand


class AsyncCommand(BaseCommand):
    """A management command whose work is the coroutine `ahandle`."""

    async def ahandle(self, *args: Any, **options: Any) -> str | None:
        raise NotImplementedError("AsyncCommand subclasses must define `async def ahandle()`")

    def handle(self, *args: Any, **options: Any) -> str | None:
        return async_to_sync(self.ahandle)(*args, **options)
