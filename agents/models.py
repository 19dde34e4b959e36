"""Which model the agents run on: the configured LLM, or each agent's own offline model.

`LLM_MODEL` takes any pydantic-ai model string; `LLM_BASE_URL` points OpenAI models at an
OpenAI-compatible server (Ollama, vLLM), which speaks the Chat Completions API. With no
`LLM_MODEL`, every agent runs on its offline model: a deterministic `FunctionModel` that goes
through the same agent code (tools, output validation) without any network.
"""

import os
from collections.abc import AsyncIterator, Callable
from functools import lru_cache
from typing import Any

from django.conf import settings
from pydantic_ai.exceptions import UserError
from pydantic_ai.messages import ModelMessage, ModelResponse, TextPart, ToolCallPart
from pydantic_ai.models import Model, infer_model
from pydantic_ai.models.function import AgentInfo, DeltaToolCall, DeltaToolCalls, FunctionModel
from pydantic_ai.providers import Provider
from pydantic_ai.providers.ollama import OllamaProvider
from pydantic_ai.providers.openai import OpenAIProvider
from pydantic_ai.providers.vllm import VLLMProvider
from pydantic_ai.settings import ModelSettings
from pydantic_ai.usage import UsageLimits

from agents.limits import RunLimits

OFFLINE_MODEL_NAME = "offline"

# Transient failures (timeouts, 429, 5xx) are retried by the provider's SDK this many times.
MAX_RETRIES = 2

# No agent needs more than a few model requests; a model that loops on tools is stopped.
USAGE_LIMITS = UsageLimits(request_limit=8)


class InvalidModelConfiguration(Exception):
    """`LLM_MODEL` or `LLM_BASE_URL` does not name a model pydantic-ai can use."""


OfflineReply = Callable[[list[ModelMessage], AgentInfo], ModelResponse]
OFFLINE_STREAM_CHUNK = 64


def offline_model(reply: OfflineReply) -> FunctionModel:
    """The offline model of one agent: its deterministic reply function, which can also be
    streamed in small pieces, as a real model's reply would be."""

    async def stream(
        messages: list[ModelMessage], info: AgentInfo
    ) -> AsyncIterator[str | DeltaToolCalls]:
        for index, part in enumerate(reply(messages, info).parts):
            if isinstance(part, TextPart):
                for chunk in _chunks(part.content):
                    yield chunk
            elif isinstance(part, ToolCallPart):
                for number, chunk in enumerate(_chunks(part.args_as_json_str())):
                    first = number == 0
                    yield {
                        index: DeltaToolCall(
                            name=part.tool_name if first else None,
                            json_args=chunk,
                            tool_call_id=part.tool_call_id if first else None,
                        )
                    }

    return FunctionModel(reply, stream_function=stream, model_name=OFFLINE_MODEL_NAME)


def _chunks(text: str) -> list[str]:
    return [
        text[start : start + OFFLINE_STREAM_CHUNK]
        for start in range(0, len(text), OFFLINE_STREAM_CHUNK)
    ]


def select_model(*, offline: FunctionModel) -> Model:
    """The configured LLM, or the calling agent's offline model when none is configured.

    Raises: InvalidModelConfiguration.
    """
    if not settings.LLM_MODEL:
        return offline
    return _configured_model(settings.LLM_MODEL, settings.LLM_BASE_URL)


def model_settings(limits: RunLimits) -> ModelSettings:
    """Settings for every model request of a run: the time limit of each request, the SDK's
    retries, and the run's limit on output tokens."""
    return ModelSettings(
        timeout=settings.LLM_TIMEOUT_S, max_retries=MAX_RETRIES, max_tokens=limits.max_tokens
    )


def check_configuration() -> None:
    """Build the configured model once, so a bad `LLM_MODEL` stops the service at start-up.

    Raises: InvalidModelConfiguration.
    """
    if settings.LLM_MODEL:
        _configured_model(settings.LLM_MODEL, settings.LLM_BASE_URL)


# The providers that reach a server at `LLM_BASE_URL`: each speaks the Chat Completions API, and
# pydantic-ai tunes the requests of Ollama's and vLLM's to those servers' model families.
SERVER_PROVIDERS: dict[str, Callable[[str], Provider[Any]]] = {
    "openai-chat": lambda base_url: OpenAIProvider(base_url=base_url, api_key=_key("OPENAI")),
    "ollama": lambda base_url: OllamaProvider(base_url=base_url, api_key=_key("OLLAMA")),
    "vllm": lambda base_url: VLLMProvider(base_url=base_url, api_key=_key("VLLM")),
}


@lru_cache(maxsize=8)
def _configured_model(name: str, base_url: str) -> Model:
    try:
        if not base_url:
            return infer_model(name)
        provider_name, _, model_name = name.partition(":")
        if provider_name == "openai":
            provider_name = "openai-chat"
        if provider_name not in SERVER_PROVIDERS:
            raise InvalidModelConfiguration(
                f"LLM_BASE_URL works with openai:, ollama: and vllm: models, not {provider_name!r}"
            )
        return infer_model(
            f"{provider_name}:{model_name}",
            provider_factory=lambda provider: SERVER_PROVIDERS[provider](base_url),
        )
    except UserError as error:
        raise InvalidModelConfiguration(f"LLM_MODEL {name!r}: {error}") from None


def _key(provider: str) -> str:
    """The provider's API key where one is set; local servers accept any, and the SDK refuses to
    start without one."""
    return os.environ.get(f"{provider}_API_KEY") or "unused"
