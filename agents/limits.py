"""How long an agent's run may take and how much its model may write: each agent's limits, set in
one place, which `LLM_RUN_LIMITS` overrides. Without pydantic-ai, so that the service checks the
setting at start-up even when it imports no model."""

from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings


class InvalidRunLimits(ValueError):
    """`LLM_RUN_LIMITS` does not parse, or names no agent."""


@dataclass(frozen=True, kw_only=True)
class RunLimits:
    """What bounds one run of an agent. `deadline_s`: the whole run, every model request, each
    stream to its end and the tool calls between (`LLM_TIMEOUT_S` bounds only the wait for each
    response or piece of a stream). `max_tokens`: the output tokens of each model response, sent
    with the request, so a model that never stops talking is stopped by its server."""

    deadline_s: float
    max_tokens: int


RUN_LIMITS = {
    "classify": RunLimits(deadline_s=20, max_tokens=64),
    "answer": RunLimits(deadline_s=120, max_tokens=2_000),
    "summarise": RunLimits(deadline_s=120, max_tokens=1_500),
    "release_notes": RunLimits(deadline_s=300, max_tokens=8_000),
}

_BAD_PAIR = (
    "LLM_RUN_LIMITS: {pair!r} is not agent=seconds/tokens, with an agent among "
    + ", ".join(RUN_LIMITS)
    + " and both numbers above 0"
)


def run_limits(agent: str) -> RunLimits:
    """The limits of the agent's runs: its own, or those `LLM_RUN_LIMITS` sets.

    Raises: InvalidRunLimits.
    """
    return _limits(settings.LLM_RUN_LIMITS)[agent]


def check_run_limits() -> None:
    """Read `LLM_RUN_LIMITS` once, so a bad value stops the service at start-up.

    Raises: InvalidRunLimits.
    """
    _limits(settings.LLM_RUN_LIMITS)


@lru_cache(maxsize=4)
def _limits(overrides: str) -> dict[str, RunLimits]:
    """`agent=deadline_s/max_tokens` pairs, comma-separated, over the defaults; for example
    `answer=60/1000,classify=10/32`."""
    limits = dict(RUN_LIMITS)
    for pair in filter(None, (part.strip() for part in overrides.split(","))):
        agent, _, values = (part.strip() for part in pair.partition("="))
        deadline, _, tokens = values.partition("/")
        try:
            limit = RunLimits(deadline_s=float(deadline), max_tokens=int(tokens))
        except ValueError:
            raise InvalidRunLimits(_BAD_PAIR.format(pair=pair)) from None
        if agent not in RUN_LIMITS or limit.deadline_s <= 0 or limit.max_tokens <= 0:
            raise InvalidRunLimits(_BAD_PAIR.format(pair=pair))
        limits[agent] = limit
    return limits
