"""The bound on the jobs one process runs at once: the rest wait their turn, in order."""

import asyncio

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
