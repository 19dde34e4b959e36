"""A server process killed (`kill -9`) while it is writing answers under load: after a restart
and `recover_questions`, every question is answered, exactly once."""

import asyncio
import json
import signal
from collections import Counter

import httpx

from data import models
from tests import slack_payloads as payloads
from tests.fake_slack import FakeSlack
from tests.llm_fixtures import served_docs_model
from tests.polling import PATIENCE_S, until
from tests.servers import Served, bot_environment, manage, served

QUESTIONS = 12
# Long enough that no answer is finished when the process is killed.
HELD_S = 60


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


async def test_questions_a_killed_process_was_answering_are_answered_once_after_recovery(
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

        async with served("--no-migrate", environment=environment) as killed:
            acknowledged = await _send_all(killed, bodies)

            async def all_in_flight() -> bool:
                stored = await models.Question.objects.filter(event_id__in=event_ids).acount()
                return stored == QUESTIONS and model.answers_started() == QUESTIONS

            await until(all_in_flight, within_s=PATIENCE_S)
            killed.process.send_signal(signal.SIGKILL)
            await killed.process.wait()
            model.delay_s = 0

            async with served("--no-migrate", environment=environment) as restarted:
                status, recovered = await manage(
                    "recover_questions", "--older-than", "0", environment=environment
                )
                later = payloads.event_callback(payloads.app_mention("and after the restart?"))
                assert await _send_all(restarted, [later]) == [200]
                await until(lambda: _answered(json.loads(later)["event_id"]), within_s=PATIENCE_S)

    assert acknowledged == [200] * QUESTIONS
    assert status == 0, recovered
    assert killed.process.returncode == -signal.SIGKILL
    assert f"Recovered {QUESTIONS} unanswered questions (0 failed)" in recovered
    statuses = Counter(
        [
            question.status
            async for question in models.Question.objects.filter(event_id__in=event_ids)
        ]
    )
    assert statuses == {models.QuestionStatus.ANSWERED: QUESTIONS}
    started = Counter(call.args["thread_ts"] for call in slack.calls_to("chat.startStream"))
    assert set(started.values()) == {1}
    assert len(started) == QUESTIONS + 1
    assert len(slack.calls_to("chat.stopStream")) == QUESTIONS + 1


async def _answered(event_id: str) -> bool:
    return await models.Question.objects.filter(
        event_id=event_id, status=models.QuestionStatus.ANSWERED
    ).aexists()
