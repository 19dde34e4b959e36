"""Answering Slack's questions in a process of their own, so acknowledgements never wait for them.

One event loop that both acknowledges events and writes answers acknowledges late under load: an
answer costs 40–80 ms of CPU, an ack a few, and an ack waits behind every step of an answer that
is ready to run before it (`make bench` measures it). So each serving process starts one answer
process (`manage.py answer_questions`) and hands it each question, one JSON line on its standard
input. The answer process writes the answers as background jobs, at a lower CPU priority, so that
on a busy machine the acks go first.

A question is in the inbox before it is handed over, so one the answer process never finished is
answered by the recovery sweep. An answer process whose parent is gone (killed) exits at once, as
the jobs of the killed process would have gone with it; one asked to stop (its input ends while
the parent lives) finishes its answers first, for up to `SHUTDOWN_GRACE_S`. When the
answer process is not running (Socket Mode, tests that call the app in-process, `ANSWER_PROCESS`
off), the serving process writes the answers itself; when it has died, it does so until another
answer process has started (at most one every `REPLACE_EVERY_S`).
"""

import asyncio
import dataclasses
import json
import logging
import os
import signal
import sys
import time

from django.conf import settings
from slack_sdk.web.async_client import AsyncWebClient

from application import metrics
from application.background import jobs
from domain import records
from slack import conversation, events
from slack.web_client import build_web_client

logger = logging.getLogger(__name__)

COMMAND = "answer_questions"
# Answers yield the CPU to the acks of the serving process (and to anything else on the machine).
NICENESS = 10
# The longest question handed over: Slack's messages are at most 40,000 characters.
LINE_LIMIT = 4 * 1024 * 1024
# How long past its grace period a stopping answer process is waited for before it is killed.
STOP_MARGIN_S = 5.0
# At most one replacement for a dead answer process in this time.
REPLACE_EVERY_S = 10.0


@dataclasses.dataclass(frozen=True)
class _Started:
    process: asyncio.subprocess.Process
    questions: asyncio.StreamWriter


class AnswerProcess:
    """The serving process's side: starts the answer process, hands it questions, replaces it
    when it has died, stops it."""

    def __init__(self) -> None:
        self._wanted = False
        self._started: _Started | None = None
        self._replacing: asyncio.Task[None] | None = None
        self._replaced_at: float | None = None

    async def start(self) -> None:
        self._wanted = True
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            str(settings.BASE_DIR / "manage.py"),
            COMMAND,
            stdin=asyncio.subprocess.PIPE,
        )
        if process.stdin is None:
            raise RuntimeError("the answer process was started without a pipe to its input")
        self._started = _Started(process=process, questions=process.stdin)
        logger.info("Answer process %s started", process.pid)

    def answer(self, asked: events.Asked, *, client: AsyncWebClient, bot_id: str) -> None:
        """Hand the question to the answer process, or answer it here when it is not running."""
        if not self._hand_over(asked, bot_id=bot_id):
            answer_here(asked, client=client, bot_id=bot_id)

    def _hand_over(self, asked: events.Asked, *, bot_id: str) -> bool:
        """Give the question to the answer process; False when it is not running."""
        started = self._started
        if started is not None and (
            started.process.returncode is not None or started.questions.is_closing()
        ):
            logger.error(
                "The answer process %s has stopped (exit status %s): this process answers until "
                "another has started",
                started.process.pid,
                started.process.returncode,
            )
            metrics.process_ended(started.process.pid)
            started = self._started = None
        if started is None:
            self._replace()
            return False
        started.questions.write(_encoded(asked, bot_id=bot_id))
        return True

    def _replace(self) -> None:
        """Start another answer process, unless one is starting or one was started less than
        `REPLACE_EVERY_S` ago: one that dies at start-up is not started again and again."""
        now = time.monotonic()
        if (
            not self._wanted
            or (self._replacing is not None and not self._replacing.done())
            or (self._replaced_at is not None and now - self._replaced_at < REPLACE_EVERY_S)
        ):
            return
        self._replaced_at = now
        self._replacing = asyncio.create_task(self._start_another(), name="answer process")

    async def _start_another(self) -> None:
        try:
            await self.start()
        except Exception:
            logger.exception("Unable to start another answer process: this process answers")

    async def stop(self) -> None:
        """End its input and wait for it to finish its answers; kill it if it overstays."""
        if self._replacing is not None:
            await self._replacing
        self._wanted = False
        started, self._started = self._started, None
        if started is None:
            return
        started.questions.close()
        try:
            await asyncio.wait_for(
                started.process.wait(), settings.SHUTDOWN_GRACE_S + STOP_MARGIN_S
            )
        except TimeoutError:
            logger.error("The answer process %s did not stop in time: killed", started.process.pid)
            started.process.kill()
            await started.process.wait()
        metrics.process_ended(started.process.pid)


answer_process = AnswerProcess()


def _encoded(asked: events.Asked, *, bot_id: str) -> bytes:
    return json.dumps({"asked": dataclasses.asdict(asked), "bot_id": bot_id}).encode() + b"\n"


def _decoded(line: bytes) -> tuple[events.Asked, str]:
    handed = json.loads(line)
    asked = handed["asked"]
    origin = records.SlackOrigin(**asked["origin"])
    return events.Asked(
        text=asked["text"], origin=origin, wants_summary=asked["wants_summary"]
    ), str(handed["bot_id"])


def obey_only_the_serving_process() -> None:
    """Called in the answer process before its loop starts (signals need the main thread).

    Ctrl-C in a terminal, and a service manager's SIGTERM, reach the whole process group; the
    serving process then stops this one by ending its input, after the last question is handed
    over. Answers run at a lower priority than the acks.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    os.nice(NICENESS)


async def answer_handed_over() -> None:
    """Answer each question read from standard input until it ends, then finish the answers,
    unless the serving process is gone."""
    parent = os.getppid()
    reader = asyncio.StreamReader(limit=LINE_LIMIT)
    await asyncio.get_running_loop().connect_read_pipe(
        lambda: asyncio.StreamReaderProtocol(reader), sys.stdin.buffer
    )
    client = build_web_client()
    while line := await reader.readline():
        _start_answer(line, client=client)
    if os.getppid() != parent:
        logger.warning("The serving process is gone: the recovery sweep will finish its answers")
        return
    await jobs.finish(grace_s=settings.SHUTDOWN_GRACE_S)


def _start_answer(line: bytes, *, client: AsyncWebClient) -> None:
    try:
        asked, bot_id = _decoded(line)
    except (ValueError, KeyError, TypeError):
        logger.exception("Unreadable question from the serving process: %r", line[:200])
        return
    answer_here(asked, client=client, bot_id=bot_id)


def answer_here(asked: events.Asked, *, client: AsyncWebClient, bot_id: str) -> None:
    """Answer the question in this process, as a background job."""
    jobs.start(
        f"answer Slack event {asked.origin.event_id}",
        lambda: conversation.answer_in_thread(asked, client=client, bot_id=bot_id),
    )
