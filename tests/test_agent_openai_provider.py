"""The agents through pydantic-ai's real OpenAI provider, against a fake server on 127.0.0.1."""

import asyncio
import json
import time

import pytest

from agents import classifier, docs_answerer, limits
from data import models
from domain import records, search
from fakes.openai import FakeOpenAI
from fakes.search import FixedSearch, hit

NEVER_HANG_S = 20
ROTATION = hit(11, title="Database runbook", text="Rotate with `vault rotate db`.")


async def _answer() -> docs_answerer.AnsweredQuestion:
    async with asyncio.timeout(NEVER_HANG_S):
        return await docs_answerer.answer_question(
            question="How do I rotate the password?", search=FixedSearch([ROTATION])
        )


async def test_the_model_calls_search_docs_then_answers_citing_what_it_found(
    llm: FakeOpenAI,
) -> None:
    llm.tool_call("search_docs", {"query": "rotate password"})
    llm.tool_call("final_result", {"text": "Run `vault rotate db` [1].", "passage_ids": [11]})

    answer = await _answer()

    assert answer.text == "Run `vault rotate db` [1]."
    assert [citation.passage_id for citation in answer.citations] == [11]
    assert answer.usage.model_name == "fake-model"
    assert (answer.usage.input_tokens, answer.usage.output_tokens) == (100, 20)
    tool_result = llm.requests[1]["messages"][-1]
    assert tool_result["role"] == "tool"
    assert "vault rotate db" in tool_result["content"]


def _assert_quoted_instead(answer: docs_answerer.AnsweredQuestion, *, error: str) -> None:
    """The person got the documentation's passage, marked, and the model's error was kept."""
    assert answer.text.startswith(docs_answerer.FALLBACK_INTRO)
    assert "vault rotate db" in answer.text
    assert [citation.passage_id for citation in answer.citations] == [11]
    assert answer.model_error.startswith("Unable to answer the question")
    assert error in answer.model_error


async def test_a_model_slower_than_the_timeout_gives_a_clear_error_not_a_hang(
    llm: FakeOpenAI,
) -> None:
    for _ in range(3):
        llm.slow(5)

    answer = await _answer()

    _assert_quoted_instead(answer, error="ModelTimeoutError")


async def test_a_server_error_gives_a_clear_error_after_retrying(llm: FakeOpenAI) -> None:
    for _ in range(3):
        llm.error(500)

    answer = await _answer()

    _assert_quoted_instead(answer, error="the model's server answered HTTP 500: ")
    assert len(llm.requests) == 3


async def test_a_malformed_body_gives_a_clear_error(llm: FakeOpenAI) -> None:
    for _ in range(3):
        llm.malformed()

    answer = await _answer()

    _assert_quoted_instead(answer, error="Unable to answer the question")


async def test_a_transient_server_error_is_retried_and_the_answer_arrives(llm: FakeOpenAI) -> None:
    llm.error(503)
    llm.tool_call("search_docs", {"query": "rotate"})
    llm.tool_call("final_result", {"text": "Rotate it [1].", "passage_ids": [11]})

    answer = await _answer()

    assert answer.text == "Rotate it [1]."


async def test_each_request_asks_for_no_more_tokens_than_the_agents_limit(llm: FakeOpenAI) -> None:
    llm.tool_call("search_docs", {"query": "rotate password"})
    llm.tool_call("final_result", {"text": "Run `vault rotate db` [1].", "passage_ids": [11]})

    await _answer()

    limit = limits.RUN_LIMITS["answer"].max_tokens
    assert [request.get("max_completion_tokens") for request in llm.requests] == [limit, limit]


async def test_a_model_that_never_stops_talking_is_cut_at_the_runs_deadline(
    llm: FakeOpenAI, settings
) -> None:
    settings.LLM_RUN_LIMITS = "answer=1/2000"
    endless = {"text": "Rotate it again. " * 2_000, "passage_ids": [11]}
    llm.tool_call("search_docs", {"query": "rotate password"})
    # Each piece well inside the wait allowed for one (LLM_TIMEOUT_S), the whole far past 1 s.
    llm.tool_call("final_result", endless, piece_delay_s=0.02)
    shown: list[str] = []

    async def show(text: str) -> None:
        shown.append(text)

    started = time.monotonic()
    async with asyncio.timeout(NEVER_HANG_S):
        answer = await docs_answerer.answer_question(
            question="How do I rotate it?", search=FixedSearch([ROTATION]), on_text=show
        )

    assert time.monotonic() - started < NEVER_HANG_S / 2
    assert shown  # it was talking when it was cut
    _assert_quoted_instead(answer, error="the model did not finish within 1 s")
    assert answer.usage.model_name == "fake-model"
    assert answer.usage.input_tokens  # the first request's, before the stream was cut


def test_the_run_limits_setting_overrides_only_the_agents_it_names(settings) -> None:
    settings.LLM_RUN_LIMITS = "answer=60/1000, classify=5/16"

    assert limits.run_limits("answer") == limits.RunLimits(deadline_s=60, max_tokens=1_000)
    assert limits.run_limits("classify") == limits.RunLimits(deadline_s=5, max_tokens=16)
    assert limits.run_limits("summarise") == limits.RUN_LIMITS["summarise"]


@pytest.mark.parametrize("provider", ["ollama", "vllm"])
async def test_ollama_and_vllm_models_answer_through_the_server_at_the_base_url(
    llm: FakeOpenAI, settings, provider: str
) -> None:
    settings.LLM_MODEL = f"{provider}:small-model"
    llm.tool_call("search_docs", {"query": "rotate password"})
    llm.tool_call("final_result", {"text": "Run `vault rotate db` [1].", "passage_ids": [11]})

    answer = await _answer()

    assert answer.text == "Run `vault rotate db` [1]."
    assert [request["model"] for request in llm.requests] == ["small-model", "small-model"]


@pytest.mark.parametrize("mode", ["native", "prompted"])
async def test_without_tools_the_passages_come_with_the_question_and_the_answer_streams(
    llm: FakeOpenAI, settings, mode: str
) -> None:
    settings.LLM_OUTPUT_MODE = mode
    text = "Run `vault rotate db` [1], then restart the workers."
    llm.text(json.dumps({"text": text, "passage_ids": [11]}))
    shown: list[str] = []

    async def show(piece: str) -> None:
        shown.append(piece)

    async with asyncio.timeout(NEVER_HANG_S):
        answer = await docs_answerer.answer_question(
            question="How do I rotate the password?", search=FixedSearch([ROTATION]), on_text=show
        )

    assert answer.text == text
    assert [citation.passage_id for citation in answer.citations] == [11]
    assert len(shown) > 1
    assert "".join(shown) == text
    [request] = llm.requests
    assert not request.get("tools")
    prompt = request["messages"][-1]["content"]
    assert prompt.startswith("How do I rotate the password?")
    assert "vault rotate db" in prompt
    schema_sent = json.dumps(request.get("response_format")) + json.dumps(request["messages"])
    assert "passage_ids" in schema_sent
    assert (
        request.get("response_format", {}).get("type")
        == {
            "native": "json_schema",
            "prompted": "json_object",
        }[mode]
    )


async def test_with_nothing_found_first_the_model_is_not_asked_to_invent(
    llm: FakeOpenAI, settings
) -> None:
    settings.LLM_OUTPUT_MODE = "native"

    answer = await docs_answerer.answer_question(question="Who won?", search=FixedSearch([]))

    assert answer.text == docs_answerer.NOTHING_FOUND
    assert not answer.found_answer
    assert llm.requests == []


async def test_in_a_thread_the_search_first_takes_the_threads_first_message_too(
    llm: FakeOpenAI, settings
) -> None:
    settings.LLM_OUTPUT_MODE = "native"
    llm.text(json.dumps({"text": "Rotate it [1].", "passage_ids": [11]}))
    search = FixedSearch([ROTATION])
    history = (
        records.ThreadMessage(author="ana", text="The database password expired"),
        records.ThreadMessage(author="Kraken Bot", text="Rotate it.", from_bot=True),
    )

    await docs_answerer.answer_question(question="how?", search=search, history=history)

    assert search.queries == ["how?\nThe database password expired"]


async def test_in_a_thread_a_long_first_message_leaves_the_questions_own_words_searched(
    llm: FakeOpenAI, settings, indexed_docs: None
) -> None:
    """A search reads a few dozen words of its query: the question's come first."""
    settings.LLM_OUTPUT_MODE = "native"
    passage = await models.Passage.objects.aget()
    llm.text(json.dumps({"text": "Rotate it [1].", "passage_ids": [passage.pk]}))
    opening = " ".join(f"topic{a}{b}" for a in "abcdefgh" for b in "abcde")
    history = (records.ThreadMessage(author="ana", text=opening),)

    answer = await docs_answerer.answer_question(
        question="how do I rotate the database password?",
        search=search.search_passages,
        history=history,
    )

    assert [citation.passage_id for citation in answer.citations] == [passage.pk]
    [request] = llm.requests
    assert "vault rotate db" in request["messages"][-1]["content"]


async def test_a_prompted_answer_with_words_around_its_json_still_arrives(
    llm: FakeOpenAI, settings
) -> None:
    settings.LLM_OUTPUT_MODE = "prompted"
    answer_json = json.dumps({"text": "Rotate it [1].", "passage_ids": [11]})
    llm.text(f"```json\n{answer_json}\n```")

    answer = await _answer()

    assert answer.text == "Rotate it [1]."
    assert not answer.model_error


@pytest.mark.parametrize("mode", ["tool", "native"])
async def test_the_classifier_can_only_pick_a_listed_category(
    llm: FakeOpenAI, settings, mode: str
) -> None:
    settings.LLM_OUTPUT_MODE = mode
    if mode == "tool":
        llm.tool_call("final_result", {"category": "release"})
    else:
        llm.text(json.dumps({"category": "release"}))

    classified = await classifier.classify_question(
        question="When is the next release?", categories=("how-to", "release", "other")
    )

    assert classified.category == "release"
    [request] = llm.requests
    sent = json.dumps(request.get("tools") or request.get("response_format"))
    assert '"enum": ["how-to", "release", "other"]' in sent


async def test_the_classifier_runs_on_its_own_model_when_one_is_set(
    llm: FakeOpenAI, settings
) -> None:
    settings.LLM_CLASSIFIER_MODEL = "openai:tiny-classifier"
    llm.tool_call("final_result", {"category": "how-to"})

    classified = await classifier.classify_question(
        question="How do I?", categories=classifier.DEFAULT_CATEGORIES
    )

    assert classified.category == "how-to"
    assert [request["model"] for request in llm.requests] == ["tiny-classifier"]


async def test_an_offline_classifier_leaves_the_model_to_the_answer(
    llm: FakeOpenAI, settings
) -> None:
    settings.LLM_CLASSIFIER_MODEL = "offline"

    classified = await classifier.classify_question(
        question="Why does the deploy fail?", categories=classifier.DEFAULT_CATEGORIES
    )

    assert classified.category == "troubleshooting"
    assert llm.requests == []
