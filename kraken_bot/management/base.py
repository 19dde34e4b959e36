"""The base class of every Kraken Bot management command.

Django runs `handle` synchronously, outside any event loop, while the use cases are coroutines.
`AsyncCommand` runs one coroutine, `ahandle`, with `async_to_sync`, so each command is a thin
translation from its arguments to one awaited application call.

`async_to_sync` runs the event loop in a thread of its own, and Python delivers signals to the
main thread only: a command whose loop stops on SIGTERM through asyncio's signal handlers (the
procrastinate worker's does) sets `loop_in_main_thread` and gets its loop there.
"""

import asyncio
from typing import Any

from asgiref.sync import async_to_sync
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor

from slack import web_client

NOT_MIGRATED = "The database is not migrated: run `python manage.py migrate` first"


class AsyncCommand(BaseCommand):
    """A management command whose work is the coroutine `ahandle`."""

    loop_in_main_thread = False

    async def ahandle(self, *args: Any, **options: Any) -> str | None:
        raise NotImplementedError("AsyncCommand subclasses must define `async def ahandle()`")

    def handle(self, *args: Any, **options: Any) -> str | None:
        _require_migrated_database()
        if self.loop_in_main_thread:
            return asyncio.run(self._handle_and_close(*args, **options))
        return async_to_sync(self._handle_and_close)(*args, **options)

    async def _handle_and_close(self, *args: Any, **options: Any) -> str | None:
        """The loop ends with the command: close the Slack connections it opened first."""
        try:
            return await self.ahandle(*args, **options)
        finally:
            await web_client.close_session()


def _require_migrated_database() -> None:
    """A command run before `migrate` would otherwise fail deep inside its first query, with a
    traceback that does not say what to do."""
    try:
        executor = MigrationExecutor(connection)
        missing = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except DatabaseError as error:
        raise CommandError(f"Unable to reach the database: {error}") from error
    if missing:
        raise CommandError(NOT_MIGRATED)
