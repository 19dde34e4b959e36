from decimal import Decimal

import pytest
from pydantic_ai.messages import ModelMessage, ModelResponse, ToolCallPart
from pydantic_ai.models.function import AgentInfo, FunctionModel
from pydantic_ai.usage import RequestUsage

from agents import docs_answerer, transcript
from domain import records
from fakes.search import FixedSearch, hit

ROTATION = hit(
    11,
    title="Database runbook",
    heading="Passwords › Rotating",
    text="Rotate the password with `vault rotate db`, then restart the workers.",
)
BACKUPS = hit(12, title="Database runbook", heading="Backups", text="Backups run nightly at 02:00.")


async def test_the_offline_model_searches_with_the_question_and_quotes_the_passages_it_found() -> (
    None
):
    search = FixedSearch([ROTATION, BACKUPS])

    answer = await docs_answerer.answer_question(
        question="How do I rotate the DB password?", search=search
    )

    assert search.queries == ["How do I rotate the DB password?"]
    assert answer.found_answer
    assert "vault rotate db" in answer.text
    assert [citation.passage_id for citation in answer.citations] == [11, 12]
    assert answer.citations[0].url == ROTATION.url
    assert answer.usage.model_name == "offline"
    assert answer.usage.cost == Decimal(0)


async def test_the_offline_model_says_plainly_when_nothing_matched() -> None:
    answer = await docs_answerer.answer_question(
        question="Who won the 1998 cup?", search=FixedSearch([])
    )

    assert not answer.found_answer
    assert answer.citations == ()
    assert "could not find anything" in answer.text


def _model_citing(*attempts: list[int]) -> FunctionModel:
    """A model that searches once, then answers citing each list of ids in turn."""
    remaining = list(attempts)

    def reply(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        if transcript.last_tool_result(messages, tool_name="search_docs") is None:
            return ModelResponse(parts=[ToolCallPart("search_docs", {"query": "rotate password"})])
        ids = remaining.pop(0)
        return ModelResponse(
            parts=[
                ToolCallPart(
                    info.output_tools[0].name, {"text": "Use vault [1].", "passage_ids": ids}
                )
            ]
        )

    return FunctionModel(reply, model_name="scripted")


async def test_a_citation_of_a_passage_the_tool_did_not_return_is_sent_back_and_corrected() -> None:
    with docs_answerer.docs_answerer.override(model=_model_citing([999], [11])):
        answer = await docs_answerer.answer_question(
            question="Rotate?", search=FixedSearch([ROTATION])
        )

    assert [citation.passage_id for citation in answer.citations] == [11]


async def test_a_passage_cited_twice_is_one_source_and_the_markers_follow_the_sources() -> None:
    def reply(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        if transcript.last_tool_result(messages, tool_name="search_docs") is None:
            return ModelResponse(parts=[ToolCallPart("search_docs", {"query": "rotate"})])
        output = {"text": "Rotate [1], restart [2], back up [3].", "passage_ids": [11, 11, 12]}
        return ModelResponse(parts=[ToolCallPart(info.output_tools[0].name, output)])

    with docs_answerer.docs_answerer.override(model=FunctionModel(reply)):
        answer = await docs_answerer.answer_question(
            question="Rotate?", search=FixedSearch([ROTATION, BACKUPS])
        )

    assert [citation.passage_id for citation in answer.citations] == [11, 12]
    assert answer.text == "Rotate [1], restart [1], back up [2]."


async def test_an_answer_whose_text_cites_a_source_it_does_not_list_is_sent_back() -> None:
    texts = iter(["Rotate it [1], as the policy requires [4].", "Rotate it [1] with `keys[2]`."])

    def reply(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        if transcript.last_tool_result(messages, tool_name="search_docs") is None:
            return ModelResponse(parts=[ToolCallPart("search_docs", {"query": "rotate"})])
        output = {"text": next(texts), "passage_ids": [11]}
        return ModelResponse(parts=[ToolCallPart(info.output_tools[0].name, output)])

    with docs_answerer.docs_answerer.override(model=FunctionModel(reply)):
        answer = await docs_answerer.answer_question(
            question="Rotate?", search=FixedSearch([ROTATION])
        )

    assert answer.text == "Rotate it [1] with `keys[2]`."
    assert next(texts, None) is None


async def test_an_answer_that_cites_nothing_is_sent_back_to_cite_or_say_it_found_nothing() -> None:
    with docs_answerer.docs_answerer.override(model=_model_citing([], [11])):
        answer = await docs_answerer.answer_question(
            question="Rotate?", search=FixedSearch([ROTATION])
        )

    assert answer.found_answer
    assert [citation.passage_id for citation in answer.citations] == [11]


async def test_an_answer_that_found_nothing_but_cites_passages_is_sent_back_to_cite_none() -> None:
    """Sources under "the documentation does not say" would tell the person it does."""
    replies = iter([[11], []])

    def reply(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        if transcript.last_tool_result(messages, tool_name="search_docs") is None:
            return ModelResponse(parts=[ToolCallPart("search_docs", {"query": "rotate"})])
        output = {
            "text": "The docs do not say.",
            "passage_ids": next(replies),
            "found_answer": False,
        }
        return ModelResponse(parts=[ToolCallPart(info.output_tools[0].name, output)])

    with docs_answerer.docs_answerer.override(model=FunctionModel(reply)):
        answer = await docs_answerer.answer_question(
            question="Rotate?", search=FixedSearch([ROTATION])
        )

    assert not answer.found_answer
    assert answer.citations == ()
    assert next(replies, None) is None


async def test_a_model_that_keeps_inventing_sources_gives_passages_not_a_false_answer() -> None:
    search = FixedSearch([ROTATION, BACKUPS])
    with docs_answerer.docs_answerer.override(model=_model_citing([999], [998], [997], [996])):
        answer = await docs_answerer.answer_question(question="Rotate?", search=search)

    assert answer.text.startswith(docs_answerer.FALLBACK_INTRO)
    assert "Use vault" not in answer.text
    assert "vault rotate db" in answer.text
    assert [citation.passage_id for citation in answer.citations] == [11, 12]
    assert answer.model_error == (
        "Unable to answer the question: "
        "UnexpectedModelBehavior: Exceeded maximum output retries (2)"
    )
    assert answer.usage.output_tokens  # what the failed run cost is kept


async def test_when_the_model_fails_and_nothing_matches_the_person_is_told_so() -> None:
    with docs_answerer.docs_answerer.override(model=_model_citing([999], [998], [997], [996])):
        answer = await docs_answerer.answer_question(question="Rotate?", search=FixedSearch([]))

    assert answer.text == docs_answerer.FALLBACK_NOTHING_FOUND
    assert not answer.found_answer
    assert answer.citations == ()
    assert answer.model_error


async def test_an_unknown_model_price_gives_no_cost_rather_than_a_guess() -> None:
    with docs_answerer.docs_answerer.override(model=_model_citing([11])):
        answer = await docs_answerer.answer_question(
            question="Rotate?", search=FixedSearch([ROTATION])
        )

    assert answer.usage.model_name == "scripted"
    assert answer.usage.input_tokens
    assert answer.usage.output_tokens
    assert answer.usage.cost is None


async def test_a_follow_up_in_a_thread_the_bot_answered_in_is_priced_as_a_first_question() -> None:
    def reply(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        if transcript.last_tool_result(messages, tool_name="search_docs") is None:
            parts = [ToolCallPart("search_docs", {"query": "rotate"})]
        else:
            output = {"text": "Use vault [1].", "passage_ids": [11]}
            parts = [ToolCallPart(info.output_tools[0].name, output)]
        return ModelResponse(
            parts=parts,
            model_name="gpt-4o",
            provider_name="openai",
            usage=RequestUsage(input_tokens=1_000, output_tokens=100),
        )

    costs = []
    for history in [(), (records.ThreadMessage(author="Kraken", text="Run X.", from_bot=True),)]:
        model = FunctionModel(reply, model_name="gpt-4o")
        with docs_answerer.docs_answerer.override(model=model):
            answer = await docs_answerer.answer_question(
                question="And then?", search=FixedSearch([ROTATION]), history=history
            )
        costs.append(answer.usage.cost)

    assert costs[0] is not None
    assert costs[0] > 0
    assert costs[1] == costs[0]


async def test_a_model_that_can_no_longer_be_built_gives_way_to_the_configured_one(
    caplog: pytest.LogCaptureFixture,
) -> None:
    answered = await docs_answerer.answer_question(
        question="how do I rotate the database password?",
        search=FixedSearch([hit(11, text="Run `vault rotate db`.")]),
        model_name="nosuchprovider:model",
    )

    assert answered.usage.model_name == "offline"
    assert "vault rotate db" in answered.text
    assert "nosuchprovider:model" in caplog.text
