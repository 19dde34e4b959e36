"""The bot as the benchmark runs it: the real service (uvicorn, Django, slack-bolt; on PostgreSQL
its job workers too) in subprocesses, signed Slack events sent to it over HTTP, and what came of
each: its status, its reply in the fake Slack, and its question in the database.

A question is identified by its thread (the mention's `ts`). It was answered when its reply in the
thread is finished (the stream stopped, or the message updated with the whole answer and its
buttons) and its stored question is answered; it was answered twice when the thread shows more
than one message of the bot's (messages posted or streamed, less those deleted) or the database
holds it twice; every question not answered is lost.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import os
import sys
import time
from collections.abc import AsyncIterator, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx

from bench import processes
from bench.edge import Edge
from data import models
from fakes import slack_payloads as payloads
from fakes.servers import (
    PROJECT_DIR,
    Process,
    Served,
    descendants,
    served,
    subprocess_environment,
)
from fakes.slack import SlackCall
from slack import rendering

QUESTIONS = (
    "how do I rotate the database password?",
    "how do I configure the LLM?",
    "how do I ask a question from a terminal?",
    "how do I run Kraken Bot in production?",
    "what happens when a worker dies?",
    "how do I index our documentation?",
    "which Slack events does the bot answer?",
    "how do I write release notes for a repository?",
)
REPLY_METHODS = ("chat.startStream", "chat.postMessage")
FINAL_REPLY = "chat.stopStream"
# An answer that replaces a reply begun by a job that died is finished by this update.
WHOLE_REPLY = "chat.update"
DELETED = "chat.delete"
# What the person sees first: the assistant status, or a placeholder where Slack refuses it.
STATUS_METHODS = ("assistant.threads.setStatus", "chat.postMessage")
ANSWERED = models.QuestionStatus.ANSWERED.value
WARM_UP_TIMEOUT_S = 60
SERVICE_NAME = "kraken-bot"
DEFAULT_CHANNEL = "C0001"
# On PostgreSQL the service runs one web process and, unless a part says otherwise, a job worker
# for each of the benchmark machine's two cores: one worker runs its jobs on one core.
JOB_WORKERS = 2
# Far beyond Slack's 3 s: a part that overloads the service measures how late the acks come.
ACK_TIMEOUT_S = 300
KEEPALIVE_EXPIRY_S = 2.0
# The service sits behind a proxy that ends TLS, as in production.
FORWARDED = {"X-Forwarded-Proto": "https"}


@dataclass(frozen=True, kw_only=True)
class Sent:
    thread: str
    sent_at: float
    ack_ms: float
    status: int


@dataclass
class Bot:
    service: Served
    client: httpx.AsyncClient
    # Where its mentions are asked (the sequential variant answers those of its own channel).
    channel: str = DEFAULT_CHANNEL
    _texts: itertools.cycle[str] = field(default_factory=lambda: itertools.cycle(QUESTIONS))

    @property
    def pid(self) -> int:
        return self.service.process.pid

    @property
    def pids(self) -> list[int]:
        """The service's processes still running: the one serving and those it started, and on
        PostgreSQL its job workers."""
        started = [self.pid, *(worker.process.pid for worker in self.service.job_workers)]
        return [
            pid for one in started if processes.running(one) for pid in (one, *descendants(one))
        ]

    def cpu_s(self) -> float:
        """The CPU time the service's processes have used so far (user and system)."""
        return sum(processes.cpu_s(pid) for pid in self.pids)

    def web_cpu_s(self) -> float:
        """The CPU time of the serving process and those it started (on SQLite, all the work)."""
        return sum(processes.cpu_s(pid) for pid in (self.pid, *descendants(self.pid)))

    @property
    def port(self) -> int:
        return int(urlsplit(self.service.url).port or 80)

    def mention(self, *, channel: str | None = None) -> str:
        """A new mention, as Slack's `event_callback` body."""
        mention = payloads.app_mention(next(self._texts), channel=channel or self.channel)
        return payloads.event_callback(mention)

    async def ask(self, body: str | None = None, *, retry: int = 0) -> Sent:
        """Send a mention (a new one unless given) as Slack does; a retry says so in its headers."""
        body = body or self.mention()
        started = time.perf_counter()
        response = await self.client.post(
            "/slack/events", content=body, headers=self.headers(body, retry=retry)
        )
        return Sent(
            thread=thread_of(body),
            sent_at=started,
            ack_ms=(time.perf_counter() - started) * 1000,
            status=response.status_code,
        )

    @staticmethod
    def headers(body: str, *, retry: int = 0) -> dict[str, str]:
        """Slack's headers for the body: signed now, behind HTTPS, a retry when it is one."""
        retried = {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"}
        return {**payloads.event_headers(body), **FORWARDED, **(retried if retry else {})}


def thread_of(body: str) -> str:
    return str(json.loads(body)["event"]["ts"])


def environment(edge: Edge, database_url: str, **overrides: str) -> dict[str, str]:
    """The service's settings: the bench database and the fakes."""
    settings = {
        "DATABASE_URL": database_url,
        "SLACK_BOT_TOKEN": "xoxb-bench-token",
        "SLACK_SIGNING_SECRET": payloads.SIGNING_SECRET,
        "SLACK_API_URL": edge.slack.api_url,
        "LLM_MODEL": "openai:fake-model",
        "LLM_BASE_URL": edge.llm.base_url,
        "LOG_LEVEL": "WARNING",
        "PGAPPNAME": SERVICE_NAME,  # how PostgreSQL tells the service's connections apart
    }
    return subprocess_environment(**(settings | overrides))


@contextlib.asynccontextmanager
async def running_bot(
    edge: Edge,
    database_url: str,
    *,
    workers: int = 1,
    job_workers: int = JOB_WORKERS,
    sequential: bool = False,
    senders: int = 50,
    settings: Mapping[str, str] | None = None,
) -> AsyncIterator[Bot]:
    """The service on a free port, with `job_workers` job workers on PostgreSQL (on SQLite it
    runs its jobs itself), and a client for it with a connection for each sender.

    With `sequential`, the service answers the questions of the channel
    `bench.sequential.SEQUENTIAL_CHANNEL` one step after another (the others as it always does):
    the variant is put in place where the answers are written, in the serving process on SQLite
    and in the job workers on PostgreSQL."""
    bot_environment = environment(edge, database_url, **(settings or {}))
    on_postgresql = database_url.startswith("postgres")
    launcher = ("-m", "bench.sequential") if sequential else (str(PROJECT_DIR / "manage.py"),)
    async with (
        served(
            "--no-migrate",
            environment=bot_environment,
            launcher=launcher,
            workers=workers,
            job_workers=0 if sequential else job_workers,
        ) as service,
        httpx.AsyncClient(
            base_url=service.url,
            headers=FORWARDED,
            # Idle connections are let go before uvicorn's 5 s keep-alive ends: one reused as the
            # server closes it would fail the request, as no real sender's would.
            limits=httpx.Limits(
                max_connections=senders,
                max_keepalive_connections=senders,
                keepalive_expiry=KEEPALIVE_EXPIRY_S,
            ),
            timeout=ACK_TIMEOUT_S,
        ) as client,
    ):
        if sequential and on_postgresql:
            for _ in range(job_workers):
                service.job_workers.append(await _sequential_worker(bot_environment))
        yield Bot(service=service, client=client)


async def _sequential_worker(bot_environment: Mapping[str, str]) -> Process:
    """`manage.py worker` with the sequential variant in place; it stops with the service."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bench.sequential",
        "worker",
        cwd=PROJECT_DIR,
        env=dict(bot_environment),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    worker = Process(process=process)
    worker.draining = asyncio.create_task(_drain(process, into=worker.log))
    return worker


async def _drain(process: asyncio.subprocess.Process, *, into: list[str]) -> None:
    """Keep reading the process's output, so that a full pipe never blocks it."""
    if process.stdout is None:
        return
    async for line in process.stdout:
        into.append(line.decode(errors="replace"))


async def warm_up(bot: Bot, replies: Replies, *, questions: int = 2) -> None:
    """Answer a few questions first: the first request pays for imports, `auth.test` and the
    first connections (and on PostgreSQL the workers' start), which is not what a part measures."""
    sent = [await bot.ask() for _ in range(questions)]
    if not await replies.wait([one.thread for one in sent], timeout_s=WARM_UP_TIMEOUT_S):
        raise RuntimeError(f"the bot did not answer its first questions in {WARM_UP_TIMEOUT_S} s")


class Replies:
    """What the bot showed in the fake Slack, by thread, read as the calls arrive: when the status
    first showed, how many messages the bot posted or streamed and how many it deleted, and when
    the reply was finished."""

    def __init__(self, edge: Edge) -> None:
        self._slack = edge.slack
        self._read = 0
        self.status_at: dict[str, float] = {}
        self.started: dict[str, int] = {}
        self.deleted: dict[str, int] = {}
        self.finished_at: dict[str, float] = {}

    @property
    def visible(self) -> dict[str, int]:
        """How many messages of the bot's each thread shows now."""
        return {
            thread: count - self.deleted.get(thread, 0) for thread, count in self.started.items()
        }

    def catch_up(self) -> None:
        """Read the calls made since the last look."""
        calls = self._slack.calls
        for call in calls[self._read :]:
            thread = self._slack.thread_of(call)
            if thread is None:
                continue
            if call.method in STATUS_METHODS:
                self.status_at.setdefault(thread, call.at)
            if call.method in REPLY_METHODS:
                self.started[thread] = self.started.get(thread, 0) + 1
            elif call.method == DELETED:
                self.deleted[thread] = self.deleted.get(thread, 0) + 1
            elif call.method == FINAL_REPLY or _finishes(call):
                self.finished_at.setdefault(thread, call.at)
        self._read = len(calls)

    async def wait(self, threads: Collection[str], *, timeout_s: float) -> bool:
        """Wait until every thread has its final reply; False if some still have none."""

        def all_finished() -> bool:
            self.catch_up()
            return all(thread in self.finished_at for thread in threads)

        try:
            async with asyncio.timeout(timeout_s):
                await self._slack.wait_until(all_finished)
        except TimeoutError:
            return False
        return True


def _finishes(call: SlackCall) -> bool:
    """Whether the call shows a whole answer in a message begun earlier: an update with the
    answer's feedback buttons."""
    return call.method == WHOLE_REPLY and rendering.FEEDBACK_UP in json.dumps(call.args)


def cpu_used(bot: Bot) -> dict[str, float]:
    """CPU time used so far (s): by the service (all its processes; its serving process alone),
    by this process (the fake Slack and model, the benchmark's HTTP client), by the PostgreSQL
    server, and by the whole machine (everyone's work, other engineers' too). PostgreSQL's is only
    a hint: it counts every database's connections, and only those still open, so a difference
    loses the time of connections closed in between (it can even fall below zero)."""
    return {
        "service": bot.cpu_s(),
        "web": bot.web_cpu_s(),
        "bench": processes.cpu_s(os.getpid()),
        "postgres": processes.cpu_s_of("postgres"),
        "machine": processes.machine_cpu_s()[0],
    }


def cpu_ms_per_question(bot: Bot, *, since: dict[str, float], questions: int) -> dict[str, float]:
    """What each of `cpu_used` spent since then, a question's share (ms)."""
    return {
        name: round((spent - since[name]) * 1000 / max(1, questions), 1)
        for name, spent in cpu_used(bot).items()
    }


@dataclass(frozen=True, kw_only=True)
class Tally:
    sent: int
    answered: int
    lost: int
    duplicates: int

    def as_dict(self) -> dict[str, int]:
        return {
            "sent": self.sent,
            "answered": self.answered,
            "lost": self.lost,
            "duplicates": self.duplicates,
        }


def tally(
    threads: Collection[str], *, replies: Mapping[str, int], stored: Mapping[str, list[str]]
) -> Tally:
    """Count each question once: answered, lost (not answered), answered twice (duplicate)."""
    answered = sum(
        1 for thread in threads if replies.get(thread, 0) and ANSWERED in stored.get(thread, [])
    )
    duplicates = sum(
        1 for thread in threads if replies.get(thread, 0) > 1 or len(stored.get(thread, [])) > 1
    )
    return Tally(
        sent=len(threads), answered=answered, lost=len(threads) - answered, duplicates=duplicates
    )


async def stored_questions(threads: Collection[str]) -> dict[str, list[dict[str, Any]]]:
    """The stored questions asked in the threads: their status and per-step timings."""
    rows: dict[str, list[dict[str, Any]]] = {}
    query = models.Question.objects.filter(message_ts__in=list(threads)).values(
        "message_ts", "status", "timings"
    )
    async for row in query:
        rows.setdefault(row["message_ts"], []).append(dict(row))
    return rows


async def count_answers(replies: Replies, threads: Collection[str]) -> Tally:
    """The tally of the threads, from the fake Slack's records and the database."""
    replies.catch_up()
    rows = await stored_questions(threads)
    return tally(
        threads,
        replies=replies.visible,
        stored={thread: [row["status"] for row in found] for thread, found in rows.items()},
    )
