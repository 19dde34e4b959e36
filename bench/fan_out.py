"""Part 2, fan-out gain: event-to-reply time of the real flow (status, store, classify and answer
at once) against the same steps awaited one after another (`bench.sequential`), on the typical
edge: Slack 150 ms a call, the model 300 ms to classify and 800 ms to answer. One service serves
both variants, which take turns: a block of questions to one, then a block to the other. The
sequential variant answers the questions asked in a channel of its own, where the answers are
written: in the serving process on SQLite, in the job worker on PostgreSQL (`bench.sequential`).

Event-to-reply runs from sending the event to the fake Slack receiving the call that finishes the
reply (`chat.stopStream`). The bot's own overhead is what is left of it after the slowest of the
four steps and the reply step, both as the bot timed them and stored with the question; the reply
step is counted until its final call reached Slack (its time less that call's 150 ms).
"""

import asyncio
import dataclasses
from typing import Any

from bench import edge as edges
from bench.bot import Bot, Replies, Sent, count_answers, running_bot, stored_questions, warm_up
from bench.figures import distribution, percentile
from bench.sequential import SEQUENTIAL_CHANNEL

QUESTIONS = 30
# Questions arrive at this pace whatever the replies, as people ask in Slack: both variants get
# the same traffic (5 a second, 4 to 7 in flight at once), so the ratio compares the designs
# alone. Senders that wait for each reply would send the faster variant more questions a second
# and time it under more load.
EVERY_S = 0.2
# Both variants take turns, a block of questions each: a stretch of time in which the machine is
# slower (a virtual machine's neighbours) then slows both, not one.
BLOCK = 10
REPLY_TIMEOUT_S = 60
STEPS = ("status", "store", "classify", "answer")


async def measure(edge: edges.Edge, database_url: str, *, scale: float = 1.0) -> dict[str, Any]:
    edge.set_latencies(edges.TYPICAL)
    blocks = max(1, round(QUESTIONS * scale / BLOCK))
    replies = Replies(edge)
    async with running_bot(edge, database_url, sequential=True) as fan_out_bot:
        sequential_bot = dataclasses.replace(fan_out_bot, channel=SEQUENTIAL_CHANNEL)
        await warm_up(fan_out_bot, replies)
        await warm_up(sequential_bot, replies)
        fan_out_sent: list[Sent] = []
        sequential_sent: list[Sent] = []
        for _ in range(blocks):
            fan_out_sent += await _ask_block(fan_out_bot, replies)
            sequential_sent += await _ask_block(sequential_bot, replies)
    fan_out = await _variant(edge, replies, fan_out_sent, sequential=False)
    sequential = await _variant(edge, replies, sequential_sent, sequential=True)
    fan_out_p50 = fan_out["event_to_reply_ms"]["p50"]
    sequential_p50 = sequential["event_to_reply_ms"]["p50"]
    return {
        "latencies": dataclasses.asdict(edges.TYPICAL),
        "questions": blocks * BLOCK,
        "every_s": EVERY_S,
        "block": BLOCK,
        "fan_out": fan_out,
        "sequential": sequential,
        "speedup_p50": (
            round(sequential_p50 / fan_out_p50, 2) if fan_out_p50 and sequential_p50 else None
        ),
    }


async def _variant(
    edge: edges.Edge, replies: Replies, sent: list[Sent], *, sequential: bool
) -> dict[str, Any]:
    threads = [one.thread for one in sent]
    event_to_reply = {
        one.thread: (replies.finished_at[one.thread] - one.sent_at) * 1000
        for one in sent
        if one.thread in replies.finished_at
    }
    stored = await stored_questions(threads)
    overheads = [
        _overhead(event_to_reply[thread], rows[0]["timings"], edge.latencies.slack_s * 1000)
        for thread, rows in stored.items()
        if thread in event_to_reply and set(STEPS) | {"reply"} <= set(rows[0]["timings"])
    ]
    return {
        "event_to_reply_ms": distribution(list(event_to_reply.values())),
        "event_to_reply_all_ms": sorted(round(value, 1) for value in event_to_reply.values()),
        # Only the fan-out's critical path is its slowest step and the reply.
        "overhead_ms": None if sequential else distribution(overheads),
        "steps_p50_ms": {
            step: round(percentile(values, 0.5), 1)
            for step in (*STEPS, "reply", "total")
            if (values := [rows[0]["timings"][step] for rows in stored.values()])
        },
        "answers": (await count_answers(replies, threads)).as_dict(),
    }


async def _ask_block(bot: Bot, replies: Replies) -> list[Sent]:
    """A block of questions sent on schedule; done when all are answered."""
    return await asyncio.gather(
        *(_ask_at(bot, replies, delay_s=number * EVERY_S) for number in range(BLOCK))
    )


async def _ask_at(bot: Bot, replies: Replies, *, delay_s: float) -> Sent:
    await asyncio.sleep(delay_s)
    one = await bot.ask()
    await replies.wait([one.thread], timeout_s=REPLY_TIMEOUT_S)
    return one


def _overhead(event_to_reply_ms: float, timings: dict[str, float], final_call_ms: float) -> float:
    slowest_step = max(timings[step] for step in STEPS)
    return event_to_reply_ms - slowest_step - (timings["reply"] - final_call_ms)
