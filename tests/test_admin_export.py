import csv
import io
from collections.abc import AsyncIterator

from django.http import StreamingHttpResponse

from data import models
from kraken_bot.admin import question_export
from tests.admin_support import alogged_in
from tests.factories import AnsweredQuestionFactory, FeedbackFactory, QuestionFactory


async def _export(client, ids, **query) -> StreamingHttpResponse:
    response = await client.post(
        "/admin/data/question/",
        {"action": "export_as_csv", "_selected_action": [str(pk) for pk in ids], **query},
    )
    assert isinstance(response, StreamingHttpResponse)
    return response


async def _chunks(response: StreamingHttpResponse) -> list[bytes]:
    content = response.streaming_content
    assert isinstance(content, AsyncIterator), "the CSV must stream asynchronously under ASGI"
    return [chunk async for chunk in content]


async def _rows(response: StreamingHttpResponse) -> list[dict[str, str]]:
    text = b"".join(await _chunks(response)).decode()
    return list(csv.DictReader(io.StringIO(text)))


async def test_the_export_streams_the_selected_questions_newest_first_with_their_feedback() -> None:
    first = await AnsweredQuestionFactory.acreate(text="How do I rotate the password?")
    second = await QuestionFactory.acreate(
        text="Why is CI red?", status=models.QuestionStatus.FAILED, error="timeout"
    )
    await QuestionFactory.acreate(text="not selected")
    await FeedbackFactory.acreate(question=first, score=models.FeedbackScore.DOWN)
    client = await alogged_in()

    response = await _export(client, [first.pk, second.pk])
    rows = await _rows(response)

    assert response.streaming
    assert response.is_async
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="questions.csv"'
    assert [row["question"] for row in rows] == ["Why is CI red?", "How do I rotate the password?"]
    assert rows[0]["status"] == "failed"
    assert rows[0]["error"] == "timeout"
    assert rows[1]["sources"] == "https://docs.example.com/runbook.md"
    assert (rows[1]["cost"], rows[1]["total ms"]) == ("0.004200", "2150.0")
    assert (rows[1]["thumbs up"], rows[1]["thumbs down"]) == ("0", "1")


async def test_the_export_reads_the_questions_in_chunks_and_writes_each_row_once(
    monkeypatch,
) -> None:
    monkeypatch.setattr(question_export, "CHUNK_SIZE", 3)
    questions = [await QuestionFactory.acreate(text=f"question {n}") for n in range(8)]
    client = await alogged_in()

    response = await _export(client, [question.pk for question in questions])
    chunks = await _chunks(response)

    rows = list(csv.DictReader(io.StringIO(b"".join(chunks).decode())))
    assert len(chunks) == 4  # the header, two full chunks of 3 rows, the last 2 rows
    assert [row["question"] for row in rows] == [f"question {n}" for n in reversed(range(8))]


async def test_exported_cells_that_a_spreadsheet_would_run_as_formulas_are_quoted() -> None:
    question = await QuestionFactory.acreate(text='=HYPERLINK("http://evil.example")')
    client = await alogged_in()

    [row] = await _rows(await _export(client, [question.pk]))

    assert row["question"] == '\'=HYPERLINK("http://evil.example")'
