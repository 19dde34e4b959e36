"""Part 2, fan-out gain: event-to-reply time of the real flow (status, store, classify and answer
at once) against the same steps awaited one after another (`bench.sequential`), on the typical
edge: Slack 150 ms a call, the model 300 ms to classify and 800 ms to answer.

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

QUESTIONS = 30
SENDERS = 5
REPLY_TIMEOUT_S = 60
STEPS = ("status", "store", "classify", "answer")


async def measure(edge: edges.Edge, database_url: str, *, scale: float = 1.0) -> dict[str, Any]:
    edge.set_latencies(edges.TYPICAL)
    questions = max(SENDERS, round(QUESTIONS * scale))
    fan_out = await _variant(edge, database_url, questions=questions, sequential=False)
    sequential = await _variant(edge, database_url, questions=questions, sequential=True)
    fan_out_p50 = fan_out["event_to_reply_ms"]["p50"]
    sequential_p50 = sequential["event_to_reply_ms"]["p50"]
    return {
        "latencies": dataclasses.asdict(edges.TYPICAL),
        "senders": SENDERS,
        "fan_out": fan_out,
        "sequential": sequential,
        "speedup_p50": (
            round(sequential_p50 / fan_out_p50, 2) if fan_out_p50 and sequential_p50 else None
        ),
    }


async def _variant(
    edge: edges.Edge, database_url: str, *, questions: int, sequential: bool
) -> dict[str, Any]:
    replies = Replies(edge)
    async with running_bot(edge, database_url, sequential=sequential) as bot:
        await warm_up(bot, replies)
        batches = await asyncio.gather(
            *(_ask_in_turn(bot, replies, questions // SENDERS) for _ in range(SENDERS))
        )
    sent = [one for batch in batches for one in batch]
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


async def _ask_in_turn(bot: Bot, replies: Replies, questions: int) -> list[Sent]:
    """One sender: a question, its reply, the next question."""
    sent = []
    for _ in range(questions):
        one = await bot.ask()
        await replies.wait([one.thread], timeout_s=REPLY_TIMEOUT_S)
        sent.append(one)
    return sent


def _overhead(event_to_reply_ms: float, timings: dict[str, float], final_call_ms: float) -> float:
    slowest_step = max(timings[step] for step in STEPS)
    return event_to_reply_ms - slowest_step - (timings["reply"] - final_call_ms)
