"""What runs the jobs killed (`kill -9`) while it is writing answers: every question is still
answered, exactly once. On PostgreSQL, a worker is killed and the other answers its questions
within two minutes; on SQLite, the service is killed and answers them when it starts again."""

import asyncio
import json
import signal
from collections import Counter

import httpx
import pytest

from data import models
from fakes import slack_payloads as payloads
from fakes.polling import PATIENCE_S, until
from fakes.servers import Served, bot_environment, served
from fakes.slack import FakeSlack
from tests.databases import ON_POSTGRESQL
from tests.llm_fixtures import served_docs_model

# The served processes run the jobs: `manage.py worker` on PostgreSQL.
pytestmark = pytest.mark.served

QUESTIONS = 12
# Long enough that no answer is finished when the process is killed.
HELD_S = 60
# A dead worker's jobs are found stalled after SHUTDOWN_GRACE_S (30 s) + 30 s without its
# heartbeat, by a job run every 30 s: they run again within 90 s of its death.
STALLED_WITHIN_S = 90


async def _send_all(service: Served, bodies: list[str]) -> list[int]:
    async with httpx.AsyncClient(
        base_url=service.url, headers={"X-Forwarded-Proto": "https"}
    ) as client:
        responses = await asyncio.gather(
            *(
                client.post(
                    "/slack/events",
                    content=body,
                    headers=payloads.event_headers(body),
                )
                for body in bodies
            )
        )
    return [response.status_code for response in responses]


async def test_questions_whose_answers_were_killed_midway_are_answered_once(
    slack: FakeSlack, indexed_docs: None
) -> None:
    async with served_docs_model(delay_s=HELD_S) as model:
        environment = bot_environment(
            slack_api_url=slack.api_url, **model.environment(timeout_s=HELD_S * 2)
        )
        bodies = [
            payloads.event_callback(payloads.app_mention(f"rotate the password ({n})"))
            for n in range(QUESTIONS)
        ]
        event_ids = [json.loads(body)["event_id"] for body in bodies]

        async with served("--no-migrate", environment=environment, job_workers=2) as service:
            acknowledged = await _send_all(service, bodies)

            async def all_in_flight() -> bool:
                stored = await models.Question.objects.filter(event_id__in=event_ids).acount()
                return stored == QUESTIONS and model.answers_started() == QUESTIONS

            await until(all_in_flight, within_s=PATIENCE_S)
            killed = service.job_workers[0].process if ON_POSTGRESQL else service.process
            killed.send_signal(signal.SIGKILL)
            await killed.wait()
            model.delay_s = 0

            async def all_answered() -> bool:
                return all([await _answered(event_id) for event_id in event_ids])

            if ON_POSTGRESQL:
                await until(all_answered, within_s=PATIENCE_S + STALLED_WITHIN_S)
            else:
                async with served("--no-migrate", environment=environment):
                    await until(all_answered, within_s=PATIENCE_S)

    assert acknowledged == [200] * QUESTIONS
    assert killed.returncode == -signal.SIGKILL
    started = Counter(call.args["thread_ts"] for call in slack.calls_to("chat.startStream"))
    assert set(started.values()) == {1}
    assert len(started) == QUESTIONS
    assert len(slack.calls_to("chat.stopStream")) == QUESTIONS


async def _answered(event_id: str) -> bool:
    return await models.Question.objects.filter(
        event_id=event_id, status=models.QuestionStatus.ANSWERED
    ).aexists()
