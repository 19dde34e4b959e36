"""The classifier: a question in, one category from a configurable list out. The category is for
the admin's statistics, so when the model fails the keyword rules of the offline model decide.

The category is an enum of the configured ones in the output's schema, so a model whose server
enforces the schema can only pick a listed one, and any other reply is sent back to fix."""

import enum
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache, partial

from pydantic import BaseModel, Field, create_model
from pydantic_ai import Agent
from pydantic_ai.messages import ModelMessage, ModelResponse, ToolCallPart
from pydantic_ai.models.function import AgentInfo

from agents import errors, models, transcript, usage
from agents.limits import run_limits
from domain import records

logger = logging.getLogger(__name__)

DEFAULT_CATEGORIES = ("how-to", "troubleshooting", "access-request", "release", "other")

# Keyword rules of the offline model, tried in order; a category missing from the configured
# list is skipped, and a question no rule matches falls into the last category.
_OFFLINE_RULES = (
    ("access-request", r"\b(access|permissions?|grant|invite|account|log ?in|vpn|role|sso)\b"),
    (
        "troubleshooting",
        r"\b(error|errors|fail\w*|broken|crash\w*|exception|not working|bug|timeout|stuck|why)\b",
    ),
    ("release", r"\b(release\w*|deploy\w*|version|changelog|roll ?out|roll ?back|ship\w*)\b"),
    ("how-to", r"\b(how|where|what|can i|set ?up|configure|install|use)\b"),
)


@dataclass(frozen=True, kw_only=True)
class ClassifiedQuestion:
    category: str
    usage: records.Usage


classifier = Agent(
    instructions="Classify the staff question into exactly one of the categories.",
    retries=2,
    name="classifier",
)


@lru_cache(maxsize=4)
def _classification(categories: tuple[str, ...]) -> type[BaseModel]:
    """The output: one category, an enum of those listed."""
    category = enum.Enum("Category", {name: name for name in categories}, type=str)  # type: ignore[misc]
    return create_model(
        "Classification",
        category=(category, Field(description="The category that fits the question best.")),
    )


async def classify_question(*, question: str, categories: Sequence[str]) -> ClassifiedQuestion:
    """Put the question into one of the categories: by the model, or by keywords where it fails."""
    try:
        return await _classify(question, categories=categories)
    except errors.UnableToAnswer as error:
        logger.warning("%s; classified by keywords instead", error)
        return ClassifiedQuestion(category=by_keywords(question, categories), usage=records.Usage())


async def _classify(question: str, *, categories: Sequence[str]) -> ClassifiedQuestion:
    limits = run_limits("classify")
    async with errors.model_failures_as(
        "Unable to classify the question", within_s=limits.deadline_s
    ):
        result = await classifier.run(
            question,
            output_type=_classification(tuple(categories)),
            model=models.classifier_model(
                offline=models.offline_model(partial(_offline_reply, categories=categories))
            ),
            model_settings=models.model_settings(limits),
            usage_limits=models.USAGE_LIMITS,
        )
    category = result.output.model_dump(mode="json")["category"]
    return ClassifiedQuestion(category=category, usage=usage.usage_of(result))


def by_keywords(question: str, categories: Sequence[str]) -> str:
    """The first rule whose category is listed and whose words appear wins; else the last
    category."""
    lowered = question.lower()
    return next(
        (
            name
            for name, pattern in _OFFLINE_RULES
            if name in categories and re.search(pattern, lowered)
        ),
        categories[-1],
    )


def _offline_reply(
    messages: list[ModelMessage], info: AgentInfo, *, categories: Sequence[str]
) -> ModelResponse:
    """The offline model classifies by keywords."""
    category = by_keywords(transcript.last_user_prompt(messages), categories)
    return ModelResponse(parts=[ToolCallPart(info.output_tools[0].name, {"category": category})])
