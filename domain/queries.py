"""Reads: each returns frozen dataclasses from `domain.records` and is named for what it returns."""

from data import models
from domain import _rows, records
from domain._connections import gives_back_connection


class QuestionNotFound(Exception):
    """No question has the given id."""

    def __init__(self, question_id: int) -> None:
        super().__init__(f"No question with id {question_id}")
        self.question_id = question_id


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
async def list_feedback(*, question_id: int) -> list[records.Feedback]:
    """Return the feedback on a question, oldest first."""
    rows = models.Feedback.objects.filter(question_id=question_id).order_by("created_at", "pk")
    return [_rows.feedback(row) async for row in rows]


@gives_back_connection
async def list_documents(*, collection: str) -> list[records.Document]:
    """Return the documents indexed in a collection, by path."""
    rows = models.Document.objects.filter(collection=collection).order_by("path")
    return [_rows.document(row) async for row in rows]


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
