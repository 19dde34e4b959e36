"""Questions a dead process left unanswered are answered again, exactly once."""

import asyncio
import datetime as dt
import json

import pytest
from django.utils import timezone

from application import recover_questions
from data import models
from domain import operations, records
from slack import conversation, recovery
from tests import slack_payloads as payloads
from tests.factories import InboundEventFactory, QuestionFactory
from tests.fake_slack import FakeSlack
from tests.servers import bot_environment, manage
from tests.slack_fixtures import all_jobs_done, post_signed
from tests.slack_support import markdown_of, streamed_text

LONG_AGO = timezone.now() - dt.timedelta(hours=1)
CRITERIA = operations.ClaimCriteria(
    event_types=("app_mention", "message"),
    claimed_before=timezone.now() - dt.timedelta(minutes=5),
    max_attempts=3,
)


async def _event_left_by_a_dead_process(*, stored: bool, reply_ts: str = "") -> models.InboundEvent:
    event = payloads.app_mention("how do I rotate the database password?")
    body = json.loads(payloads.event_callback(event))
    question = (
        await QuestionFactory.acreate(
            event_id=body["event_id"],
            message_ts=event["ts"],
            thread_ts=event["ts"],
            channel_id="C0001",
            text="how do I rotate the database password?",
        )
        if stored
        else None
    )
    left: models.InboundEvent = await InboundEventFactory.acreate(
        event_id=body["event_id"],
        payload=body,
        received_at=LONG_AGO,
        claimed_at=LONG_AGO,
        question=question,
        reply_ts=reply_ts,
    )
    return left


async def test_an_unanswered_event_is_claimed_by_one_of_two_concurrent_sweepers() -> None:
    left = await _event_left_by_a_dead_process(stored=True)

    first, second = await asyncio.gather(
        operations.claim_unanswered_events(criteria=CRITERIA, now=timezone.now(), limit=10),
        operations.claim_unanswered_events(criteria=CRITERIA, now=timezone.now(), limit=10),
    )

    assert sorted([len(first), len(second)]) == [0, 1]
    [claimed] = first or second
    assert (claimed.event_id, claimed.attempts) == (left.event_id, 2)


async def test_answered_recent_and_exhausted_events_are_not_claimed() -> None:
    answered = await QuestionFactory.acreate(
        status=models.QuestionStatus.ANSWERED, answered_at=LONG_AGO
    )
    await InboundEventFactory.acreate(received_at=LONG_AGO, claimed_at=LONG_AGO, question=answered)
    await InboundEventFactory.acreate(received_at=timezone.now(), claimed_at=timezone.now())
    await InboundEventFactory.acreate(received_at=LONG_AGO, claimed_at=LONG_AGO, attempts=3)
    await InboundEventFactory.acreate(
        received_at=LONG_AGO, claimed_at=LONG_AGO, event_type="app_home_opened"
    )

    claimed = await operations.claim_unanswered_events(
        criteria=CRITERIA, now=timezone.now(), limit=10
    )

    assert claimed == []


async def test_a_sweep_longer_than_the_silence_it_waits_for_answers_each_question_once() -> None:
    left = [await _event_left_by_a_dead_process(stored=True) for _ in range(3)]
    older_than_s, answer_s = 300, 200  # each answer is quicker than that, the three are not
    now = [timezone.now()]
    answered: list[tuple[str, str]] = []

    def answering_as(sweeper: str) -> recover_questions.Redeliver:
        async def redeliver(event: records.InboundEvent) -> None:
            answered.append((sweeper, event.event_id))
            now[0] += dt.timedelta(seconds=answer_s)
            await models.Question.objects.filter(inbound_event__event_id=event.event_id).aupdate(
                status=models.QuestionStatus.ANSWERED, answered_at=now[0]
            )
            if len(answered) == 2:  # another process sweeps while the first is still at it
                await recover_questions.recover_questions(
                    older_than_s=older_than_s,
                    clock=lambda: now[0],
                    redeliver=answering_as("second sweeper"),
                )

        return redeliver

    await recover_questions.recover_questions(
        older_than_s=older_than_s, clock=lambda: now[0], redeliver=answering_as("first sweeper")
    )

    assert sorted(event_id for _, event_id in answered) == sorted(e.event_id for e in left)


async def _recover_questions(slack: FakeSlack) -> tuple[int, str]:
    environment = bot_environment(slack_api_url=slack.api_url)
    return await manage("recover_questions", "--older-than", "60", environment=environment)


async def test_two_recover_questions_at_once_answer_a_stored_question_exactly_once(
    slack: FakeSlack, indexed_docs: None
) -> None:
    left = await _event_left_by_a_dead_process(stored=True)

    finished = await asyncio.gather(_recover_questions(slack), _recover_questions(slack))
    outputs = [output for _, output in finished]

    assert [status for status, _ in finished] == [0, 0], outputs
    assert sorted("Recovered 1 " in output for output in outputs) == [False, True], outputs
    assert len(slack.calls_to("chat.startStream")) == 1
    assert "vault rotate db" in streamed_text(slack)
    question = await models.Question.objects.aget(event_id=left.event_id)
    assert question.status == models.QuestionStatus.ANSWERED
    assert await models.Question.objects.acount() == 1


async def test_recovery_answers_an_event_whose_question_was_never_stored(
    slack: FakeSlack, indexed_docs: None
) -> None:
    left = await _event_left_by_a_dead_process(stored=False)

    status, output = await _recover_questions(slack)

    assert status == 0, output
    question = await models.Question.objects.aget(event_id=left.event_id)
    assert question.status == models.QuestionStatus.ANSWERED
    linked = await models.InboundEvent.objects.aget(pk=left.pk)
    assert linked.question_id == question.pk


async def test_recovery_replaces_the_reply_a_dead_process_had_begun_instead_of_adding_one(
    slack: FakeSlack, indexed_docs: None
) -> None:
    left = await _event_left_by_a_dead_process(stored=True, reply_ts="1767600000.000001")

    status, output = await _recover_questions(slack)

    assert status == 0, output
    assert slack.calls_to("chat.startStream") == []
    assert slack.calls_to("chat.postMessage") == []
    updates = slack.calls_to("chat.update")
    assert {call.args["ts"] for call in updates} == {"1767600000.000001"}
    assert "vault rotate db" in markdown_of(updates[-1].args)
    assert "Sources" in markdown_of(updates[-1].args)
    question = await models.Question.objects.aget(event_id=left.event_id)
    assert question.status == models.QuestionStatus.ANSWERED
    assert question.reply_ts == "1767600000.000001"


@pytest.mark.parametrize(
    ("event", "reply"),
    [
        pytest.param(payloads.app_mention(""), conversation.EMPTY_MENTION_HINT, id="empty"),
        pytest.param(
            payloads.app_mention("how do I deploy?", channel="COTHER"),
            conversation.NOT_ALLOWED_NOTE,
            id="not-allowed",
        ),
    ],
)
async def test_a_mention_given_a_one_line_reply_is_done_and_never_swept_again(
    slack: FakeSlack, settings, event: dict[str, object], reply: str
) -> None:
    settings.SLACK_ALLOWED_CHANNELS = ["CALLOWED"]
    await post_signed(payloads.event_callback(event))
    await all_jobs_done()
    an_hour_later = timezone.now() + dt.timedelta(hours=1)

    recovered = await recover_questions.recover_questions(
        older_than_s=60, clock=lambda: an_hour_later, redeliver=recovery.redeliver
    )

    assert recovered.claimed == 0
    assert [call.args["text"] for call in slack.calls_to("chat.postMessage")] == [reply]
