"""SIGTERM (a deploy) while answers are being written: what runs the jobs (the service on SQLite,
its workers on PostgreSQL) waits for them, up to `SHUTDOWN_GRACE_S`, before it exits; what the
grace period cannot finish is stopped and left to run again."""

import contextlib
import json
import time
from collections.abc import AsyncIterator

import httpx
import pytest

from data import models
from fakes import slack_payloads as payloads
from fakes.polling import PATIENCE_S, until
from fakes.servers import Served, bot_environment, served
from fakes.slack import FakeSlack
from tests.llm_fixtures import served_docs_model

# The served processes run the jobs: `manage.py worker` on PostgreSQL.
pytestmark = pytest.mark.served

QUESTIONS = 3
WAIT_S = 30
# What procrastinate's worker says of the jobs it stops at the end of the grace period.
STILL_RUNNING = "jobs still running after graceful timeout"


@contextlib.asynccontextmanager
async def _answering(
    slack: FakeSlack, *, answer_s: float, grace_s: float
) -> AsyncIterator[tuple[Served, list[str]]]:
    """A served bot whose model takes `answer_s` a reply, with questions in flight."""
    async with served_docs_model(delay_s=answer_s) as model:
        environment = bot_environment(
            slack_api_url=slack.api_url,
            **model.environment(timeout_s=answer_s * 4),
            SHUTDOWN_GRACE_S=str(grace_s),
        )
        bodies = [
            payloads.event_callback(payloads.app_mention(f"rotate the password ({n})"))
            for n in range(QUESTIONS)
        ]
        async with (
            served("--no-migrate", environment=environment) as service,
            httpx.AsyncClient(
                base_url=service.url, headers={"X-Forwarded-Proto": "https"}
            ) as client,
        ):
            for body in bodies:
                sent = await client.post(
                    "/slack/events",
                    content=body,
                    headers=payloads.event_headers(body),
                )
                assert sent.status_code == 200

            async def in_flight() -> bool:
                return model.answers_started() == QUESTIONS

            await until(in_flight, within_s=PATIENCE_S)
            yield service, [json.loads(body)["event_id"] for body in bodies]


async def _statuses(event_ids: list[str]) -> list[str]:
    return [
        question.status async for question in models.Question.objects.filter(event_id__in=event_ids)
    ]


async def test_sigterm_waits_for_the_answers_being_written_then_exits(
    slack: FakeSlack, indexed_docs: None
) -> None:
    async with _answering(slack, answer_s=1.5, grace_s=WAIT_S) as (service, event_ids):
        graceful = await service.stop()

    assert graceful
    assert await _statuses(event_ids) == [models.QuestionStatus.ANSWERED] * QUESTIONS
    assert len(slack.calls_to("chat.stopStream")) == QUESTIONS
    assert not any(STILL_RUNNING in line for line in service.whole_log)


async def test_answers_slower_than_the_grace_period_are_stopped_and_left_to_run_again(
    slack: FakeSlack, indexed_docs: None
) -> None:
    async with _answering(slack, answer_s=WAIT_S, grace_s=1) as (service, event_ids):
        stopping = time.monotonic()
        graceful = await service.stop()
        stopped_after_s = time.monotonic() - stopping

    assert graceful
    assert stopped_after_s < WAIT_S / 2
    assert any(f"{QUESTIONS} {STILL_RUNNING}" in line for line in service.whole_log)
    assert models.QuestionStatus.ANSWERED not in await _statuses(event_ids)
    unfinished = models.InboundEvent.objects.filter(event_id__in=event_ids, done_at__isnull=True)
    assert await unfinished.acount() == QUESTIONS
    assert slack.calls_to("chat.stopStream") == []
