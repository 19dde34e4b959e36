import asyncio
import datetime as dt
from collections.abc import AsyncIterator
from decimal import Decimal

import pytest
from pydantic_ai.exceptions import ModelHTTPError
from pydantic_ai.messages import ModelMessage, ModelResponse, ToolCallPart
from pydantic_ai.models import override_allow_model_requests
from pydantic_ai.models.function import (
    AgentInfo,
    BuiltinToolCallsReturns,
    DeltaThinkingCalls,
    DeltaToolCall,
    DeltaToolCalls,
    FunctionModel,
)

from agents import classifier, docs_answerer
from application import answer_relay
from application import respond_to_user as use_case
from data import models
from domain import queries, records
from fakes.chat import FakeChat
from fakes.failing_model import failing_model
from fakes.openai import fake_openai_server
from fakes.polling import PATIENCE_S, until
from fakes.search import FixedSearch, hit

NOW = dt.datetime(2026, 3, 2, 10, 30, tzinfo=dt.UTC)
ROTATION = hit(11, title="Database runbook", heading="Passwords", text="Run `vault rotate db`.")
QUESTION = use_case.IncomingQuestion(
    text="How do I rotate the database password?", source=records.QuestionSource.CONSOLE
)


@pytest.fixture
def search(monkeypatch: pytest.MonkeyPatch) -> FixedSearch:
    fixed = FixedSearch([ROTATION])
    monkeypatch.setattr("domain.search.search_passages", fixed)
    return fixed


def _classifier_that_waits(barrier: asyncio.Barrier) -> FunctionModel:
    async def reply(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        await barrier.wait()
        return ModelResponse(
            parts=[ToolCallPart(info.output_tools[0].name, {"category": "how-to"})]
        )

    return FunctionModel(reply, model_name="offline")


async def test_the_answer_is_shown_and_stored_with_sources_usage_and_timings(
    search: FixedSearch,
) -> None:
    chat = FakeChat()

    question = await use_case.respond_to_user(question=QUESTION, chat=chat, now=NOW)

    assert chat.statuses == [use_case.STATUS_TEXT]
    assert [reply.text for reply in chat.replies] == [question.answer]
    assert "vault rotate db" in question.answer
    assert question.status is records.QuestionStatus.ANSWERED
    assert question.source is records.QuestionSource.CONSOLE
    assert question.category == "how-to"
    assert [citation.passage_id for citation in question.citations] == [11]
    assert question.usage.model_name == "offline"
    assert question.usage.cost == Decimal(0)
    assert question.usage.input_tokens
    assert set(question.timings_ms) == {"status", "store", "classify", "answer", "reply", "total"}
    assert question.reply_ts == "1767603600.000001"
    assert await queries.get_question(question_id=question.id) == question


async def test_the_four_steps_run_at_the_same_time(search: FixedSearch) -> None:
    barrier = asyncio.Barrier(3)
    chat = FakeChat(status_barrier=barrier)
    search.wait_for = barrier

    with classifier.classifier.override(model=_classifier_that_waits(barrier)):
        # Steps run one after another would wait here forever.
        async with asyncio.timeout(PATIENCE_S):
            question = await use_case.respond_to_user(question=QUESTION, chat=chat, now=NOW)

    assert question.status is records.QuestionStatus.ANSWERED


async def test_the_reply_is_finished_without_waiting_for_the_classifier(
    search: FixedSearch,
) -> None:
    chat = FakeChat()
    classifier_released = asyncio.Event()

    async def slow_classifier(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        await classifier_released.wait()
        return ModelResponse(
            parts=[ToolCallPart(info.output_tools[0].name, {"category": "how-to"})]
        )

    async def replied() -> bool:
        return bool(chat.replies)

    with classifier.classifier.override(model=FunctionModel(slow_classifier, model_name="slow")):
        answering = asyncio.create_task(
            use_case.respond_to_user(question=QUESTION, chat=chat, now=NOW)
        )
        await until(replied, within_s=PATIENCE_S)
        stored_before_classified = await queries.get_question(
            question_id=chat.replies[0].question_id or 0
        )
        classifier_released.set()
        question = await answering

    assert stored_before_classified.status is records.QuestionStatus.RECEIVED  # stored after
    assert question.status is records.QuestionStatus.ANSWERED
    assert question.category == "how-to"
    assert question.timings_ms["total"] <= question.timings_ms["classify"]


async def test_a_failed_status_update_still_gives_the_answer(search: FixedSearch) -> None:
    chat = FakeChat(status_error=RuntimeError("channel_not_found"))

    question = await use_case.respond_to_user(question=QUESTION, chat=chat, now=NOW)

    assert question.status is records.QuestionStatus.ANSWERED
    assert len(chat.replies) == 1


async def test_a_failed_model_gives_the_documentation_quoted_and_keeps_the_error(
    search: FixedSearch,
) -> None:
    chat = FakeChat()
    with docs_answerer.docs_answerer.override(model=failing_model(503, body="overloaded\nmore")):
        question = await use_case.respond_to_user(question=QUESTION, chat=chat, now=NOW)

    assert question.status is records.QuestionStatus.ANSWERED
    assert question.answered_by_fallback
    assert question.error == (
        "Unable to answer the question: the model's server answered HTTP 503: overloaded"
    )
    [reply] = chat.replies
    assert reply.text == question.answer
    assert reply.text.startswith(docs_answerer.FALLBACK_INTRO)
    assert "vault rotate db" in reply.text
    assert [citation.passage_id for citation in question.citations] == [11]
    assert chat.failures == []
    assert "total" in question.timings_ms


async def test_a_failed_model_with_nothing_found_says_so_rather_than_sorry(
    search: FixedSearch,
) -> None:
    search.hits = []

    chat = FakeChat()
    with docs_answerer.docs_answerer.override(model=failing_model(500, body="boom")):
        question = await use_case.respond_to_user(question=QUESTION, chat=chat, now=NOW)

    assert question.answered_by_fallback
    assert [reply.text for reply in chat.replies] == [docs_answerer.FALLBACK_NOTHING_FOUND]
    assert chat.failures == []


async def test_a_failed_search_still_gives_the_short_apology(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def search_down(**arguments: object) -> list[records.PassageHit]:
        raise OSError("database unreachable")

    monkeypatch.setattr("domain.search.search_passages", search_down)
    chat = FakeChat()
    with docs_answerer.docs_answerer.override(model=failing_model(500, body="boom")):
        question = await use_case.respond_to_user(question=QUESTION, chat=chat, now=NOW)

    assert question.status is records.QuestionStatus.FAILED
    assert question.error == "Unexpected error: OSError"
    assert chat.failures == [use_case.FAILURE_TEXT]
    assert chat.replies == []


async def test_a_failed_classifier_still_gives_the_answer_with_the_keywords_category(
    search: FixedSearch,
) -> None:
    def broken(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        raise ModelHTTPError(status_code=500, model_name="scripted", body="boom")

    with classifier.classifier.override(model=FunctionModel(broken)):
        question = await use_case.respond_to_user(question=QUESTION, chat=FakeChat(), now=NOW)

    assert question.status is records.QuestionStatus.ANSWERED
    assert question.category == "how-to"  # "How do I …", by the offline model's keyword rules


async def test_an_answer_that_cannot_be_sent_is_stored_as_failed_then_raised(
    search: FixedSearch,
) -> None:
    chat = FakeChat(reply_error=RuntimeError("msg_too_long"))

    with pytest.raises(use_case.ReplyNotSent) as refused:
        await use_case.respond_to_user(question=QUESTION, chat=chat, now=NOW)

    assert isinstance(refused.value.__cause__, RuntimeError)
    question = await models.Question.objects.aget()
    assert question.status == models.QuestionStatus.FAILED
    assert question.error == "Unable to send the answer: Unexpected error: RuntimeError"


async def test_a_failing_llm_server_gives_a_clear_stored_error(
    search: FixedSearch, settings
) -> None:
    async with fake_openai_server() as llm:
        for _ in range(6):
            llm.error(500)
        settings.LLM_MODEL = "openai:fake-model"
        settings.LLM_BASE_URL = llm.base_url
        settings.LLM_TIMEOUT_S = 0.5
        chat = FakeChat()
        with override_allow_model_requests(True):
            async with asyncio.timeout(20):
                question = await use_case.respond_to_user(question=QUESTION, chat=chat, now=NOW)

    assert question.answered_by_fallback
    assert question.error.startswith(
        "Unable to answer the question: the model's server answered HTTP 500: "
    )
    assert chat.failures == []
    assert [reply.citations for reply in chat.replies] == [question.citations]


@pytest.fixture
def appends_back_to_back(monkeypatch: pytest.MonkeyPatch) -> None:
    """The relay passes text on as soon as the append before it returns, not once a second."""
    monkeypatch.setattr(answer_relay, "APPEND_EVERY_S", 0.0)


@pytest.mark.usefixtures("appends_back_to_back")
async def test_the_answer_is_handed_to_the_chat_as_it_is_written(search: FixedSearch) -> None:
    chat = FakeChat()

    question = await use_case.respond_to_user(question=QUESTION, chat=chat, now=NOW)

    [writer] = chat.writers
    assert len(writer.pieces) > 1
    assert writer.streamed == question.answer


def _answerer_that_tells_when_written(written: asyncio.Event) -> FunctionModel:
    """The offline answerer, telling when the model's stream of the final answer was all read."""
    offline = docs_answerer.OFFLINE_MODEL
    assert offline.function is not None
    assert offline.stream_function is not None
    stream_offline = offline.stream_function

    async def stream(
        messages: list[ModelMessage], info: AgentInfo
    ) -> AsyncIterator[str | DeltaToolCalls | DeltaThinkingCalls | BuiltinToolCallsReturns]:
        answer_tools = {tool.name for tool in info.output_tools}
        answering = False
        async for chunk in stream_offline(messages, info):
            if isinstance(chunk, dict):
                answering |= any(
                    isinstance(call, DeltaToolCall) and call.name in answer_tools
                    for call in chunk.values()
                )
            yield chunk
        if answering:
            written.set()

    return FunctionModel(offline.function, stream_function=stream, model_name="offline")


@pytest.mark.usefixtures("appends_back_to_back")
async def test_a_slow_chat_does_not_slow_down_reading_the_model(search: FixedSearch) -> None:
    written = asyncio.Event()
    # The chat takes its first piece only once the model's whole answer has been read.
    chat = FakeChat(append_gate=written)

    with docs_answerer.docs_answerer.override(model=_answerer_that_tells_when_written(written)):
        async with asyncio.timeout(10):
            question = await use_case.respond_to_user(question=QUESTION, chat=chat, now=NOW)

    [writer] = chat.writers
    # The first piece as it came; then everything read while it was held up, in one append.
    assert len(writer.pieces) == 2
    assert writer.streamed == question.answer
    assert [reply.text for reply in chat.replies] == [question.answer]
