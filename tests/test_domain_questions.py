import asyncio
import contextlib
import datetime as dt
import threading
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from django.db import DatabaseError, IntegrityError, connection

from data import models
from domain import operations, queries, records
from tests.factories import InboundEventFactory, QuestionFactory

NOW = dt.datetime(2026, 3, 2, 10, 30, tzinfo=dt.UTC)
# Generous, for a busy machine: the waits end as soon as what they wait for happens.
PATIENCE_S = 60
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


async def test_a_slack_question_is_found_from_its_inbox_event() -> None:
    await InboundEventFactory.acreate(event_id="Ev1")

    question = await operations.record_question(
        text="How do I deploy?", source=records.QuestionSource.SLACK, received_at=NOW, slack=ORIGIN
    )

    assert question.slack == ORIGIN
    found = await queries.find_event(event_id="Ev1")
    assert found is not None
    assert found.question_id == question.id
    [unfinished] = await queries.list_unfinished_events(event_types=("app_mention",))
    assert unfinished.question_id == question.id


def test_a_slack_question_is_stored_by_one_statement_outside_any_transaction() -> None:
    with _inserts_seen() as inserts:
        async_to_sync(operations.record_question)(
            text="How do I deploy?",
            source=records.QuestionSource.SLACK,
            received_at=NOW,
            slack=ORIGIN,
        )

    assert inserts == [{"in_a_transaction": False}]


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
    first = await operations.record_event(**_inbox_event("Ev42"))

    with pytest.raises(operations.EventAlreadyRecorded):
        await operations.record_event(**_inbox_event("Ev42"))

    assert first.event_id == "Ev42"
    assert await models.InboundEvent.objects.filter(event_id="Ev42").acount() == 1


def _inbox_event(event_id: str) -> dict[str, Any]:
    return {
        "event_id": event_id,
        "team_id": "T1",
        "event_type": "app_mention",
        "payload": {"event_id": event_id},
        "received_at": NOW,
    }


def test_an_event_recorded_alone_is_written_by_one_statement_and_then_followed() -> None:
    followed_in_a_transaction = []

    with _inserts_seen() as inserts:
        async_to_sync(operations.record_event)(
            **_inbox_event("Ev7"),
            then=lambda: followed_in_a_transaction.append(connection.in_atomic_block),
            in_one_transaction=False,
        )

    assert inserts == [{"in_a_transaction": False}]
    assert followed_in_a_transaction == [False]


def test_an_event_recorded_in_one_transaction_is_written_in_the_one_then_runs_in() -> None:
    followed_in_a_transaction = []

    with _inserts_seen() as inserts:
        async_to_sync(operations.record_event)(
            **_inbox_event("Ev7"),
            then=lambda: followed_in_a_transaction.append(connection.in_atomic_block),
        )

    assert inserts == [{"in_a_transaction": True}]
    assert followed_in_a_transaction == [True]


async def test_an_event_whose_job_cannot_be_deferred_in_its_transaction_is_not_kept() -> None:
    def unable_to_defer() -> None:
        raise DatabaseError("the job queue is unreachable")

    with pytest.raises(DatabaseError):
        await operations.record_event(**_inbox_event("Ev7"), then=unable_to_defer)

    assert not await models.InboundEvent.objects.filter(event_id="Ev7").aexists()


async def test_an_event_recorded_is_followed_even_when_its_request_is_cancelled_meanwhile() -> None:
    following, cancelled, followed = threading.Event(), threading.Event(), threading.Event()

    def then() -> None:
        following.set()
        cancelled.wait(timeout=PATIENCE_S)
        followed.set()

    async def record() -> None:
        await operations.record_event(**_inbox_event("Ev7"), then=then, in_one_transaction=False)

    recording = asyncio.create_task(record())
    assert await asyncio.to_thread(following.wait, PATIENCE_S)
    recording.cancel()
    cancelled.set()

    with pytest.raises(asyncio.CancelledError):
        await recording
    assert await asyncio.to_thread(followed.wait, PATIENCE_S)
    assert await models.InboundEvent.objects.filter(event_id="Ev7").aexists()


@contextlib.contextmanager
def _inserts_seen() -> Iterator[list[dict[str, bool]]]:
    """The INSERT statements this thread's connection runs, and whether each ran inside a
    transaction."""
    seen: list[dict[str, bool]] = []

    def watch(execute: Any, sql: str, params: Any, many: bool, context: dict[str, Any]) -> Any:
        if sql.lstrip().upper().startswith("INSERT"):
            seen.append({"in_a_transaction": context["connection"].in_atomic_block})
        return execute(sql, params, many, context)

    with connection.execute_wrapper(watch):
        yield seen


async def test_events_recorded_at_once_are_each_stored_and_a_repeat_among_them_refused() -> None:
    def event(event_id: str, *, message: str) -> dict[str, Any]:
        return _inbox_event(event_id) | {"message_key": f"T1:C1:{message}"}

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
