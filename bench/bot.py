"""The bot as the benchmark runs it: the real service (uvicorn, Django, slack-bolt) in a
subprocess, signed Slack events sent to it over HTTP, and what came of each: its reply in the
fake Slack and its question in the database.

A question is identified by its thread (the mention's `ts`). It was answered when the bot started
a reply in its thread and its stored question is answered; it was answered twice when the thread
got more than one reply or the database holds it twice; every question not answered is lost.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import time
from collections.abc import AsyncIterator, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx

from bench import processes
from bench.edge import Edge
from data import models
from tests import slack_payloads as payloads
from tests.servers import PROJECT_DIR, Served, descendants, served, subprocess_environment

QUESTIONS = (
    "how do I rotate the database password?",
    "how do I configure the LLM?",
    "how do I ask a question from a terminal?",
    "how do I run Kraken Bot in production?",
    "what does the recovery sweep do?",
    "how do I index our documentation?",
    "which Slack events does the bot answer?",
    "how do I write release notes for a repository?",
)
REPLY_METHODS = ("chat.startStream", "chat.postMessage")
FINAL_REPLY = "chat.stopStream"
ANSWERED = models.QuestionStatus.ANSWERED.value
WARM_UP_TIMEOUT_S = 60
SERVICE_NAME = "kraken-bot"
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
    _texts: itertools.cycle[str] = field(default_factory=lambda: itertools.cycle(QUESTIONS))

    @property
    def pid(self) -> int:
        return self.service.process.pid

    @property
    def pids(self) -> list[int]:
        """The service's processes: the one started and those it started (its answer process)."""
        return [self.pid, *descendants(self.pid)]

    def cpu_s(self) -> float:
        """The CPU time the service's processes have used so far (user and system)."""
        return sum(processes.cpu_s(pid) for pid in self.pids)

    @property
    def port(self) -> int:
        return int(urlsplit(self.service.url).port or 80)

    def mention(self) -> str:
        """A new mention, as Slack's `event_callback` body."""
        return payloads.event_callback(payloads.app_mention(next(self._texts)))

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
    """The service's settings: the bench database, the fakes, no recovery sweep unless asked."""
    settings = {
        "DATABASE_URL": database_url,
        "SLACK_BOT_TOKEN": "xoxb-bench-token",
        "SLACK_SIGNING_SECRET": payloads.SIGNING_SECRET,
        "SLACK_API_URL": edge.slack.api_url,
        "LLM_MODEL": "openai:fake-model",
        "LLM_BASE_URL": edge.llm.base_url,
        "RECOVERY_INTERVAL_S": "0",
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
    sequential: bool = False,
    senders: int = 50,
    settings: Mapping[str, str] | None = None,
) -> AsyncIterator[Bot]:
    """The service on a free port (the sequential variant's on request), and a client for it
    with a connection for each sender."""
    launcher = ("-m", "bench.sequential") if sequential else (str(PROJECT_DIR / "manage.py"),)
    # The variant is put in place in the serving process: its answers must be written there.
    in_place = {"ANSWER_PROCESS": "false"} if sequential else {}
    async with (
        served(
            "--no-migrate",
            environment=environment(edge, database_url, **in_place, **(settings or {})),
            launcher=launcher,
            workers=workers,
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
        yield Bot(service=service, client=client)


async def warm_up(bot: Bot, replies: Replies, *, questions: int = 2) -> None:
    """Answer a few questions first: the first request pays for imports, `auth.test` and the
    first connections, which is not what a part measures."""
    sent = [await bot.ask() for _ in range(questions)]
    await replies.wait([one.thread for one in sent], timeout_s=WARM_UP_TIMEOUT_S)


class Replies:
    """The bot's replies in the fake Slack, by thread, read as they arrive."""

    def __init__(self, edge: Edge) -> None:
        self._slack = edge.slack
        self._read = 0
        self.started: dict[str, int] = {}
        self.finished_at: dict[str, float] = {}

    def catch_up(self) -> None:
        """Read the calls made since the last look."""
        calls = self._slack.calls
        for call in calls[self._read :]:
            if call.method in REPLY_METHODS or call.method == FINAL_REPLY:
                thread = self._slack.thread_of(call)
                if thread is None:
                    continue
                if call.method in REPLY_METHODS:
                    self.started[thread] = self.started.get(thread, 0) + 1
                else:
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
        replies=replies.started,
        stored={thread: [row["status"] for row in found] for thread, found in rows.items()},
    )
