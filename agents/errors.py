"""What the agents raise when a model could not give an answer."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from pydantic_ai.exceptions import AgentRunError, ModelHTTPError


class UnableToAnswer(Exception):
    """The model failed or misbehaved; the message says how, without any secret."""


@asynccontextmanager
async def model_failures_as(what: str, *, within_s: float) -> AsyncIterator[None]:
    """Bound the run to `within_s`, and turn the model's failures (HTTP errors, timeouts,
    malformed or looping replies, the deadline) into `UnableToAnswer` naming what could not be
    done."""
    deadline = asyncio.timeout(within_s)
    try:
        async with deadline:
            yield
    except TimeoutError:
        late = (
            f"did not finish within {within_s:g} s"
            if deadline.expired()
            else "did not answer in time"
        )
        raise UnableToAnswer(f"{what}: the model {late}") from None
    except AgentRunError as error:
        raise UnableToAnswer(f"{what}: {_first_line(error)}") from error


def _first_line(error: Exception) -> str:
    if isinstance(error, ModelHTTPError):
        return f"the model's server answered HTTP {error.status_code}: {_first_of(error.body)}"
    return f"{type(error).__name__}: {_first_of(error)}"


def _first_of(text: object) -> str:
    lines = str(text).strip().splitlines()
    return lines[0][:300] if lines else "(nothing)"
