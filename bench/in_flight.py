"""Part 3, many in flight: 1,000 questions sent at once (a connection each, by `bench.senders`)
to the service (one serving process; on PostgreSQL, with its two job workers) whose model takes
2 s a request. First the load generator measures its own floor, against a server that does nothing.

It counts answers, duplicates and losses (from the fake Slack's records and the database), how
long until the last was acknowledged, how long each ack took and how many took longer than Slack
waits, the most questions acknowledged and not yet replied to at one time, the wall time from the
first event to the last reply, the service's peak memory (the high-water marks of its processes'
resident sets, added up), its CPU time per question, the errors its log shows and, on PostgreSQL,
the most connections the service held at once, sampled every 50 ms (bounded by Django's pool in
each process, and in a job worker procrastinate's own pool and its listening connection), and the
most of them busy at once.
"""

import asyncio
import contextlib
import dataclasses
import time
from collections.abc import AsyncIterator
from typing import Any

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import connection

from bench import edge as edges
from bench import processes
from bench import senders as load
from bench.bot import (
    SERVICE_NAME,
    Replies,
    count_answers,
    cpu_ms_per_question,
    cpu_used,
    running_bot,
    thread_of,
    warm_up,
)
from bench.figures import distribution

QUESTIONS = 1000
SENDERS = 1000
ANSWERS_TIMEOUT_S = 240
SAMPLE_EVERY_S = 0.05
# Slack counts an event as failed (and sends it again) when its ack takes longer.
SLACK_WAITS_MS = 3000
LOG_TROUBLE = ("ERROR", "Traceback", "too many connections", "PoolTimeout")


@dataclasses.dataclass
class Connections:
    """The most connections the service held at once, and the most of them busy at once."""

    peak: int = 0
    peak_active: int = 0


async def measure(edge: edges.Edge, database_url: str, *, scale: float = 1.0) -> dict[str, Any]:
    edge.set_latencies(edges.SLOW_MODEL)
    replies = Replies(edge)
    floor_ms = await load.measure_floor()
    per_sender = max(1, round(QUESTIONS * scale / SENDERS))
    async with running_bot(edge, database_url) as bot:
        await warm_up(bot, replies)
        bodies = [[bot.mention() for _ in range(per_sender)] for _ in range(SENDERS)]
        requests = [[load.request(body, bot.headers(body)) for body in batch] for batch in bodies]
        threads = [thread_of(body) for batch in bodies for body in batch]
        async with _connections_watched() as connections:
            cpu_before = cpu_used(bot)
            sending = await load.send(bot.port, requests)
            acks = [one for batch in sending.acks for one in batch]
            await replies.wait(threads, timeout_s=ANSWERS_TIMEOUT_S)
            wall_s = time.perf_counter() - min(one.sent_at for one in acks)
            cpu_ms = cpu_ms_per_question(bot, since=cpu_before, questions=len(acks))
        pids = bot.pids
        peak_rss_mb = [processes.peak_rss_mb(pid) for pid in pids]
    # Counted once the service has stopped: it stores each answer after sending it.
    answers = await count_answers(replies, threads)
    log_trouble = [
        line for line in bot.service.whole_log if any(word in line for word in LOG_TROUBLE)
    ]
    return {
        "latencies": dataclasses.asdict(edges.SLOW_MODEL),
        "generator_floor": {"senders": load.FLOOR_SENDERS, "ack_ms": distribution(floor_ms)},
        "senders": SENDERS,
        "answers": answers.as_dict(),
        "all_acknowledged_s": round(sending.elapsed_s, 1),
        "ack_ms": distribution([one.ms for one in acks]),
        "acks_later_than_slack_waits": sum(1 for one in acks if one.ms > SLACK_WAITS_MS),
        "wall_s": round(wall_s, 1),
        "peak_in_flight": _peak_in_flight(
            dict(zip(threads, acks, strict=True)), replies.finished_at
        ),
        "server_cpu_ms_per_question": cpu_ms.pop("service"),
        # Where the machine's CPU went, a question's share.
        "cpu_ms_per_question": cpu_ms,
        # The processes' peaks added up: more than they held at any one moment, never less.
        "peak_rss_mb": round(sum(peak_rss_mb), 1),
        # The serving process first, then those it started, then each job worker.
        "peak_rss_mb_by_process": peak_rss_mb,
        "processes": len(pids),
        "connections_peak": connections.peak if connection.vendor == "postgresql" else None,
        "connections_peak_active": (
            connections.peak_active if connection.vendor == "postgresql" else None
        ),
        # Django's pool in each process (a job worker also has procrastinate's).
        "pool_size": (
            settings.DATABASE_POOL_SIZE * len(pids) if connection.vendor == "postgresql" else None
        ),
        "log_trouble_lines": len(log_trouble),
        "log_trouble_sample": log_trouble[:5],
    }


def _peak_in_flight(acks: dict[str, load.Ack], finished_at: dict[str, float]) -> int:
    """The most questions acknowledged and not yet replied to at any one time."""
    changes = sorted(
        [(ack.sent_at + ack.ms / 1000, 1) for ack in acks.values()]
        + [(finished_at[thread], -1) for thread in acks if thread in finished_at]
    )
    in_flight = peak = 0
    for _, change in changes:
        in_flight += change
        peak = max(peak, in_flight)
    return peak


@contextlib.asynccontextmanager
async def _connections_watched() -> AsyncIterator[Connections]:
    """Sample the database's connections while the block runs (PostgreSQL only)."""
    seen = Connections()
    if connection.vendor != "postgresql":
        yield seen
        return

    async def sample() -> None:
        while True:
            total, active = await sync_to_async(_count_connections)()
            seen.peak = max(seen.peak, total)
            seen.peak_active = max(seen.peak_active, active)
            await asyncio.sleep(SAMPLE_EVERY_S)

    sampler = asyncio.create_task(sample())
    try:
        yield seen
    finally:
        sampler.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await sampler


def _count_connections() -> tuple[int, int]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*), count(*) FILTER (WHERE state = 'active') FROM pg_stat_activity "
            "WHERE datname = current_database() AND application_name = %s",
            [SERVICE_NAME],
        )
        total, active = cursor.fetchone() or (0, 0)
    return int(total), int(active)
