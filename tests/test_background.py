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


def _hold_until(released: asyncio.Event, started: list[str], name: str):
    async def run() -> None:
        started.append(name)
        await released.wait()

    return run


async def _keep_the_loop_busy(until: asyncio.Event) -> None:
    """Keep the loop busy in slices of 20 ms (CPU, not a blocking call) until told to stop."""
    while not until.is_set():
        slice_ends = time.perf_counter() + 0.02
        while time.perf_counter() < slice_ends:
            pass
        await asyncio.sleep(0)


async def test_beyond_the_free_starts_a_job_waits_for_the_loop_to_be_quiet(settings) -> None:
    settings.ANSWERS_AT_ONCE = background.FREE_STARTS + 1
    jobs = BackgroundJobs()
    released, quiet = asyncio.Event(), asyncio.Event()
    started: list[str] = []
    for number in range(background.FREE_STARTS):
        jobs.start(f"free {number}", _hold_until(released, started, f"free {number}"))
    await asyncio.sleep(0.01)
    busy = asyncio.create_task(_keep_the_loop_busy(quiet))

    jobs.start("next", _hold_until(released, started, "next"))
    await asyncio.sleep(0.2)
    started_while_busy = "next" in started
    quiet.set()
    await busy
    await asyncio.sleep(0.05)

    assert len(started) == background.FREE_STARTS + 1
    assert not started_while_busy
    assert started[-1] == "next"
    released.set()
    assert await jobs.wait(timeout_s=10) == 0


async def test_a_job_waits_for_quiet_only_so_long(settings, monkeypatch) -> None:
    settings.ANSWERS_AT_ONCE = background.FREE_STARTS + 1
    monkeypatch.setattr(background, "QUIET_WAIT_S", 0.1)
    jobs = BackgroundJobs()
    released, quiet = asyncio.Event(), asyncio.Event()
    started: list[str] = []
    for number in range(background.FREE_STARTS):
        jobs.start(f"free {number}", _hold_until(released, started, f"free {number}"))
    await asyncio.sleep(0.01)
    busy = asyncio.create_task(_keep_the_loop_busy(quiet))

    jobs.start("next", _hold_until(released, started, "next"))
    await asyncio.sleep(0.4)
    started_while_busy = "next" in started
    quiet.set()
    await busy

    assert started_while_busy
    released.set()
    assert await jobs.wait(timeout_s=10) == 0
