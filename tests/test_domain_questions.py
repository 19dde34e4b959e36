import asyncio
import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.db import IntegrityError

from data import models
from domain import operations, queries, records
from tests.factories import InboundEventFactory, QuestionFactory

NOW = dt.datetime(2026, 3, 2, 10, 30, tzinfo=dt.UTC)
ORIGIN = records.SlackOrigin(
    team_id="T1",
    channel_id="C1",
    user_id="U1",
    thread_ts="1.000100",
    message_ts="1.000200",
    event_id="Ev1",
)


async def test_a_console_question_is_stored_as_received_without_a_slack_origin() -> None:
    question = await operations.record_question(
        text="How do I deploy?", source=records.QuestionSource.CONSOLE, received_at=NOW
    )

    assert question.status is records.QuestionStatus.RECEIVED
    assert question.slack is None
    assert await queries.get_question(question_id=question.id) == question


async def test_a_slack_question_is_linked_to_its_inbox_event() -> None:
    event = await InboundEventFactory.acreate(event_id="Ev1")

    question = await operations.record_question(
        text="How do I deploy?", source=records.QuestionSource.SLACK, received_at=NOW, slack=ORIGIN
    )

    assert question.slack == ORIGIN
    stored_event = await models.InboundEvent.objects.aget(pk=event.pk)
    assert stored_event.question_id == question.id


async def test_a_second_question_for_the_same_event_is_refused_and_the_first_kept() -> None:
    first = await operations.record_question(
        text="first", source=records.QuestionSource.SLACK, received_at=NOW, slack=ORIGIN
    )

    with pytest.raises(operations.QuestionAlreadyRecorded):
        await operations.record_question(
            text="second", source=records.QuestionSource.SLACK, received_at=NOW, slack=ORIGIN
        )

    assert (await queries.get_question(question_id=first.id)).text == "first"


async def test_a_retried_event_is_recorded_in_the_inbox_once() -> None:
    arguments: dict[str, Any] = {
        "event_id": "Ev42",
        "team_id": "T1",
        "event_type": "app_mention",
        "payload": {"event_id": "Ev42"},
        "received_at": NOW,
    }
    first = await operations.record_event(**arguments)

    with pytest.raises(operations.EventAlreadyRecorded):
        await operations.record_event(**arguments)

    assert first.event_id == "Ev42"
    assert await models.InboundEvent.objects.filter(event_id="Ev42").acount() == 1


async def test_events_recorded_at_once_are_each_stored_and_a_repeat_among_them_refused() -> None:
    def event(event_id: str, *, message: str) -> dict[str, Any]:
        return {
            "event_id": event_id,
            "team_id": "T1",
            "event_type": "app_mention",
            "payload": {"event_id": event_id},
            "received_at": NOW,
            "message_key": f"T1:C1:{message}",
        }

    results = await asyncio.gather(
        operations.record_event(**event("Ev1", message="1.0001")),
        operations.record_event(**event("Ev2", message="1.0002")),
        operations.record_event(**event("Ev1", message="1.0001")),
        operations.record_event(**event("Ev3", message="1.0002")),
        operations.record_event(**event("Ev4", message="1.0004")),
        return_exceptions=True,
    )

    recorded = [_recorded_or_refused(result) for result in results]
    assert recorded == ["Ev1", "Ev2", "refused", "refused", "Ev4"]
    stored = [row.event_id async for row in models.InboundEvent.objects.order_by("event_id")]
    assert stored == ["Ev1", "Ev2", "Ev4"]


def _recorded_or_refused(result: records.InboundEvent | BaseException) -> str:
    if isinstance(result, operations.EventAlreadyRecorded):
        return "refused"
    if isinstance(result, BaseException):
        raise result
    return result.event_id


async def test_recording_an_answer_stores_it_with_sources_usage_and_timings() -> None:
    row = await QuestionFactory.acreate()
    answer = records.Answer(
        text="Use the vault CLI.",
        citations=(
            records.Citation(passage_id=7, title="Runbook", heading="Passwords", url="https://d/r"),
        ),
        category="how-to",
        usage=records.Usage(
            model_name="test", input_tokens=120, output_tokens=30, cost=Decimal("0.0012")
        ),
        timings_ms={"classify": 12.5, "answer": 480.0},
        reply_ts="1.000300",
    )

    question = await operations.record_answer(question_id=row.pk, answer=answer, answered_at=NOW)

    assert question.status is records.QuestionStatus.ANSWERED
    assert question.answer == "Use the vault CLI."
    assert question.citations == answer.citations
    assert question.usage == answer.usage
    assert question.timings_ms == {"classify": 12.5, "answer": 480.0}
    assert question.answered_at == NOW
    assert question.reply_ts == "1.000300"


async def test_recording_a_failure_keeps_the_question_with_its_error() -> None:
    row = await QuestionFactory.acreate(text="Why is CI red?")

    question = await operations.record_failure(
        question_id=row.pk, error="The model did not answer in time", timings_ms={"answer": 60000.0}
    )

    assert question.status is records.QuestionStatus.FAILED
    assert question.text == "Why is CI red?"
    assert question.error == "The model did not answer in time"
    assert question.timings_ms == {"answer": 60000.0}


async def test_the_total_time_of_an_answer_or_a_failure_is_kept_in_its_own_column() -> None:
    answered, failed = await QuestionFactory.acreate(), await QuestionFactory.acreate()

    await operations.record_answer(
        question_id=answered.pk,
        answer=records.Answer(
            text="Use the vault CLI.", timings_ms={"answer": 480.0, "total": 512.5}
        ),
        answered_at=NOW,
    )
    await operations.record_failure(
        question_id=failed.pk, error="timeout", timings_ms={"answer": 60000.0, "total": 60010.0}
    )

    await answered.arefresh_from_db()
    await failed.arefresh_from_db()
    assert (answered.total_ms, failed.total_ms) == (512.5, 60010.0)


async def test_answering_an_unknown_question_says_which_one() -> None:
    with pytest.raises(queries.QuestionNotFound, match="No question with id 999999"):
        await operations.record_answer(
            question_id=999999, answer=records.Answer(text="x"), answered_at=NOW
        )


async def test_the_database_refuses_an_answered_question_without_an_answered_time() -> None:
    with pytest.raises(IntegrityError):
        await QuestionFactory.acreate(status=models.QuestionStatus.ANSWERED, answered_at=None)
