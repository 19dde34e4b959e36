"""Token usage and cost of an agent run or an embedding call, as the domain records them."""

from decimal import Decimal
from typing import Any

from pydantic_ai.embeddings import EmbeddingResult
from pydantic_ai.messages import ModelResponse
from pydantic_ai.run import AgentRunResult

from agents import offline_embedding
from agents.models import OFFLINE_MODEL_NAME
from domain import records


def usage_of(result: AgentRunResult[Any]) -> records.Usage:
    """The model, tokens and cost of a run; the cost is left out when the price is not known. The
    run's own replies are priced, not the earlier turns it was given as history."""
    responses = [message for message in result.new_messages() if isinstance(message, ModelResponse)]
    return records.Usage(
        model_name=responses[-1].model_name or "" if responses else "",
        input_tokens=result.usage.input_tokens,
        output_tokens=result.usage.output_tokens,
        cost=_cost(responses),
    )


def embedding_usage(result: EmbeddingResult) -> records.Usage:
    """The model, tokens and cost of an embedding call (nothing for the offline model)."""
    cost: Decimal | None = Decimal(0)
    if result.provider_name != offline_embedding.SYSTEM:
        try:
            cost = result.cost().total_price
        except (LookupError, ValueError, AssertionError):
            cost = None
    return records.Usage(
        model_name=f"{result.provider_name}:{result.model_name}",
        input_tokens=result.usage.input_tokens,
        output_tokens=0,
        cost=cost,
    )


def add_usage(first: records.Usage, second: records.Usage) -> records.Usage:
    """The usage of two runs together (for example, classifying and answering one question)."""
    cost = None if first.cost is None or second.cost is None else first.cost + second.cost
    return records.Usage(
        model_name=second.model_name or first.model_name,
        input_tokens=(first.input_tokens or 0) + (second.input_tokens or 0),
        output_tokens=(first.output_tokens or 0) + (second.output_tokens or 0),
        cost=cost,
    )


def _cost(responses: list[ModelResponse]) -> Decimal | None:
    total = Decimal(0)
    for response in responses:
        if response.model_name == OFFLINE_MODEL_NAME:
            continue
        try:
            total += response.cost().total_price
        except (LookupError, ValueError, AssertionError):
            # No price for this model (or the provider omitted usage): no cost, not a guess.
            return None
    return total
