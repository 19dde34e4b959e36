"""Writes: each is named for what it does and takes and returns dataclasses from `domain.records`.

Writes that must happen together run in one synchronous `transaction.atomic` function called
through `sync_to_async`, because Django's transactions are not async.
"""

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from typing import Any

from asgiref.sync import sync_to_async
from django.db import IntegrityError, transaction

from data import models
from domain import _rows, queries, records


class EventAlreadyRecorded(Exception):
    """A delivery of this Slack event was recorded before, by this process or another."""

    def __init__(self, event_id: str) -> None:
        super().__init__(f"Slack event {event_id} was already recorded")
        self.event_id = event_id


class QuestionAlreadyRecorded(Exception):
    """A question was already stored for this Slack event."""

    def __init__(self, event_id: str) -> None:
        super().__init__(f"A question was already stored for Slack event {event_id}")
        self.event_id = event_id


class InvalidFeedback(ValueError):
    """Feedback must be +1 or -1."""


async def record_event(
    *,
    event_id: str,
    team_id: str,
    event_type: str,
    payload: Mapping[str, Any],
    received_at: dt.datetime,
) -> records.InboundEvent:
    """Record a Slack event in the inbox, once per event id.

    Raises: EventAlreadyRecorded.
    """
    try:
        row = await models.InboundEvent.objects.acreate(
            event_id=event_id,
            team_id=team_id,
            event_type=event_type,
            payload=dict(payload),
            received_at=received_at,
        )
    except IntegrityError:
        raise EventAlreadyRecorded(event_id) from None
    return _rows.inbound_event(row)


async def record_question(
    *,
    text: str,
    source: records.QuestionSource,
    received_at: dt.datetime,
    slack: records.SlackOrigin | None = None,
) -> records.Question:
    """Store a new question. A question from a Slack event is linked to the event's inbox row in
    the same transaction, so the inbox never points at a question that was not stored.

    Raises: QuestionAlreadyRecorded.
    """
    try:
        row = await sync_to_async(_insert_question)(
            text=text, source=source, received_at=received_at, slack=slack
        )
    except IntegrityError:
        if slack is None or slack.event_id is None:
            raise
        raise QuestionAlreadyRecorded(slack.event_id) from None
    return _rows.question(row)


@transaction.atomic
def _insert_question(
    *,
    text: str,
    source: records.QuestionSource,
    received_at: dt.datetime,
    slack: records.SlackOrigin | None,
) -> models.Question:
    origin = asdict(slack) if slack else {}
    row = models.Question.objects.create(
        text=text,
        source=source,
        status=models.Question.Status.RECEIVED,
        created_at=received_at,
        **origin,
    )
    if slack and slack.event_id:
        models.InboundEvent.objects.filter(event_id=slack.event_id).update(question=row)
    return row


async def record_answer(
    *, question_id: int, answer: records.Answer, answered_at: dt.datetime
) -> records.Question:
    """Store the answer, its sources, usage and timings, and mark the question answered.

    Raises: QuestionNotFound.
    """
    updated = await models.Question.objects.filter(pk=question_id).aupdate(
        status=models.Question.Status.ANSWERED,
        answer=answer.text,
        sources=[asdict(citation) for citation in answer.citations],
        category=answer.category,
        model_name=answer.usage.model_name,
        input_tokens=answer.usage.input_tokens,
        output_tokens=answer.usage.output_tokens,
        cost=answer.usage.cost,
        timings=dict(answer.timings_ms),
        reply_ts=answer.reply_ts,
        error="",
        answered_at=answered_at,
    )
    if not updated:
        raise queries.QuestionNotFound(question_id)
    return await queries.get_question(question_id=question_id)


async def record_failure(
    *, question_id: int, error: str, timings_ms: Mapping[str, float] | None = None
) -> records.Question:
    """Mark the question failed with what went wrong, keeping whatever else was stored.

    Raises: QuestionNotFound.
    """
    changes: dict[str, Any] = {"status": models.Question.Status.FAILED, "error": error}
    if timings_ms is not None:
        changes["timings"] = dict(timings_ms)
    updated = await models.Question.objects.filter(pk=question_id).aupdate(**changes)
    if not updated:
        raise queries.QuestionNotFound(question_id)
    return await queries.get_question(question_id=question_id)


async def record_feedback(
    *, question_id: int, user_id: str, score: int, comment: str = "", now: dt.datetime
) -> records.Feedback:
    """Store one person's 👍 (+1) or 👎 (-1) on an answer; a second verdict replaces the first.

    Raises: InvalidFeedback, QuestionNotFound.
    """
    if score not in models.Feedback.Score.values:
        raise InvalidFeedback(f"Feedback score must be +1 or -1, not {score!r}")
    try:
        row, _ = await models.Feedback.objects.aupdate_or_create(
            question_id=question_id,
            user_id=user_id,
            defaults={"score": score, "comment": comment, "updated_at": now},
            create_defaults={
                "score": score,
                "comment": comment,
                "created_at": now,
                "updated_at": now,
            },
        )
    except IntegrityError:
        if not await models.Question.objects.filter(pk=question_id).aexists():
            raise queries.QuestionNotFound(question_id) from None
        raise
    return _rows.feedback(row)


async def record_release_note(
    *,
    repository: str,
    from_ref: str,
    to_ref: str,
    from_sha: str,
    to_sha: str,
    commit_count: int,
    markdown: str,
    model_name: str,
    warnings: Sequence[str],
    llm_error: str,
    created_at: dt.datetime,
) -> records.ReleaseNote:
    """Store release notes with the range they cover, the model that wrote them and any fallback
    (its warnings and the model's error), in one transaction: the notes are never stored without
    what says how they were written."""
    row = await sync_to_async(_insert_release_note)(
        repository=repository,
        from_ref=from_ref,
        to_ref=to_ref,
        from_sha=from_sha,
        to_sha=to_sha,
        commit_count=commit_count,
        markdown=markdown,
        model_name=model_name,
        warnings=list(warnings),
        llm_error=llm_error,
        created_at=created_at,
    )
    return _rows.release_note(row)


@transaction.atomic
def _insert_release_note(**fields: Any) -> models.ReleaseNote:
    return models.ReleaseNote.objects.create(**fields)


async def record_release_note_posted(
    *, release_note_id: int, channel: str, ts: str
) -> records.ReleaseNote:
    """Remember where the notes were posted, so that posting the same range again is noticed.

    Raises: ReleaseNoteNotFound.
    """
    updated = await models.ReleaseNote.objects.filter(pk=release_note_id).aupdate(
        posted_channel=channel, posted_ts=ts
    )
    if not updated:
        raise queries.ReleaseNoteNotFound(release_note_id)
    row = await models.ReleaseNote.objects.aget(pk=release_note_id)
    return _rows.release_note(row)
