"""Part 1, ack latency: how long the service takes to acknowledge a signed `app_mention`, with 1,
10 and 50 senders each sending one event after another, while the answers are written behind.

Every event is a new question, answered against the typical edge, so acks compete with the work
they start. Each level waits for its answers before the next begins.
"""

import asyncio
import dataclasses
import time
from typing import Any

from bench import edge as edges
from bench.bot import Bot, Replies, Sent, count_answers, running_bot, warm_up
from bench.figures import distribution

# Senders, and the events they send between them.
LEVELS = {1: 30, 10: 100, 50: 250}
ANSWERS_TIMEOUT_S = 120


async def measure(edge: edges.Edge, database_url: str, *, scale: float = 1.0) -> dict[str, Any]:
    edge.set_latencies(edges.TYPICAL)
    replies = Replies(edge)
    levels = {}
    async with running_bot(edge, database_url, senders=max(LEVELS)) as bot:
        await warm_up(bot, replies)
        for senders, events in LEVELS.items():
            per_sender = max(1, round(events * scale / senders))
            levels[senders] = await _level(bot, replies, senders=senders, per_sender=per_sender)
    # Counted once the service has stopped: it stores each answer after sending it.
    return {
        "latencies": dataclasses.asdict(edges.TYPICAL),
        "levels": {
            str(senders): {**figures, "answers": (await count_answers(replies, threads)).as_dict()}
            for senders, (figures, threads) in levels.items()
        },
    }


async def _level(
    bot: Bot, replies: Replies, *, senders: int, per_sender: int
) -> tuple[dict[str, Any], list[str]]:
    """The level's figures, and its questions' threads."""

    async def sender() -> list[Sent]:
        return [await bot.ask() for _ in range(per_sender)]

    cpu_s = bot.cpu_s()
    started = time.perf_counter()
    batches = await asyncio.gather(*(sender() for _ in range(senders)))
    elapsed_s = time.perf_counter() - started
    sent = [one for batch in batches for one in batch]
    threads = [one.thread for one in sent]
    await replies.wait(threads, timeout_s=ANSWERS_TIMEOUT_S)
    cpu_s = bot.cpu_s() - cpu_s
    figures = {
        "senders": senders,
        "events": len(sent),
        "not_acknowledged": sum(1 for one in sent if one.status != 200),
        "ack_ms": distribution([one.ack_ms for one in sent]),
        "events_per_s": round(len(sent) / elapsed_s, 1),
        "server_cpu_ms_per_question": round(cpu_s * 1000 / len(sent), 1),
    }
    return figures, threads
