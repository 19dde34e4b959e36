"""The "Export as CSV" action: the selected questions as a CSV file, streamed.

The rows are read from the database in chunks and written out as they come (an async iterator, so
that under ASGI Django streams it instead of collecting it first): 100,000 questions never sit in
memory at once.
"""

import csv
from collections.abc import AsyncIterator
from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest, StreamingHttpResponse

from data import models

CHUNK_SIZE = 2_000
COLUMNS = (
    ("id", "id"),
    ("created_at", "created at"),
    ("source", "source"),
    ("team_id", "team"),
    ("channel_id", "channel"),
    ("user_id", "user"),
    ("text", "question"),
    ("category", "category"),
    ("status", "status"),
    ("answer", "answer"),
    ("sources", "sources"),
    ("model_name", "model"),
    ("input_tokens", "input tokens"),
    ("output_tokens", "output tokens"),
    ("cost", "cost"),
    ("total_ms", "total ms"),
    ("thumbs_up", "thumbs up"),
    ("thumbs_down", "thumbs down"),
    ("error", "error"),
)
# A cell starting with one of these is a formula to a spreadsheet; questions come from anyone.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@admin.action(description="Export as CSV", permissions=["view"])
def export_as_csv(
    modeladmin: admin.ModelAdmin[models.Question],
    request: HttpRequest,
    queryset: QuerySet[models.Question],
) -> StreamingHttpResponse:
    rows = queryset.order_by("-created_at", "-id").values(*(name for name, _ in COLUMNS))
    response = StreamingHttpResponse(_csv(rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="questions.csv"'
    return response


class _Line:
    """A file for `csv.writer` that hands back each line instead of keeping it."""

    def write(self, line: str) -> str:
        return line


async def _csv(rows: QuerySet[Any, dict[str, Any]]) -> AsyncIterator[str]:
    """The header, then the rows a chunk at a time. (Rows are read as dicts: Django's
    `values_list().aiterator()` runs its query in the event loop's thread.)"""
    writer = csv.writer(_Line())
    yield writer.writerow([title for _, title in COLUMNS])
    chunk: list[str] = []
    async for row in rows.aiterator(chunk_size=CHUNK_SIZE):
        chunk.append(writer.writerow(_cells(row)))
        if len(chunk) == CHUNK_SIZE:
            yield "".join(chunk)
            chunk = []
    yield "".join(chunk)


def _cells(row: dict[str, Any]) -> list[Any]:
    return [_cell(row[name]) for name, _ in COLUMNS]


def _cell(value: Any) -> Any:
    if isinstance(value, list):
        value = " ".join(str(source.get("url") or source.get("title", "")) for source in value)
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return f"'{value}"
    return value
