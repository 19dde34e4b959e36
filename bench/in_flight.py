"""Part 3, many in flight: 1,000 questions sent at once (a connection each) to one server process
whose model takes 2 s a request.

It counts answers, duplicates and losses (from the fake Slack's records and the database), how
long until the last was acknowledged, the most questions acknowledged and not yet replied to at
one time, the wall time from the first event to the last reply, the server's peak memory (its
resident set's high-water mark), its CPU time per question, the errors its log shows and, on
PostgreSQL, the most connections the server held at once, sampled every 50 ms (bounded by its
pool), and the most of them busy at once.
"""

import asyncio
import contextlib
import dataclasses
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import connection

from bench import edge as edges
from bench.bot import SERVICE_NAME, Bot, Replies, Sent, count_answers, running_bot, warm_up

QUESTIONS = 1000
SENDERS = 1000
ANSWERS_TIMEOUT_S = 240
SAMPLE_EVERY_S = 0.05
LOG_TROUBLE = ("ERROR", "Traceback", "too many connections", "PoolTimeout")


@dataclasses.dataclass
class Connections:
    """The most connections the service held at once, and the most of them busy at once."""

    peak: int = 0
    peak_active: int = 0


async def measure(edge: edges.Edge, database_url: str, *, scale: float = 1.0) -> dict[str, Any]:
    edge.set_latencies(edges.SLOW_MODEL)
    replies = Replies(edge)
    per_sender = max(1, round(QUESTIONS * scale / SENDERS))
    async with running_bot(edge, database_url, senders=SENDERS) as bot:
        await warm_up(bot, replies)
        async with _connections_watched() as connections:
            cpu_s = bot.cpu_s()
            started = time.perf_counter()
            batches = await asyncio.gather(*(_ask(bot, per_sender) for _ in range(SENDERS)))
            acknowledged_s = time.perf_counter() - started
            sent = [one for batch in batches for one in batch]
            threads = [one.thread for one in sent]
            await replies.wait(threads, timeout_s=ANSWERS_TIMEOUT_S)
            wall_s = time.perf_counter() - started
            cpu_s = bot.cpu_s() - cpu_s
        peak_rss_mb = _peak_rss_mb(bot.pid)
    # Counted once the service has stopped: it stores each answer after sending it.
    answers = await count_answers(replies, threads)
    log_trouble = [line for line in bot.service.log if any(word in line for word in LOG_TROUBLE)]
    return {
        "latencies": dataclasses.asdict(edges.SLOW_MODEL),
        "senders": SENDERS,
        "answers": answers.as_dict(),
        "all_acknowledged_s": round(acknowledged_s, 1),
        "wall_s": round(wall_s, 1),
        "peak_in_flight": _peak_in_flight(sent, replies.finished_at),
        "server_cpu_ms_per_question": round(cpu_s * 1000 / len(sent), 1),
        "peak_rss_mb": peak_rss_mb,
        "connections_peak": connections.peak if connection.vendor == "postgresql" else None,
        "connections_peak_active": (
            connections.peak_active if connection.vendor == "postgresql" else None
        ),
        "pool_size": settings.DATABASE_POOL_SIZE if connection.vendor == "postgresql" else None,
        "log_trouble_lines": len(log_trouble),
        "log_trouble_sample": log_trouble[:5],
    }


async def _ask(bot: Bot, questions: int) -> list[Sent]:
    return [await bot.ask() for _ in range(questions)]


def _peak_in_flight(sent: list[Sent], finished_at: dict[str, float]) -> int:
    """The most questions acknowledged and not yet replied to at any one time."""
    changes = sorted(
        [(one.sent_at + one.ack_ms / 1000, 1) for one in sent]
        + [(finished_at[one.thread], -1) for one in sent if one.thread in finished_at]
    )
    in_flight = peak = 0
    for _, change in changes:
        in_flight += change
        peak = max(peak, in_flight)
    return peak


def _peak_rss_mb(pid: int) -> float:
    """The process's resident set at its highest (`VmHWM`), read before it exits."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    raise RuntimeError(f"no VmHWM for process {pid}")


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
