"""The benchmark's machinery, not its figures: how it counts answers, and its sequential variant."""

import asyncio
import datetime as dt
import time

import pytest
from pydantic_ai.messages import ModelMessage, ModelResponse, ToolCallPart
from pydantic_ai.models.function import AgentInfo, FunctionModel

from agents import classifier
from application import respond_to_user as use_case
from bench import senders, sequential
from bench.bot import Replies, Tally, count_answers, running_bot, tally, thread_of
from bench.edge import fake_edge
from domain import records
from tests import slack_payloads as payloads
from tests.agents_support import FixedSearch, hit
from tests.fake_chat import FakeChat
from tests.polling import PATIENCE_S
from tests.servers import database_url_shared_with_tests

STEP_DELAY_S = 0.05


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
