"""The agents through pydantic-ai's real OpenAI provider, against a fake server on 127.0.0.1."""

import asyncio
import time

import pytest

from agents import docs_answerer, limits
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
