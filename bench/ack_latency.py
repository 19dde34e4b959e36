"""Part 1, ack latency: how long the service takes to acknowledge a signed `app_mention`, with 1,
10 and 50 senders each sending one event after another, while the answers are written behind.

Every event is a new question, answered against the typical edge, so acks compete with the work
they start. Each level waits for its answers before the next begins. The events are sent by
`bench.senders`, a process of its own; first it measures its own floor, against a server that
does nothing.
"""

import dataclasses
from typing import Any

from bench import edge as edges
from bench import senders as load
from bench.bot import Bot, Replies, count_answers, running_bot, thread_of, warm_up
from bench.figures import distribution

# Senders, and the events they send between them.
LEVELS = {1: 30, 10: 100, 50: 250}
ANSWERS_TIMEOUT_S = 120


async def measure(edge: edges.Edge, database_url: str, *, scale: float = 1.0) -> dict[str, Any]:
    edge.set_latencies(edges.TYPICAL)
    replies = Replies(edge)
    levels = {}
    floor_ms = await load.measure_floor()
    async with running_bot(edge, database_url, senders=max(LEVELS)) as bot:
        await warm_up(bot, replies)
        for senders, events in LEVELS.items():
            per_sender = max(1, round(events * scale / senders))
            levels[senders] = await _level(bot, replies, senders=senders, per_sender=per_sender)
    # Counted once the service has stopped: it stores each answer after sending it.
    return {
        "latencies": dataclasses.asdict(edges.TYPICAL),
        "generator_floor": {"senders": load.FLOOR_SENDERS, "ack_ms": distribution(floor_ms)},
        "levels": {
            str(senders): {**figures, "answers": (await count_answers(replies, threads)).as_dict()}
            for senders, (figures, threads) in levels.items()
        },
    }


async def _level(
    bot: Bot, replies: Replies, *, senders: int, per_sender: int
) -> tuple[dict[str, Any], list[str]]:
    """The level's figures, and its questions' threads."""
    bodies = [[bot.mention() for _ in range(per_sender)] for _ in range(senders)]
    requests = [[load.request(body, bot.headers(body)) for body in batch] for batch in bodies]
    cpu_s = bot.cpu_s()
    sending = await load.send(bot.port, requests)
    acks = [one for batch in sending.acks for one in batch]
    threads = [thread_of(body) for batch in bodies for body in batch]
    await replies.wait(threads, timeout_s=ANSWERS_TIMEOUT_S)
    cpu_s = bot.cpu_s() - cpu_s
    figures = {
        "senders": senders,
        "events": len(acks),
        "not_acknowledged": sum(1 for one in acks if one.status != 200),
        "ack_ms": distribution([one.ms for one in acks]),
        "events_per_s": round(len(acks) / sending.elapsed_s, 1),
        "server_cpu_ms_per_question": round(cpu_s * 1000 / len(acks), 1),
    }
    return figures, threads
