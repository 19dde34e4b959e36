"""Recovering questions a process received but never answered (it was killed, or redeployed).

The inbox keeps every event the bot acted on, with the time its receiver claimed it and, once the
bot has finished with it, the time it was done. A sweep takes over the events not done whose
question is still unanswered long after that claim, and hands each to the interface that knows how
to answer it again. Each event is claimed by exactly one sweeper, so
several processes can sweep at once; an event that keeps failing is given up after a few attempts.
"""

import asyncio
import datetime as dt
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from domain import operations, records

logger = logging.getLogger(__name__)

QUESTION_EVENTS = ("app_mention", "message")
MAX_ATTEMPTS = 3

Redeliver = Callable[[records.InboundEvent], Awaitable[None]]
Clock = Callable[[], dt.datetime]


@dataclass(frozen=True, kw_only=True)
class Recovered:
    claimed: int
    failed: int


async def recover_questions(
    *, older_than_s: float, clock: Clock, redeliver: Redeliver
) -> Recovered:
    """Answer every unanswered question whose receiver has been silent for `older_than_s`.

    Events are claimed one at a time, each just before it is answered: a claim tells the other
    sweepers the event is taken for `older_than_s`, so events claimed together and answered in
    turn would look abandoned again once the first answers had taken that long, and another
    sweeper would answer them a second time.
    """
    claimed = failed = 0
    while event := await _claim_next(older_than_s=older_than_s, now=clock()):
        claimed += 1
        try:
            await redeliver(event)
        except Exception:
            failed += 1
            logger.exception("Unable to recover Slack event %s", event.event_id)
    if claimed:
        logger.info("Recovered %s unanswered questions (%s failed)", claimed, failed)
    return Recovered(claimed=claimed, failed=failed)


async def _claim_next(*, older_than_s: float, now: dt.datetime) -> records.InboundEvent | None:
    criteria = operations.ClaimCriteria(
        event_types=QUESTION_EVENTS,
        claimed_before=now - dt.timedelta(seconds=older_than_s),
        max_attempts=MAX_ATTEMPTS,
    )
    claimed = await operations.claim_unanswered_events(criteria=criteria, now=now, limit=1)
    return claimed[0] if claimed else None


async def sweep_forever(
    *,
    interval_s: float,
    older_than_s: float,
    redeliver: Redeliver,
    clock: Clock,
) -> None:
    """Recover questions every `interval_s` until cancelled; a failed sweep waits for the next."""
    while True:
        await asyncio.sleep(interval_s)
        try:
            await recover_questions(older_than_s=older_than_s, clock=clock, redeliver=redeliver)
        except Exception:
            logger.exception("The recovery sweep failed; trying again in %s s", interval_s)
