"""Reads: each returns frozen dataclasses from `domain.records` and is named for what it returns."""

from django.db.models import QuerySet

from data import models
from domain import _rows, records
from domain._connections import gives_back_connection


class QuestionNotFound(Exception):
    """No question has the given id."""

    def __init__(self, question_id: int) -> None:
        super().__init__(f"No question with id {question_id}")
        self.question_id = question_id


class ReleaseNoteNotFound(Exception):
    """No release notes have the given id."""

    def __init__(self, release_note_id: int) -> None:
        super().__init__(f"No release notes with id {release_note_id}")
        self.release_note_id = release_note_id


@gives_back_connection
async def get_question(*, question_id: int) -> records.Question:
    """Return the stored question.

    Raises: QuestionNotFound.
    """
    try:
        row = await models.Question.objects.aget(pk=question_id)
    except models.Question.DoesNotExist:
        raise QuestionNotFound(question_id) from None
    return _rows.question(row)


@gives_back_connection
async def find_question(*, event_id: str) -> records.Question | None:
    """The question stored for what asked it in Slack (an event, a command), if one was."""
    row = await models.Question.objects.filter(event_id=event_id).afirst()
    return _rows.question(row) if row is not None else None


@gives_back_connection
async def list_channel_settings() -> list[records.ChannelSettings]:
    """Return every channel's settings, and the default's where it is set (in one query)."""
    return [_rows.channel_settings(row) async for row in models.ChannelSettings.objects.all()]


@gives_back_connection
async def find_event(*, event_id: str) -> records.InboundEvent | None:
    """Return the event recorded in the inbox under this id, if any."""
    row = await _with_their_questions(
        models.InboundEvent.objects.filter(event_id=event_id)
    ).afirst()
    return None if row is None else _rows.inbound_event(row)


@gives_back_connection
async def list_recorded_replies(*, reply_ts: list[str]) -> set[str]:
    """Return those of these Slack messages that are recorded as the reply to some event."""
    rows = models.InboundEvent.objects.filter(reply_ts__in=reply_ts).values_list(
        "reply_ts", flat=True
    )
    return {ts async for ts in rows}


@gives_back_connection
async def list_unfinished_events(*, event_types: tuple[str, ...]) -> list[records.InboundEvent]:
    """Return the events of these types the bot has not finished with, oldest first."""
    rows = _with_their_questions(
        models.InboundEvent.objects.filter(event_type__in=event_types, done_at__isnull=True)
    ).order_by("received_at", "id")
    return [_rows.inbound_event(row) async for row in rows]


def _with_their_questions(
    events: QuerySet[models.InboundEvent],
) -> QuerySet[models.InboundEvent]:
    """Each event with the id of its question, if one was stored: the question with its id."""
    return events.annotate(question_id=models.field_of_its_question("pk"))


@gives_back_connection
async def list_feedback(*, question_id: int) -> list[records.Feedback]:
    """Return the feedback on a question, oldest first."""
    rows = models.Feedback.objects.filter(question_id=question_id).order_by("created_at", "pk")
    return [_rows.feedback(row) async for row in rows]


@gives_back_connection
async def list_documents(*, collection: str) -> list[records.Document]:
    """Return the documents indexed in a collection, by path."""
    rows = models.Document.objects.filter(collection=collection).order_by("path")
    return [_rows.document(row) async for row in rows]


class SourceNotFound(Exception):
    """No source has the given name."""

    def __init__(self, name: str) -> None:
        super().__init__(f"No source named {name!r}")
        self.name = name


@gives_back_connection
async def get_source(*, name: str) -> records.Source:
    """Return the source of this name.

    Raises: SourceNotFound.
    """
    row = await models.Source.objects.filter(name=name).afirst()
    if row is None:
        raise SourceNotFound(name)
    return _rows.source(row)


@gives_back_connection
async def find_source(*, source_id: int) -> records.Source | None:
    """Return the source with this id, if any."""
    row = await models.Source.objects.filter(pk=source_id).afirst()
    return None if row is None else _rows.source(row)


@gives_back_connection
async def list_sources() -> list[records.Source]:
    """Return every source, by name."""
    return [_rows.source(row) async for row in models.Source.objects.order_by("name")]


def document_limits() -> records.DocumentLimits:
    """Return the lengths a document's collection name, path and link may have, as stored."""
    return records.DocumentLimits(
        collection=models.DOCUMENT_COLLECTION_LENGTH,
        path=models.DOCUMENT_PATH_LENGTH,
        url=models.DOCUMENT_URL_LENGTH,
    )


@gives_back_connection
async def list_thread_exchanges(
    *, team_id: str, channel_id: str, thread_ts: str, limit: int
) -> list[records.Question]:
    """Return the latest answered questions of a Slack thread, oldest first."""
    rows = models.Question.objects.filter(
        team_id=team_id,
        channel_id=channel_id,
        thread_ts=thread_ts,
        status=models.QuestionStatus.ANSWERED,
    ).order_by("-created_at", "-id")[:limit]
    exchanges = [_rows.question(row) async for row in rows]
    return exchanges[::-1]


async def find_posted_release_note(
    *, from_sha: str, to_sha: str, channel: str
) -> records.ReleaseNote | None:
    """Return the latest release notes of this exact range already posted to the channel, if any,
    so that the same notes are not posted twice by mistake. The range is its commits, wherever the
    repository was checked out: a cron job may clone it into a new folder each time."""
    row = await (
        models.ReleaseNote.objects.filter(from_sha=from_sha, to_sha=to_sha, posted_channel=channel)
        .exclude(posted_ts="")
        .order_by("-created_at", "-pk")
        .afirst()
    )
    return None if row is None else _rows.release_note(row)
