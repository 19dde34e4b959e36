"""The JSON log format: one object a line, each carrying the event and question it is about."""

import asyncio
import contextvars
import json
import logging
import sys

import httpx
import pytest
from django.db import OperationalError
from procrastinate.jobs import Job

from application import log_context
from data import models
from domain import queries
from fakes import slack_payloads as payloads
from fakes.polling import PATIENCE_S
from fakes.servers import bot_environment, served
from fakes.slack import FakeSlack
from kraken_bot import tasks
from kraken_bot.logs import JsonFormatter
from tests.job_fixtures import all_jobs_done, periodic_run


def _record(message: str, *, exc_info: bool = False) -> logging.LogRecord:
    return logging.LogRecord(
        "kraken", logging.WARNING, __file__, 1, message, (), sys.exc_info() if exc_info else None
    )


def test_a_json_line_carries_the_ids_of_its_context_and_its_exception() -> None:
    event_token = log_context.event_id.set("Ev0001")
    question_token = log_context.question_id.set(42)
    try:
        try:
            raise ValueError("boom")
        except ValueError:
            line = JsonFormatter().format(_record("Unable to answer «ça»", exc_info=True))
    finally:
        log_context.event_id.reset(event_token)
        log_context.question_id.reset(question_token)

    parsed = json.loads(line)
    assert "\n" not in line
    assert (parsed["event_id"], parsed["question_id"]) == ("Ev0001", 42)
    assert (parsed["level"], parsed["logger"]) == ("WARNING", "kraken")
    assert parsed["message"] == "Unable to answer «ça»"
    assert "ValueError: boom" in parsed["exception"]


def test_a_text_line_escapes_the_control_characters_that_would_forge_another_line() -> None:
    [console] = [handler for handler in logging.getLogger().handlers if handler.name == "console"]
    message = "Slack event Ev1\r\n2026-01-01 00:00:00 INFO kraken admin logged in\u2028\x1b[2J"

    line = console.format(_record(message))

    assert line.endswith(
        "WARNING kraken Slack event Ev1\\r\\n2026-01-01 00:00:00 INFO kraken admin logged in"
        "\\u2028\\x1b[2J"
    )


def test_a_json_line_outside_any_question_has_no_ids() -> None:
    outside = contextvars.Context()

    parsed = json.loads(outside.run(JsonFormatter().format, _record("started")))

    assert "event_id" not in parsed
    assert "question_id" not in parsed


@pytest.mark.served
async def test_the_service_logs_json_lines_that_follow_one_question(
    slack: FakeSlack, indexed_docs: None
) -> None:
    environment = bot_environment(
        slack_api_url=slack.api_url,
        LOG_FORMAT="json",
    )
    body = payloads.event_callback(payloads.app_mention("how do I rotate the database password?"))
    event_id = json.loads(body)["event_id"]

    async with (
        served("--no-migrate", environment=environment) as service,
        httpx.AsyncClient(base_url=service.url, headers={"X-Forwarded-Proto": "https"}) as client,
    ):
        await client.post(
            "/slack/events",
            content=body,
            headers=payloads.event_headers(body),
        )
        async with asyncio.timeout(PATIENCE_S):
            await slack.wait_for("chat.stopStream")
        assert await service.stop()

    not_json = [line for line in service.whole_log if not line.startswith("{")]
    assert not not_json
    lines = [json.loads(line) for line in service.whole_log]
    question = await models.Question.objects.aget(event_id=event_id)
    followed = [line for line in lines if line.get("event_id") == event_id]
    assert any(line["message"] == f"Slack event {event_id} recorded (mention)" for line in followed)
    answered = [line for line in followed if line.get("question_id") == question.pk]
    assert any(
        line["message"].startswith(f"Question {question.pk} answered in ") for line in answered
    )
    assert any("Uvicorn running on" in line["message"] for line in lines)


@pytest.mark.served
async def test_uvicorn_logs_a_line_for_each_request_only_when_log_level_lets_info_through(
    slack: FakeSlack,
) -> None:
    logged: dict[str, list[str]] = {}
    for level in ("INFO", "WARNING"):
        environment = bot_environment(slack_api_url=slack.api_url, LOG_LEVEL=level)
        async with (
            served("--no-migrate", environment=environment) as service,
            httpx.AsyncClient(base_url=service.url) as client,
        ):
            assert (await client.get("/healthz")).status_code == 200
            assert await service.stop()
        logged[level] = service.log

    def requests_logged(lines: list[str]) -> list[str]:
        return [line for line in lines if '"GET /healthz HTTP/1.1" 200' in line]

    assert requests_logged(logged["INFO"])
    assert not requests_logged(logged["WARNING"])
    # Where it listens is always said: the start of the service is not a request.
    assert any("Uvicorn running on" in line for line in logged["WARNING"])


async def test_the_frequent_periodic_jobs_log_neither_their_start_nor_their_success(
    jobs_run: None, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)

    await periodic_run(tasks.sync_due_sources)
    await periodic_run(tasks.embed_new_passages)
    await all_jobs_done()

    assert "sync_due_sources" not in caplog.text
    assert "retry_stalled_jobs" not in caplog.text
    # A job that runs every ten minutes is still logged, start and end.
    assert "Starting job embed_new_passages" in caplog.text
    assert "ended with status: Success" in caplog.text


async def test_a_frequent_periodic_job_that_fails_is_logged(
    jobs_run: None, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def unreadable() -> None:
        raise OperationalError("the database went away")

    monkeypatch.setattr(queries, "list_sources", unreadable)

    await periodic_run(tasks.sync_due_sources)
    await all_jobs_done()

    # A worker defers the periodic jobs due when it starts: this one may fail more than once.
    logged = [record for record in caplog.records if "sync_due_sources" in record.getMessage()]
    assert logged
    assert all(record.levelno == logging.ERROR for record in logged)
    assert all("ended with status: Error" in record.getMessage() for record in logged)


@pytest.mark.parametrize(
    ("logger", "line"),
    [
        pytest.param("procrastinate.worker.worker", "Starting job {call}", id="start"),
        pytest.param("procrastinate.worker", "Job {call} ended with status: Error", id="end"),
    ],
)
def test_no_log_line_shows_a_kraken_question_or_a_response_url(
    caplog: pytest.LogCaptureFixture, logger: str, line: str
) -> None:
    """A job's start and end as procrastinate's worker logs them: its call, and the job."""
    job = Job(
        id=7,
        queue="default",
        lock=None,
        queueing_lock=None,
        task_name="answer_slack_command",
        task_kwargs={
            "text": "am I on the layoff list? it's 'urgent'",
            "origin": {"channel_id": "C0001"},
            "response_url": "https://hooks.slack.com/commands/T1/123/secret",
        },
    )
    caplog.set_level(logging.INFO)

    logging.getLogger(logger).info(
        line.format(call=job.call_string), extra={"action": "x", "job": job.log_context()}
    )

    [record] = caplog.records
    assert (
        "answer_slack_command[7](text='…', origin={'channel_id': 'C0001'}, response_url='…')"
        in (record.getMessage())
    )
    assert "layoff" not in repr(record.__dict__)
    assert "secret" not in repr(record.__dict__)
