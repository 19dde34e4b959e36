import asyncio
import threading

import pytest

from domain._group_commit import GroupCommit


class _Writes:
    """A write function that records each group and can hold the first one until let go."""

    def __init__(self, *, hold_first: bool = False) -> None:
        self.groups: list[list[int]] = []
        self.first_started = threading.Event()
        self.let_go = threading.Event()
        if not hold_first:
            self.let_go.set()

    def __call__(self, items: list[int]) -> list[int | Exception]:
        self.groups.append(items)
        self.first_started.set()
        self.let_go.wait(timeout=10)
        return [ValueError(f"no {item}") if item < 0 else item * 10 for item in items]


async def test_items_that_arrive_while_a_group_is_written_are_written_together_next() -> None:
    writes = _Writes(hold_first=True)
    commit = GroupCommit(writes)
    first = asyncio.create_task(commit.write(1))
    await asyncio.to_thread(writes.first_started.wait, 10)

    waiting = [asyncio.create_task(commit.write(item)) for item in (2, 3, 4)]
    await asyncio.sleep(0)
    writes.let_go.set()

    assert await first == 10
    assert await asyncio.gather(*waiting) == [20, 30, 40]
    assert writes.groups == [[1], [2, 3, 4]]


async def test_an_item_that_cannot_be_written_fails_alone() -> None:
    commit = GroupCommit(_Writes())

    results = await asyncio.gather(
        commit.write(1), commit.write(-2), commit.write(3), return_exceptions=True
    )

    assert results[0] == 10
    assert isinstance(results[1], ValueError)
    assert results[2] == 30


async def test_a_group_that_cannot_be_written_fails_every_item_in_it() -> None:
    def broken(items: list[int]) -> list[int | Exception]:
        raise ConnectionError("the database is gone")

    commit = GroupCommit(broken)

    results = await asyncio.gather(commit.write(1), commit.write(2), return_exceptions=True)

    assert all(isinstance(result, ConnectionError) for result in results)


async def test_a_write_after_a_failed_group_is_written() -> None:
    calls = 0

    def fails_once(items: list[int]) -> list[int | Exception]:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise ConnectionError("the database is gone")
        return list(items)

    commit = GroupCommit(fails_once)
    with pytest.raises(ConnectionError):
        await commit.write(1)

    assert await commit.write(2) == 2


async def test_a_write_short_of_results_fails_every_item_rather_than_leave_one_waiting() -> None:
    def short(items: list[int]) -> list[int | Exception]:
        return list(items[1:])

    commit = GroupCommit(short)

    results = await asyncio.gather(commit.write(1), commit.write(2), return_exceptions=True)

    assert all(isinstance(result, RuntimeError) for result in results)
