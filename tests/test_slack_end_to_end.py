"""The whole flow through uvicorn in a subprocess: signed HTTP events in, the fake Slack Web API
called back, the question stored in the database the test shares with the server."""

import asyncio
import time
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest

from application import respond_to_user
from data import models
from fakes import slack_payloads as payloads
from fakes.polling import PATIENCE_S, until
from fakes.servers import Served, bot_environment, served
from fakes.slack import FakeSlack
from tests.slack_support import streamed_text

# The served processes run the jobs: `manage.py worker` on PostgreSQL.
pytestmark = pytest.mark.served

# Questions at once, for the test that each is answered once.
MANY = 100


@dataclass
class Bot:
    client: httpx.AsyncClient
    service: Served


@pytest.fixture
async def bot(slack: FakeSlack, indexed_docs: None) -> AsyncIterator[Bot]:
    environment = bot_environment(slack_api_url=slack.api_url)
    async with (
        served("--no-migrate", environment=environment) as service,
        httpx.AsyncClient(base_url=service.url, headers={"X-Forwarded-Proto": "https"}) as client,
    ):
        yield Bot(client=client, service=service)


async def _send(bot: Bot, body: str, **headers: str) -> httpx.Response:
    return await bot.client.post(
        "/slack/events",
        content=body,
        headers={**payloads.event_headers(body), **headers},
    )


async def test_a_signed_mention_is_acknowledged_at_once_then_answered_in_its_thread(
    bot: Bot, slack: FakeSlack
) -> None:
    event = payloads.app_mention("how do I rotate the database password?")

    started = time.perf_counter()
    response = await _send(bot, payloads.event_callback(event))
    ack_s = time.perf_counter() - started
    async with asyncio.timeout(PATIENCE_S):
        await slack.wait_for("chat.stopStream")
    assert await bot.service.stop()  # a graceful stop waits for the answer to be stored

    assert response.status_code == 200
    assert ack_s < 3
    # Set where the event is accepted, and again by the answer's job: one status in Slack.
    statuses = {
        (call.args["channel_id"], call.args["thread_ts"], call.args["status"])
        for call in slack.calls_to("assistant.threads.setStatus")
    }
    assert statuses == {("C0001", event["ts"], respond_to_user.STATUS_TEXT)}
    [start] = slack.calls_to("chat.startStream")
    assert (start.args["channel"], start.args["thread_ts"]) == ("C0001", event["ts"])
    assert "vault rotate db" in streamed_text(slack)
    assert "Sources" in streamed_text(slack)
    question = await models.Question.objects.aget(message_ts=event["ts"])
    assert question.status == models.QuestionStatus.ANSWERED
    [started_ts] = [ts for ts, call in slack.posted.items() if call is start]
    assert question.reply_ts == started_ts
    inbox = await models.InboundEvent.objects.aget(event_id=question.event_id)
    assert inbox.reply_ts == started_ts  # recorded as the stream began, for recovery to replace
    assert {"status", "store", "classify", "answer", "reply", "total"} <= set(question.timings)
    log = "".join(bot.service.log)
    assert "xoxb-test-token" not in log
    assert payloads.SIGNING_SECRET not in log


async def test_an_event_delivered_three_times_is_answered_once(bot: Bot, slack: FakeSlack) -> None:
    event = payloads.app_mention("how do I rotate the database password?")
    body = payloads.event_callback(event)

    statuses = [(await _send(bot, body)).status_code]
    for retry in ("1", "2"):
        sent = await _send(
            bot, body, **{"X-Slack-Retry-Num": retry, "X-Slack-Retry-Reason": "http_timeout"}
        )
        statuses.append(sent.status_code)
    async with asyncio.timeout(PATIENCE_S):
        await slack.wait_for("chat.stopStream")
    assert await bot.service.stop()

    assert statuses == [200, 200, 200]
    assert len(slack.calls_to("chat.startStream")) == 1
    assert await models.Question.objects.filter(message_ts=event["ts"]).acount() == 1
    assert await models.InboundEvent.objects.acount() == 1


async def test_a_hundred_questions_each_delivered_twice_at_once_are_each_answered_once(
    slack: FakeSlack, indexed_docs: None
) -> None:
    bodies = [
        payloads.event_callback(payloads.app_mention(f"how do I rotate the password? ({n})"))
        for n in range(MANY)
    ]
    environment = bot_environment(slack_api_url=slack.api_url)
    async with (
        served("--no-migrate", environment=environment, job_workers=2) as service,
        # How fast each is acknowledged is the benchmark's to measure, on a quiet machine.
        httpx.AsyncClient(
            base_url=service.url, headers={"X-Forwarded-Proto": "https"}, timeout=PATIENCE_S
        ) as client,
    ):
        bot = Bot(client=client, service=service)
        sent = await asyncio.gather(*(_send(bot, body) for body in bodies for _ in range(2)))

        async def all_answered() -> bool:
            answered = models.Question.objects.filter(status=models.QuestionStatus.ANSWERED)
            return await answered.acount() == MANY

        await until(all_answered, within_s=PATIENCE_S)
        assert await service.stop()

    assert {response.status_code for response in sent} == {200}
    streams = Counter(call.args["thread_ts"] for call in slack.calls_to("chat.startStream"))
    assert len(streams) == MANY
    assert set(streams.values()) == {1}
    assert await models.Question.objects.acount() == MANY
