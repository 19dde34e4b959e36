import pytest
from pydantic_ai.exceptions import ModelHTTPError
from pydantic_ai.messages import ModelMessage, ModelResponse, ToolCallPart
from pydantic_ai.models.function import AgentInfo, FunctionModel

from agents import classifier

DEFAULTS = classifier.DEFAULT_CATEGORIES


@pytest.mark.parametrize(
    ("question", "category"),
    [
        ("How do I set up the VPN client on Linux?", "access-request"),
        ("Can someone grant me access to the billing dashboard?", "access-request"),
        ("The deploy job fails with error 137, why?", "troubleshooting"),
        ("When is the next release going out?", "release"),
        ("How do I configure log retention?", "how-to"),
        ("Lunch options near the office", "other"),
    ],
)
async def test_the_offline_classifier_picks_a_category_by_keywords(
    question: str, category: str
) -> None:
    classified = await classifier.classify_question(question=question, categories=DEFAULTS)

    assert classified.category == category


async def test_the_offline_classifier_only_answers_with_configured_categories() -> None:
    classified = await classifier.classify_question(
        question="The deploy fails with an error", categories=("question", "incident")
    )

    assert classified.category == "incident"


async def test_a_category_outside_the_list_is_sent_back_to_the_model() -> None:
    answers = iter(["feature-request", "how-to"])

    def reply(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        return ModelResponse(
            parts=[ToolCallPart(info.output_tools[0].name, {"category": next(answers)})]
        )

    with classifier.classifier.override(model=FunctionModel(reply)):
        classified = await classifier.classify_question(question="How do I?", categories=DEFAULTS)

    assert classified.category == "how-to"


async def test_a_model_that_fails_leaves_the_category_to_the_keyword_rules(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def broken(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        raise ModelHTTPError(status_code=500, model_name="scripted", body="boom")

    with classifier.classifier.override(model=FunctionModel(broken)):
        classified = await classifier.classify_question(
            question="The deploy job fails with error 137", categories=DEFAULTS
        )

    assert classified.category == "troubleshooting"
    assert classified.usage.input_tokens is None
    assert "Unable to classify the question" in caplog.text
    assert "classified by keywords instead" in caplog.text
