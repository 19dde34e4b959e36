"""The answer process: a served bot writes its answers in a process of its own, so that its event
loop is free to acknowledge Slack's events; without it, the serving process answers."""

import asyncio
import contextlib
import json
import os
import signal
from collections.abc import AsyncIterator

import httpx

from data import models
from slack.answer_process import COMMAND
from tests import slack_payloads as payloads
from tests.fake_slack import FakeSlack
from tests.polling import PATIENCE_S, until
from tests.servers import Served, bot_environment, descendants, served


@contextlib.asynccontextmanager
async def _served(slack: FakeSlack, **settings: str) -> AsyncIterator[Served]:
    """A served bot that logs JSON lines (each says which process wrote it)."""
    environment = bot_environment(slack_api_url=slack.api_url, LOG_FORMAT="json", **settings)
    async with served("--no-migrate", environment=environment) as service:
        yield service


async def _asked_and_answered(service: Served) -> str:
    """Mention the bot as Slack does and wait until the question is answered; the event's id."""
    body = payloads.event_callback(payloads.app_mention("how do I rotate the database password?"))
    async with httpx.AsyncClient(
        base_url=service.url, headers={"X-Forwarded-Proto": "https"}
    ) as client:
        response = await client.post(
            "/slack/events", content=body, headers=payloads.event_headers(body)
        )
    assert response.status_code == 200
    event_id = str(json.loads(body)["event_id"])

    async def stored_as_answered() -> bool:
        return await models.Question.objects.filter(
            event_id=event_id, status=models.QuestionStatus.ANSWERED
        ).aexists()

    await until(stored_as_answered, within_s=PATIENCE_S)
    return event_id


def _answer_processes(service: Served) -> list[int]:
    return [pid for pid in descendants(service.process.pid) if COMMAND in _command_line(pid)]


def _command_line(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as command:
            return command.read().decode(errors="replace")
    except FileNotFoundError:
        return ""


def _processes_that_logged(service: Served, event_id: str) -> set[int]:
    lines = [json.loads(line) for line in service.log if line.startswith("{")]
    return {line["process"] for line in lines if line.get("event_id") == event_id}


def _alive(pid: int) -> bool:
    """Whether the process runs (an ended one that nobody reaped yet is a zombie, "Z")."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


async def test_the_answer_process_a_served_bot_starts_writes_its_answers(
    slack: FakeSlack, indexed_docs: None
) -> None:
    async with _served(slack) as service:
        [answer_process] = await asyncio.to_thread(_answer_processes, service)
        event_id = await _asked_and_answered(service)

    assert len(slack.calls_to("chat.stopStream")) == 1
    # The serving process recorded the event; the answer process answered it.
    assert _processes_that_logged(service, event_id) == {service.process.pid, answer_process}


async def test_with_the_answer_process_off_the_serving_process_answers(
    slack: FakeSlack, indexed_docs: None
) -> None:
    async with _served(slack, ANSWER_PROCESS="false") as service:
        assert await asyncio.to_thread(_answer_processes, service) == []
        event_id = await _asked_and_answered(service)

    assert _processes_that_logged(service, event_id) == {service.process.pid}


async def test_when_the_answer_process_has_died_the_serving_process_answers_until_another_runs(
    slack: FakeSlack, indexed_docs: None
) -> None:
    async with _served(slack) as service:
        [killed] = await asyncio.to_thread(_answer_processes, service)
        os.kill(killed, signal.SIGKILL)

        async def gone() -> bool:
            return not await asyncio.to_thread(_answer_processes, service)

        await until(gone, within_s=PATIENCE_S)
        noticed = await _asked_and_answered(service)

        async def replaced() -> bool:
            return len(await asyncio.to_thread(_answer_processes, service)) == 1

        await until(replaced, within_s=PATIENCE_S)
        [replacement] = await asyncio.to_thread(_answer_processes, service)
        after = await _asked_and_answered(service)

    assert _processes_that_logged(service, noticed) == {service.process.pid}
    assert any("The answer process" in line and "has stopped" in line for line in service.log)
    assert replacement != killed
    assert _processes_that_logged(service, after) == {service.process.pid, replacement}


async def test_the_answer_process_ends_with_a_killed_serving_process(
    slack: FakeSlack, indexed_docs: None
) -> None:
    async with _served(slack) as service:
        [answer_process] = await asyncio.to_thread(_answer_processes, service)
        service.process.kill()

        async def ended() -> bool:
            return not await asyncio.to_thread(_alive, answer_process)

        await until(ended, within_s=PATIENCE_S)
