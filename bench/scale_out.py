"""Part 4, scale-out: every event delivered twice at once, and on PostgreSQL a job worker killed
with answers in flight. Every question must be answered exactly once.

On PostgreSQL the service runs scaled out as in production: one web process (`manage.py serve`)
and two job workers (`manage.py worker`) sharing the database. On SQLite its one serving process
records, drops the second delivery and answers (there is no worker to kill).

- **Twice delivered**: 20 senders, 100 questions, each event sent twice at once (the second as
  Slack's retry, `X-Slack-Retry-Num: 1`).
- **Killed worker** (PostgreSQL): 50 questions sent at once, the model taking 2 s to answer; once
  both workers hold answer jobs and some answers are being streamed into Slack, one worker is
  killed with SIGKILL (no shutdown, as the kernel's OOM killer or a lost host would). Its jobs
  stay `doing` until the worker is found stalled (no heartbeat for `SHUTDOWN_GRACE_S` + 30 s)
  and the periodic `retry_stalled_jobs` (every 30 s) runs them again on the other worker.

A question counts as answered when its reply is finished and its stored question answered; as
doubled when its thread shows more than one message of the bot's (posted or streamed, less those
deleted) or it is stored twice (`bench.bot.tally`).
"""

import asyncio
import dataclasses
import json
import signal
import time
from collections.abc import Collection
from typing import Any

from asgiref.sync import sync_to_async
from django.db import connection

from bench import edge as edges
from bench.bot import Bot, Replies, Sent, count_answers, running_bot, thread_of, warm_up

QUESTIONS = 100
SENDERS = 20
JOB_WORKERS = 2
IN_FLIGHT_AT_KILL = 50
# The worker is killed once this many answers are being streamed: some shown in part, the rest
# not shown yet.
STREAMING_AT_KILL = 10
KILL_WAIT_S = 60
SAMPLE_EVERY_S = 0.05
ANSWERS_TIMEOUT_S = 120
# Beyond the 60 s without a heartbeat and the 30 s between two retry_stalled_jobs.
KILLED_ANSWERS_TIMEOUT_S = 180
# The calls of the first questions not answered exactly once, to see what happened.
NOT_ONCE_SAMPLE = 3


@dataclasses.dataclass(frozen=True, kw_only=True)
class _Killed:
    threads: list[str]
    event_ids: list[str]
    killed_at: float
    figures: dict[str, Any]


async def measure(edge: edges.Edge, database_url: str, *, scale: float = 1.0) -> dict[str, Any]:
    on_postgresql = connection.vendor == "postgresql"
    replies = Replies(edge)
    async with running_bot(
        edge, database_url, job_workers=JOB_WORKERS, senders=max(2 * SENDERS, IN_FLIGHT_AT_KILL)
    ) as bot:
        edge.set_latencies(edges.TYPICAL)
        await warm_up(bot, replies)
        twice_threads, twice = await _twice_delivered(
            bot, replies, questions=max(1, round(QUESTIONS * scale))
        )
        killed = None
        if on_postgresql:
            edge.set_latencies(edges.TWO_SECOND_MODEL)
            killed = await _killed_worker(
                bot, replies, questions=max(2, round(IN_FLIGHT_AT_KILL * scale))
            )
    # Counted once the service has stopped: it stores each answer after sending it.
    figures: dict[str, Any] = {
        "web_processes": 1,
        "job_workers": JOB_WORKERS if on_postgresql else 0,
        "twice_delivered": {
            **twice,
            "latencies": dataclasses.asdict(edges.TYPICAL),
            "answers": (await count_answers(replies, twice_threads)).as_dict(),
        },
    }
    if killed is not None:
        answers = await count_answers(replies, killed.threads)
        not_once = [
            thread
            for thread in killed.threads
            if replies.visible.get(thread) != 1 or thread not in replies.finished_at
        ]
        figures["killed_worker"] = {
            **killed.figures,
            "latencies": dataclasses.asdict(edges.TWO_SECOND_MODEL),
            "answers": answers.as_dict(),
            # Each question shows exactly one message of the bot's, and its reply is finished.
            "answered_once": len(killed.threads) - len(not_once),
            "jobs_run_again": await _jobs_run_again(killed.event_ids),
            "not_once_sample": {
                thread: _calls_in(edge, thread, since=killed.killed_at)
                for thread in not_once[:NOT_ONCE_SAMPLE]
            },
        }
    return figures


async def _twice_delivered(
    bot: Bot, replies: Replies, *, questions: int
) -> tuple[list[str], dict[str, Any]]:
    per_sender = max(1, round(questions / SENDERS))
    batches = await asyncio.gather(*(_ask_twice(bot, per_sender) for _ in range(SENDERS)))
    sent = [one for batch in batches for one in batch]
    threads = [first.thread for first, _ in sent]
    await replies.wait(threads, timeout_s=ANSWERS_TIMEOUT_S)
    acks = [one for pair in sent for one in pair]
    return threads, {
        "questions": len(threads),
        "deliveries_per_event": 2,
        "not_acknowledged": sum(1 for one in acks if one.status != 200),
    }


async def _ask_twice(bot: Bot, questions: int) -> list[tuple[Sent, Sent]]:
    """Each event delivered twice at once: the first delivery and Slack's retry."""
    sent = []
    for _ in range(questions):
        body = bot.mention()
        first, retry = await asyncio.gather(bot.ask(body), bot.ask(body, retry=1))
        sent.append((first, retry))
    return sent


async def _killed_worker(bot: Bot, replies: Replies, *, questions: int) -> _Killed:
    bodies = [bot.mention() for _ in range(questions)]
    threads = [thread_of(body) for body in bodies]
    event_ids = [str(json.loads(body)["event_id"]) for body in bodies]
    sent = await asyncio.gather(*(bot.ask(body) for body in bodies))
    first_sent = min(one.sent_at for one in sent)
    ready = await _wait_for_kill(replies, threads, event_ids)
    held = await sync_to_async(_doing_by_worker)(event_ids)
    replies.catch_up()
    begun = sum(1 for thread in threads if thread in replies.started)
    finished = sum(1 for thread in threads if thread in replies.finished_at)
    victim = bot.service.job_workers[0].process
    victim.send_signal(signal.SIGKILL)
    killed_at = time.perf_counter()
    await victim.wait()
    all_answered = await replies.wait(threads, timeout_s=KILLED_ANSWERS_TIMEOUT_S)
    replies.catch_up()
    last_answer = max((replies.finished_at.get(thread, 0.0) for thread in threads), default=0.0)
    figures = {
        "questions": len(threads),
        "not_acknowledged": sum(1 for one in sent if one.status != 200),
        "killed_after_s": round(killed_at - first_sent, 1),
        "in_flight_as_planned": ready,
        # Answer jobs `doing` at the kill, by worker (the killed one is one of them).
        "jobs_doing_by_worker": sorted(held, reverse=True),
        "replies_begun_at_kill": begun,
        "replies_finished_at_kill": finished,
        "all_answered": all_answered,
        "last_answer_after_kill_s": round(last_answer - killed_at, 1) if all_answered else None,
        "last_answer_after_first_event_s": (
            round(last_answer - first_sent, 1) if all_answered else None
        ),
    }
    return _Killed(threads=threads, event_ids=event_ids, killed_at=killed_at, figures=figures)


def _calls_in(edge: edges.Edge, thread: str, *, since: float) -> list[str]:
    """The bot's calls to Slack in the thread, each with its time from `since` (s)."""
    return [
        f"{call.method} {call.at - since:+.2f}"
        for call in edge.slack.calls
        if edge.slack.thread_of(call) == thread
    ]


async def _wait_for_kill(replies: Replies, threads: list[str], event_ids: list[str]) -> bool:
    """Until both workers hold answer jobs and some replies are being streamed; False if that
    did not happen in time (the worker is killed all the same)."""
    deadline = time.perf_counter() + KILL_WAIT_S
    while time.perf_counter() < deadline:
        replies.catch_up()
        streaming = sum(1 for thread in threads if thread in replies.started)
        if streaming >= min(STREAMING_AT_KILL, len(threads)):
            held = await sync_to_async(_doing_by_worker)(event_ids)
            if len(held) >= JOB_WORKERS:
                return True
        await asyncio.sleep(SAMPLE_EVERY_S)
    return False


def _doing_by_worker(event_ids: Collection[str]) -> list[int]:
    """How many of the events' answer jobs each worker is running."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM procrastinate_jobs WHERE status = 'doing' "
            "AND task_name = 'answer_slack_event' AND args->>'event_id' = ANY(%s) "
            "GROUP BY worker_id",
            [list(event_ids)],
        )
        return [int(row[0]) for row in cursor.fetchall()]


async def _jobs_run_again(event_ids: Collection[str]) -> int:
    """How many of the events' answer jobs ran more than once: procrastinate counts an attempt
    when a job ends and when a stalled one is run again."""

    def count() -> int:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM procrastinate_jobs WHERE task_name = 'answer_slack_event' "
                "AND args->>'event_id' = ANY(%s) AND attempts > 1",
                [list(event_ids)],
            )
            row = cursor.fetchone()
        return int(row[0]) if row else 0

    return await sync_to_async(count)()
