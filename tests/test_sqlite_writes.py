import pytest
from django.db import OperationalError

from domain import _sqlite_writes


class _LockedFor:
    """A write that finds the database locked the first `tries` times."""

    def __init__(self, tries: int, *, error: str = "database is locked") -> None:
        self.tries = tries
        self.calls = 0
        self.error = error

    def __call__(self) -> str:
        self.calls += 1
        if self.calls <= self.tries:
            raise OperationalError(self.error)
        return "written"


def test_a_write_that_finds_the_database_locked_is_tried_again_until_it_is_done() -> None:
    write = _LockedFor(3)

    result = _sqlite_writes.retry_while_locked(write, patience_s=10)

    assert result == "written"
    assert write.calls == 4


def test_a_write_still_locked_out_when_patience_runs_out_raises_the_lock_error() -> None:
    write = _LockedFor(10**9)

    with pytest.raises(OperationalError, match="locked"):
        _sqlite_writes.retry_while_locked(write, patience_s=0.02)

    assert write.calls > 1


def test_a_database_error_other_than_the_lock_is_raised_at_once() -> None:
    write = _LockedFor(1, error="disk I/O error")

    with pytest.raises(OperationalError, match="disk I/O"):
        _sqlite_writes.retry_while_locked(write, patience_s=10)

    assert write.calls == 1
