"""Taking SQLite's write lock promptly, for the writes Slack's acks wait on.

SQLite has one writer at a time, and its own wait for the lock (`busy_timeout`) sleeps 1, 2, 5, 10
and then up to 100 ms between tries. While another process writes often (the answer process,
answering a burst of questions), such a waiter misses the lock again and again: acks came
hundreds of milliseconds late. These writes try again every millisecond instead, for as long as
SQLite would have waited, so the lock goes to them first. A write given here must be one
transaction: a try that found the lock taken did nothing, so trying again is safe.
"""

import time
from collections.abc import Callable
from typing import TypeVar

from django.db import OperationalError, connection

R = TypeVar("R")

RETRY_EVERY_S = 0.001
# Python's sqlite3 waits this long for the lock when Django's settings do not say.
_SQLITE_TIMEOUT_S = 5.0


def promptly(write: Callable[[], R]) -> R:
    """Run `write` (one transaction), trying again at once while SQLite's write lock is taken."""
    if connection.vendor != "sqlite":
        return write()
    patience_s = float(connection.settings_dict["OPTIONS"].get("timeout", _SQLITE_TIMEOUT_S))
    _wait_for_lock_ms(0)
    try:
        return retry_while_locked(write, patience_s=patience_s)
    finally:
        _wait_for_lock_ms(round(patience_s * 1000))


def retry_while_locked(write: Callable[[], R], *, patience_s: float) -> R:
    """Call `write` until it does not find the database locked, every `RETRY_EVERY_S`.

    Raises: OperationalError, when still locked after `patience_s`, or for anything else.
    """
    deadline = time.monotonic() + patience_s
    while True:
        try:
            return write()
        except OperationalError as error:
            if "locked" not in str(error) or time.monotonic() >= deadline:
                raise
        time.sleep(RETRY_EVERY_S)


def _wait_for_lock_ms(milliseconds: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"PRAGMA busy_timeout = {milliseconds:d}")
