"""The benchmark's machinery, not its figures: how it reads what the bot showed in Slack, how it
counts answers, its sequential variant, and its summary."""

import asyncio
import datetime as dt
import json
import time
from typing import Any

import httpx
import pytest
from pydantic_ai.messages import ModelMessage, ModelResponse, ToolCallPart
from pydantic_ai.models.function import AgentInfo, FunctionModel

from agents import classifier
from application import respond_to_user as use_case
from bench import report, senders, sequential, steps
from bench.bot import (
    JOB_WORKERS,
    Replies,
    Tally,
    count_answers,
    running_bot,
    stored_questions,
    tally,
    thread_of,
)
from bench.edge import Latencies, fake_edge
from domain import records
from fakes import slack_payloads as payloads
from fakes.chat import FakeChat
from fakes.polling import PATIENCE_S
from fakes.search import FixedSearch, hit
from fakes.servers import database_url_shared_with_tests
from slack import rendering

STEP_DELAY_S = 0.05
# Quick enough for a test, slow enough that steps awaited in turn take visibly longer.
QUICK_EDGE = Latencies(
    slack_s=0.05,
    classify_s=0.1,
    search_call_s=0.05,
    answer_first_piece_s=0.05,
    answer_stream_s=0.05,
)


def test_each_question_counts_once_as_answered_or_lost_and_twice_answered_ones_as_duplicates():
    threads = ["answered", "answered-twice", "stored-twice", "replied-not-stored", "failed", "none"]
    replies = {"answered": 1, "answered-twice": 2, "stored-twice": 1, "replied-not-stored": 1}
    stored = {
        "answered": ["answered"],
        "answered-twice": ["answered"],
        "stored-twice": ["answered", "answered"],
        "failed": ["failed"],
    }

    counted = tally(threads, replies=replies, stored=stored)

    assert counted == Tally(sent=6, answered=3, lost=3, duplicates=2)


async def test_a_short_run_counts_answers_and_losses_from_slack_and_the_database(
    indexed_docs: None,
) -> None:
    async with fake_edge() as edge:
        replies = Replies(edge)
        async with running_bot(
            edge, database_url_shared_with_tests(), settings={"SLACK_ALLOWED_CHANNELS": "C0001"}
        ) as bot:
            first, second = await bot.ask(), await bot.ask()
            body = bot.mention()
            original = await bot.ask(body)
            retry = await bot.ask(body, retry=1)
            not_allowed = await bot.ask(
                payloads.event_callback(payloads.app_mention("hello?", channel="C0002"))
            )
            threads = [first.thread, second.thread, original.thread]
            assert await replies.wait(threads, timeout_s=PATIENCE_S)
        counted = await count_answers(replies, [*threads, not_allowed.thread])

    assert [sent.status for sent in (first, second, original, retry, not_allowed)] == [200] * 5
    assert retry.thread == original.thread
    assert counted == Tally(sent=4, answered=3, lost=1, duplicates=0)
    assert all(replies.finished_at[thread] > first.sent_at for thread in threads)


async def test_the_sequential_variant_runs_the_steps_one_after_another(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def slow_classification(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        await asyncio.sleep(STEP_DELAY_S)
        return ModelResponse(
            parts=[ToolCallPart(info.output_tools[0].name, {"category": "how-to"})]
        )

    monkeypatch.setattr("domain.search.search_passages", FixedSearch([hit(11)]))
    monkeypatch.setattr(use_case, "_fan_out", sequential.one_after_another)
    question = use_case.IncomingQuestion(
        text="How do I rotate the password?", source=records.QuestionSource.CONSOLE
    )

    with classifier.classifier.override(model=FunctionModel(slow_classification)):
        answered = await use_case.respond_to_user(
            question=question,
            chat=FakeChat(status_delay_s=STEP_DELAY_S),
            now=dt.datetime(2026, 3, 2, tzinfo=dt.UTC),
        )

    timings = answered.timings_ms
    assert answered.status is records.QuestionStatus.ANSWERED
    assert timings["total"] >= sum(timings[step] for step in ("status", "classify", "answer"))
    assert timings["classify"] >= STEP_DELAY_S * 1000


async def test_the_load_generator_reads_each_response_whatever_its_framing() -> None:
    reader = asyncio.StreamReader()
    reader.feed_data(
        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
        b"HTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nnot\r\n0\r\n\r\n"
        b"HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"
    )
    reader.feed_eof()

    read = [await senders.response(reader) for _ in range(3)]

    assert read == [(200, True), (404, True), (503, False)]
    assert reader.at_eof()


async def test_the_load_generator_sends_signed_events_that_the_service_acknowledges_and_answers(
    indexed_docs: None,
) -> None:
    async with fake_edge() as edge:
        replies = Replies(edge)
        async with running_bot(edge, database_url_shared_with_tests()) as bot:
            bodies = [[bot.mention(), bot.mention()] for _ in range(2)]
            before = time.perf_counter()
            sending = await senders.send(
                bot.port, [[senders.request(body, bot.headers(body)) for body in b] for b in bodies]
            )
            after = time.perf_counter()
            threads = [thread_of(body) for batch in bodies for body in batch]
            assert await replies.wait(threads, timeout_s=PATIENCE_S)
        counted = await count_answers(replies, threads)

    assert [[ack.status for ack in acks] for acks in sending.acks] == [[200, 200], [200, 200]]
    assert all(ack.ms > 0 for acks in sending.acks for ack in acks)
    # Sent on the benchmark's clock, so they compare with the fake Slack's times.
    assert all(before < ack.sent_at < after for acks in sending.acks for ack in acks)
    assert sending.elapsed_s > 0
    assert counted == Tally(sent=4, answered=4, lost=0, duplicates=0)


async def test_the_load_generator_measures_its_floor_against_a_server_that_does_nothing() -> None:
    floor_ms = await senders.measure_floor()

    assert len(floor_ms) == senders.FLOOR_SENDERS * senders.FLOOR_REQUESTS
    assert all(ms > 0 for ms in floor_ms)


async def test_replies_read_the_status_the_messages_each_thread_shows_and_when_its_reply_finished():
    async with fake_edge() as edge, httpx.AsyncClient(base_url=edge.slack.api_url) as slack:
        replies = Replies(edge)

        async def call(method: str, **arguments: str) -> dict[str, Any]:
            response = await slack.post(method, data=arguments)
            return dict(response.json())

        await call("assistant.threads.setStatus", channel_id="C1", thread_ts="1.1", status="…")
        placeholder = await call("chat.postMessage", channel="C1", thread_ts="1.1", text="…")
        streamed = await call("chat.startStream", channel="C1", thread_ts="1.1")
        await call("chat.delete", channel="C1", ts=placeholder["ts"])
        await call("chat.stopStream", channel="C1", ts=streamed["ts"])
        # A reply begun by a job that died, finished by the job run again.
        begun = await call("chat.startStream", channel="C1", thread_ts="2.2")
        await call(
            "chat.update",
            channel="C1",
            ts=begun["ts"],
            text="the whole answer",
            blocks=json.dumps(rendering.feedback_blocks(question_id=7)),
        )
        # Two replies in one thread, neither finished.
        await call("chat.startStream", channel="C1", thread_ts="3.3")
        await call("chat.startStream", channel="C1", thread_ts="3.3")
        replies.catch_up()

    assert replies.visible == {"1.1": 1, "2.2": 1, "3.3": 2}
    assert set(replies.finished_at) == {"1.1", "2.2"}
    assert set(replies.status_at) == {"1.1"}
    assert replies.status_at["1.1"] < replies.finished_at["1.1"]


async def test_the_sequential_variant_answers_only_the_questions_of_its_own_channel(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def slow_classification(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        await asyncio.sleep(STEP_DELAY_S)
        return ModelResponse(
            parts=[ToolCallPart(info.output_tools[0].name, {"category": "how-to"})]
        )

    monkeypatch.setattr("domain.search.search_passages", FixedSearch([hit(11)]))
    monkeypatch.setattr(use_case, "_fan_out", use_case._fan_out)  # put back after the test
    sequential.put_in_place()

    async def timings_in(channel: str) -> dict[str, float]:
        origin = records.SlackOrigin(team_id="T1", channel_id=channel, user_id="U1")
        question = use_case.IncomingQuestion(
            text="How do I rotate the password?", source=records.QuestionSource.SLACK, slack=origin
        )
        answered = await use_case.respond_to_user(
            question=question,
            chat=FakeChat(status_delay_s=STEP_DELAY_S),
            now=dt.datetime(2026, 3, 2, tzinfo=dt.UTC),
        )
        assert answered.status is records.QuestionStatus.ANSWERED
        return dict(answered.timings_ms)

    with classifier.classifier.override(model=FunctionModel(slow_classification)):
        in_turn = await timings_in(sequential.SEQUENTIAL_CHANNEL)
        at_once = await timings_in("C0001")

    steps = ("status", "classify", "answer")
    assert in_turn["total"] >= sum(in_turn[step] for step in steps)
    assert at_once["total"] < sum(at_once[step] for step in steps)


async def test_the_served_variant_answers_its_channel_where_the_jobs_run(
    indexed_docs: None,
) -> None:
    async with fake_edge() as edge:
        edge.set_latencies(QUICK_EDGE)
        replies = Replies(edge)
        async with running_bot(edge, database_url_shared_with_tests(), sequential=True) as bot:
            at_once = await bot.ask()
            in_turn = await bot.ask(bot.mention(channel=sequential.SEQUENTIAL_CHANNEL))
            assert await replies.wait([at_once.thread, in_turn.thread], timeout_s=PATIENCE_S)
            job_workers = len(bot.service.job_workers)
        stored = await stored_questions([at_once.thread, in_turn.thread])

    steps = ("status", "classify", "answer")
    in_turn_timings = stored[in_turn.thread][0]["timings"]
    at_once_timings = stored[at_once.thread][0]["timings"]
    assert in_turn_timings["total"] >= sum(in_turn_timings[step] for step in steps)
    assert at_once_timings["total"] < sum(at_once_timings[step] for step in steps)
    # On PostgreSQL the answers are written by job workers with the variant in place.
    on_postgresql = database_url_shared_with_tests().startswith("postgres")
    assert job_workers == (JOB_WORKERS if on_postgresql else 0)


def test_the_summary_reads_each_figure_where_its_part_put_it_and_none_where_it_did_not_run():
    level = {
        "status_ms": {"p50": 20.0, "p99": 900.0},
        "answer_ms": {"p50": 2200.0},
        "answer_less_model_ms": {"p50": 60.0},
        "answers_per_min": 1100,
        "acks_later_than_slack_waits": 0,
        "server_cpu_ms_per_question": 80.0,
    }
    killed = {"questions": 50, "answered_once": 49, "jobs_run_again": 25}
    postgresql = {
        "people": {"levels": {"1": level, "10": level, "100": level}},
        "scale_out": {
            "twice_delivered": {"answers": {"lost": 0, "duplicates": 1}},
            "killed_worker": killed,
        },
    }
    summary = report.summary(
        {
            "postgresql": postgresql,
            "sqlite": {"scale_out": {"twice_delivered": {"answers": {"lost": 2, "duplicates": 0}}}},
        }
    )
    without_a_kill = report.summary(
        {"postgresql": {"scale_out": {"killed_worker": {**killed, "jobs_run_again": 0}}}}
    )

    assert summary["status_p99_ms_c100"] == {"sqlite": None, "postgresql": 900.0}
    assert summary["answer_p50_ms_c10"]["postgresql"] == 2200.0
    assert summary["overhead_p50_ms_c1"]["postgresql"] == 60.0
    assert summary["retries_lost"] == {"sqlite": 2, "postgresql": 0}
    assert summary["retries_doubled"] == {"sqlite": 0, "postgresql": 1}
    assert summary["killed_worker_answered_once"] == {"sqlite": None, "postgresql": False}
    assert summary["inflight_peak_rss_mb"] == {"sqlite": None, "postgresql": None}
    # A kill that hit none of the questions tested nothing.
    assert without_a_kill["killed_worker_answered_once"]["postgresql"] is None


async def test_each_step_is_measured_alone_in_a_process_of_its_own_and_the_use_case_whole(
    indexed_docs: None,
) -> None:
    async with fake_edge() as edge:
        figures = await steps.measure(edge, database_url_shared_with_tests(), scale=0.1)

    assert figures["questions"] == 3
    assert list(figures["cpu_ms"]) == [
        "status",
        "store",
        "classify",
        "search",
        "answer",
        "reply",
        "record_answer",
    ]
    assert all(cpu_ms > 0 for cpu_ms in figures["cpu_ms"].values())
    assert figures["whole_ms"] > 0
    # Each step ran against the fakes: the status, the streamed replies, the model's requests.
    assert len(edge.slack.calls_to("assistant.threads.setStatus")) >= 4
    assert len(edge.slack.calls_to("chat.startStream")) >= 4
