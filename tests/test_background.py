"""The bound on the jobs one process runs at once: the rest wait their turn, in order."""

import asyncio
import time

from application import background
from application.background import BackgroundJobs


async def test_jobs_beyond_the_bound_wait_their_turn_in_order(settings) -> None:
    settings.ANSWERS_AT_ONCE = 1
    jobs = BackgroundJobs()
    log: list[str] = []
    first_may_end = asyncio.Event()

    def job(name: str, *, gate: asyncio.Event | None = None):
        async def run() -> None:
            log.append(f"{name} starts")
            if gate is not None:
                await gate.wait()
            log.append(f"{name} ends")

        return run

    jobs.start("first", job("first", gate=first_may_end))
    jobs.start("second", job("second"))
    jobs.start("third", job("third"))

    assert await jobs.wait(timeout_s=0) == 3
    assert log == ["first starts"]
    first_may_end.set()
    assert await jobs.wait(timeout_s=10) == 0
    assert log == [
        "first starts",
        "first ends",
        "second starts",
        "second ends",
        "third starts",
        "third ends",
    ]
    assert jobs.running == 0


async def test_jobs_within_the_bound_run_side_by_side(settings) -> None:
    settings.ANSWERS_AT_ONCE = 2
    jobs = BackgroundJobs()
    both_started = asyncio.Barrier(2)

    async def meet() -> None:
        await both_started.wait()

    jobs.start("one", meet)
    jobs.start("two", meet)

    assert await jobs.wait(timeout_s=10) == 0


class _HeldJobs:
    """Jobs that start and then wait to be released, for the tests of the quiet gate."""

    def __init__(self) -> None:
        self.jobs = BackgroundJobs()
        self.started: list[str] = []
        self.released = asyncio.Event()
        self.free_started = asyncio.Event()
        self.next_started = asyncio.Event()
        self.quiet = asyncio.Event()

    def job(self, name: str):
        async def run() -> None:
            self.started.append(name)
            if len(self.started) == background.FREE_STARTS:
                self.free_started.set()
            if name == "next":
                self.next_started.set()
            await self.released.wait()

        return run

    async def take_the_free_starts_and_busy_the_loop(self) -> asyncio.Task[None]:
        for number in range(background.FREE_STARTS):
            self.jobs.start(f"free {number}", self.job(f"free {number}"))
        await self.free_started.wait()
        return asyncio.create_task(_keep_the_loop_busy(self.quiet))


async def _keep_the_loop_busy(until: asyncio.Event) -> None:
    """Keep the loop busy in slices of 20 ms (CPU, not a blocking call) until told to stop."""
    while not until.is_set():
        slice_ends = time.perf_counter() + 0.02
        while time.perf_counter() < slice_ends:
            pass
        await asyncio.sleep(0)


async def test_beyond_the_free_starts_a_job_waits_for_the_loop_to_be_quiet(settings) -> None:
    settings.ANSWERS_AT_ONCE = background.FREE_STARTS + 1
    held = _HeldJobs()
    busy = await held.take_the_free_starts_and_busy_the_loop()

    held.jobs.start("next", held.job("next"))
    await asyncio.sleep(0.2)  # a window, shorter than QUIET_WAIT_S, in which it must not start
    started_while_busy = held.next_started.is_set()
    held.quiet.set()
    await busy
    await held.next_started.wait()

    assert not started_while_busy
    assert held.started[-1] == "next"
    assert len(held.started) == background.FREE_STARTS + 1
    held.released.set()
    assert await held.jobs.wait(timeout_s=10) == 0


async def test_a_job_waits_for_quiet_only_so_long(settings, monkeypatch) -> None:
    settings.ANSWERS_AT_ONCE = background.FREE_STARTS + 1
    monkeypatch.setattr(background, "QUIET_WAIT_S", 0.1)
    held = _HeldJobs()
    busy = await held.take_the_free_starts_and_busy_the_loop()

    held.jobs.start("next", held.job("next"))
    await held.next_started.wait()
    still_busy = not busy.done()
    held.quiet.set()
    await busy

    assert still_busy
    held.released.set()
    assert await held.jobs.wait(timeout_s=10) == 0
