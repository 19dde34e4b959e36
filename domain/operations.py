"""Writes: each is named for what it does and takes and returns dataclasses from `domain.records`.

Writes that must happen together run in one synchronous `transaction.atomic` function called
through `sync_to_async`, because Django's transactions are not async.
"""

import datetime as dt
import hashlib
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import asdict
from typing import Any

from asgiref.sync import sync_to_async
from django.db import IntegrityError, transaction
from django.db.models import QuerySet

from data import models
from domain import _rows, passages, queries, records, search_index
from domain._connections import gives_back_connection


class EventAlreadyRecorded(Exception):
    """A delivery of this Slack event, or another event about the same message, was recorded
    before, by this process or another."""

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


class FeedbackNotFound(Exception):
    """The person gave no verdict on the question: there is nothing to comment on."""

    def __init__(self, *, question_id: int, user_id: str) -> None:
        super().__init__(f"{user_id} gave no verdict on question {question_id}")
        self.question_id = question_id
        self.user_id = user_id


@gives_back_connection
async def record_event(
    *,
    event_id: str,
    team_id: str,
    event_type: str,
    payload: Mapping[str, Any],
    received_at: dt.datetime,
    message_key: str | None = None,
    then: Callable[[], object] = lambda: None,
    in_one_transaction: bool = True,
) -> records.InboundEvent:
    """Record a Slack event in the inbox, once per event id and once per message, then call
    `then` (the caller defers the event's job there) on the same thread, so that nothing, not even
    the request being cancelled, comes between the two.

    `in_one_transaction` (where jobs are kept in the database): both happen, or neither does.
    Otherwise the row is written by one statement, a transaction of its own. On SQLite a
    transaction of several holds the file's write lock while its thread waits for the interpreter,
    and the other writers, which poll for the lock less often the longer they wait, fall far
    behind: under a burst of events, their acknowledgements with them.

    Raises: EventAlreadyRecorded.
    """
    row = models.InboundEvent(
        event_id=event_id,
        message_key=message_key,
        team_id=team_id,
        event_type=event_type,
        payload=dict(payload),
        received_at=received_at,
    )
    insert = _insert_event_in_one_transaction if in_one_transaction else _insert_event
    try:
        await sync_to_async(insert)(row, then=then)
    except IntegrityError:
        raise EventAlreadyRecorded(event_id) from None
    return _rows.inbound_event(row)


def _insert_event(row: models.InboundEvent, *, then: Callable[[], object]) -> None:
    row.save(force_insert=True)
    then()


_insert_event_in_one_transaction = transaction.atomic(_insert_event)


@gives_back_connection
async def record_reply_shown(*, event_id: str, reply_ts: str) -> None:
    """Remember the Slack message an event's answer is being shown in, as soon as it appears, so
    that a job answering the event again (its worker died before storing the answer) replaces
    that message instead of leaving the person a second reply."""
    await models.InboundEvent.objects.filter(event_id=event_id).aupdate(reply_ts=reply_ts)


@gives_back_connection
async def record_event_done(*, event_id: str, done_at: dt.datetime) -> None:
    """Mark an event finished with, whatever the bot did with it (an answer, a one-line hint, a
    note), so that a job run again for it does nothing."""
    await models.InboundEvent.objects.filter(event_id=event_id).aupdate(done_at=done_at)


@gives_back_connection
async def record_question(
    *,
    text: str,
    source: records.QuestionSource,
    received_at: dt.datetime,
    slack: records.SlackOrigin | None = None,
    settings: records.ChannelSettings | None = None,
) -> records.Question:
    """Store a new question, with the channel settings it is answered with. A question from a
    Slack event keeps the event's id, which is how the inbox finds it, so one statement stores it.

    Raises: QuestionAlreadyRecorded.
    """
    try:
        row = await models.Question.objects.acreate(
            text=text,
            source=source,
            status=models.Question.Status.RECEIVED,
            created_at=received_at,
            **(asdict(slack) if slack else {}),
            **_applied(settings or records.ChannelSettings()),
        )
    except IntegrityError:
        if slack is None or slack.event_id is None:
            raise
        raise QuestionAlreadyRecorded(slack.event_id) from None
    return _rows.question(row)


@gives_back_connection
async def record_answer(
    *, question_id: int, answer: records.Answer, answered_at: dt.datetime
) -> records.Question:
    """Store the answer, its sources, usage and timings, and mark the question answered; an
    answer by the fallback keeps the model's error.

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
        total_ms=answer.timings_ms.get("total"),
        reply_ts=answer.reply_ts,
        error=answer.model_error,
        answered_by_fallback=bool(answer.model_error),
        answered_at=answered_at,
    )
    if not updated:
        raise queries.QuestionNotFound(question_id)
    return await queries.get_question(question_id=question_id)


@gives_back_connection
async def record_failure(
    *, question_id: int, error: str, timings_ms: Mapping[str, float] | None = None
) -> records.Question:
    """Mark the question failed with what went wrong, keeping whatever else was stored.

    Raises: QuestionNotFound.
    """
    changes: dict[str, Any] = {"status": models.Question.Status.FAILED, "error": error}
    if timings_ms is not None:
        changes["timings"] = dict(timings_ms)
        changes["total_ms"] = timings_ms.get("total")
    updated = await models.Question.objects.filter(pk=question_id).aupdate(**changes)
    if not updated:
        raise queries.QuestionNotFound(question_id)
    return await queries.get_question(question_id=question_id)


@gives_back_connection
async def record_feedback(
    *, question_id: int, user_id: str, channel_id: str, score: int, now: dt.datetime
) -> records.Feedback:
    """Store one person's 👍 (+1) or 👎 (-1) on an answer, given in the channel the question was
    asked in; a second verdict replaces the first, and its comment.

    Raises: InvalidFeedback; QuestionNotFound, also when the question was asked elsewhere.
    """
    if score not in models.Feedback.Score.values:
        raise InvalidFeedback(f"Feedback score must be +1 or -1, not {score!r}")
    asked_there = models.Question.objects.filter(pk=question_id, channel_id=channel_id)
    if not await asked_there.aexists():
        raise queries.QuestionNotFound(question_id)
    try:
        row, _ = await models.Feedback.objects.aupdate_or_create(
            question_id=question_id,
            user_id=user_id,
            defaults={"score": score, "comment": "", "updated_at": now},
            create_defaults={
                "score": score,
                "comment": "",
                "created_at": now,
                "updated_at": now,
            },
        )
    except IntegrityError:
        if not await models.Question.objects.filter(pk=question_id).aexists():
            raise queries.QuestionNotFound(question_id) from None
        raise
    return _rows.feedback(row)


@gives_back_connection
async def record_feedback_comment(
    *, question_id: int, user_id: str, comment: str, now: dt.datetime
) -> records.Feedback:
    """Add what a person said was wrong to their verdict on a question.

    Raises: FeedbackNotFound.
    """
    verdict = models.Feedback.objects.filter(question_id=question_id, user_id=user_id)
    if not await verdict.aupdate(comment=comment, updated_at=now):
        raise FeedbackNotFound(question_id=question_id, user_id=user_id)
    return _rows.feedback(await verdict.aget())


@gives_back_connection
async def store_document(
    *,
    collection: str,
    path: str,
    url: str,
    checksum: str,
    outline: passages.Outline,
    now: dt.datetime,
    source_id: int | None = None,
) -> records.Document:
    """Store a document with its passages and make them searchable, replacing any earlier version
    of the same path in the collection, all or nothing: a search never sees half a document.

    Raises: search_index.UnsupportedDatabase.
    """
    row = await sync_to_async(_replace_document)(
        collection=collection,
        path=path,
        url=url,
        checksum=checksum,
        outline=outline,
        now=now,
        source_id=source_id,
    )
    return _rows.document(row)


@transaction.atomic
def _replace_document(
    *,
    collection: str,
    path: str,
    url: str,
    checksum: str,
    outline: passages.Outline,
    now: dt.datetime,
    source_id: int | None,
) -> models.Document:
    title = outline.title[: models.Document._meta.get_field("title").max_length]
    document, _ = models.Document.objects.update_or_create(
        collection=collection,
        path=path,
        defaults={
            "url": url,
            "title": title,
            "checksum": checksum,
            "indexed_at": now,
            "source_id": source_id,
        },
    )
    document.passages.all().delete()
    heading_length = models.Passage._meta.get_field("heading").max_length
    rows = models.Passage.objects.bulk_create(
        models.Passage(
            document=document,
            position=position,
            heading=section.heading[:heading_length],
            anchor=section.anchor if len(section.anchor) <= models.PASSAGE_ANCHOR_LENGTH else "",
            text=section.text,
            checksum=hashlib.sha256(section.text.encode()).hexdigest(),
            indexed_at=now,
        )
        for position, section in enumerate(outline.sections)
    )
    search_index.add_entries(
        entries=[
            search_index.Entry(
                passage_id=row.pk, path=path, title=title, heading=row.heading, text=row.text
            )
            for row in rows
        ]
    )
    return document


@gives_back_connection
async def adopt_documents(*, collection: str, paths: Collection[str], source_id: int) -> None:
    """Mark documents indexed before sources existed as the source's own."""
    await models.Document.objects.filter(
        collection=collection, path__in=list(paths), source__isnull=True
    ).aupdate(source_id=source_id)


@gives_back_connection
async def save_source(
    *,
    name: str,
    kind: records.SourceKind,
    collection: str,
    location: str,
    options: Mapping[str, Any],
    credentials: Mapping[str, str],
    every_minutes: int | None,
) -> records.Source:
    """Create the source of this name, or change it: its state is kept."""
    row, _ = await models.Source.objects.aupdate_or_create(
        name=name,
        defaults={
            "kind": kind,
            "collection": collection,
            "location": location,
            "options": dict(options),
            "credentials": dict(credentials),
            "every_minutes": every_minutes,
        },
    )
    return _rows.source(row)


@gives_back_connection
async def remove_source(*, name: str) -> int:
    """Remove the source and the documents synced from it; return how many documents went.

    Raises: SourceNotFound.
    """
    _, removed = await models.Source.objects.filter(name=name).adelete()
    if not removed.get(models.Source._meta.label):
        raise queries.SourceNotFound(name)
    return removed.get(models.Document._meta.label, 0)


class SyncRunning(Exception):
    """A sync of the source is running already."""


@gives_back_connection
async def record_sync_started(
    *, source_id: int, now: dt.datetime, running_at_most: dt.timedelta
) -> None:
    """Mark the source as syncing, unless a sync of it started less than `running_at_most` ago
    is still running (an older one was stopped by its deadline, or its process died).

    Raises: SyncRunning.
    """
    started = await (
        models.Source.objects.filter(pk=source_id)
        .exclude(outcome=models.SyncOutcome.RUNNING, sync_started_at__gt=now - running_at_most)
        .aupdate(outcome=models.SyncOutcome.RUNNING, sync_started_at=now, progress="Starting")
    )
    if not started:
        raise SyncRunning(f"A sync of source {source_id} is running already")


@gives_back_connection
async def record_sync_progress(*, source_id: int, progress: str) -> None:
    await models.Source.objects.filter(pk=source_id).aupdate(progress=progress[:200])


@gives_back_connection
async def record_sync_ended(
    *,
    source_id: int,
    now: dt.datetime,
    counts: records.SyncCounts | None = None,
    error: str = "",
) -> None:
    """Record how a sync ended: with its counts, or failed with one line saying why (the counts
    of the last sync that completed are kept)."""
    changes: dict[str, Any] = {"sync_finished_at": now, "progress": "", "last_error": error}
    if counts is None:
        changes["outcome"] = models.SyncOutcome.FAILED
    else:
        changes |= {
            "outcome": models.SyncOutcome.DONE,
            "added": counts.added,
            "updated": counts.updated,
            "removed": counts.removed,
            "unchanged": counts.unchanged,
            "skipped": len(counts.skipped),
            "skipped_documents": [
                {"path": path, "reason": reason} for path, reason in counts.skipped[:100]
            ],
        }
    await models.Source.objects.filter(pk=source_id).aupdate(**changes)


@gives_back_connection
async def remove_documents(*, collection: str, paths: Collection[str]) -> int:
    """Remove documents of a collection, with their passages, and return how many were removed."""
    return await _removed(
        models.Document.objects.filter(collection=collection, path__in=list(paths))
    )


@gives_back_connection
async def remove_documents_elsewhere(*, source_id: int, collection: str) -> int:
    """Remove the documents a source gave to collections other than `collection`, with their
    passages (it now feeds that one), and return how many were removed."""
    return await _removed(
        models.Document.objects.filter(source_id=source_id).exclude(collection=collection)
    )


async def _removed(documents: QuerySet[models.Document]) -> int:
    _, removed = await documents.adelete()
    return removed.get(models.Document._meta.label, 0)


@gives_back_connection
async def start_answering(
    *, question_id: int, settings: records.ChannelSettings | None = None
) -> records.Question:
    """Mark a stored question as being answered again (its job ran again, or an owner asked),
    with the channel settings that now apply.

    Raises: QuestionNotFound.
    """
    updated = await models.Question.objects.filter(pk=question_id).aupdate(
        status=models.QuestionStatus.ANSWERING,
        error="",
        **_applied(settings or records.ChannelSettings()),
    )
    if not updated:
        raise queries.QuestionNotFound(question_id)
    return await queries.get_question(question_id=question_id)


def _applied(settings: records.ChannelSettings) -> dict[str, Any]:
    """The columns that say with which channel settings a question is answered."""
    return {
        "settings_channel_id": settings.channel_id,
        "collections": list(settings.collections),
        "answered_privately": settings.private_answers,
    }


class NotTheAsker(Exception):
    """Only the person who asked may show a private answer to everyone."""


class AlreadyShared(Exception):
    """The private answer was already shown to everyone."""


class NotAnsweredYet(Exception):
    """The answer its asker sees is not stored yet: nothing to show to everyone."""


@gives_back_connection
async def claim_sharing(*, question_id: int, user_id: str, now: dt.datetime) -> records.Question:
    """Mark the private answer to a question as shown to everyone, by the person who asked it:
    whoever claims it first shows it, once.

    Raises: QuestionNotFound, NotTheAsker, NotAnsweredYet, AlreadyShared.
    """
    question = await queries.get_question(question_id=question_id)
    if question.slack is None or question.slack.user_id != user_id:
        raise NotTheAsker(f"{user_id} did not ask question {question_id}")
    claimed = await models.Question.objects.filter(
        pk=question_id, shared_at__isnull=True, status=models.QuestionStatus.ANSWERED
    ).aupdate(shared_at=now)
    if not claimed:
        shown = await queries.get_question(question_id=question_id)
        if shown.shared_at is None:
            raise NotAnsweredYet(f"Question {question_id} is not stored answered")
        raise AlreadyShared(f"Question {question_id} was already shared")
    return await queries.get_question(question_id=question_id)


@gives_back_connection
async def release_sharing(*, question_id: int) -> None:
    """Undo a claim whose answer could not be shown, so the asker can try again."""
    await models.Question.objects.filter(pk=question_id).aupdate(shared_at=None)


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


@gives_back_connection
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
