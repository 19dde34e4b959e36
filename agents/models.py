"""Which model the agents run on: the configured LLM, or each agent's own offline model.

`LLM_MODEL` takes any pydantic-ai model string (`LLM_CLASSIFIER_MODEL` another, for the
classifier); `LLM_BASE_URL` points `openai:`, `ollama:` and `vllm:` models at an OpenAI-compatible
server (llama.cpp, Ollama, vLLM), which speaks the Chat Completions API. With no model, an agent
runs on its offline model: a deterministic `FunctionModel` that goes through the same agent code
(tools, output validation) without any network.

`LLM_OUTPUT_MODE` says how a model at `LLM_BASE_URL` gives structured output: by calling an output
tool, by a JSON schema the server enforces (`native`), or by following a schema in the prompt
(`prompted`). It is set on the model's pydantic-ai profile, so every agent's run uses it.
"""

import logging
import os
from collections.abc import AsyncIterator, Callable
from functools import lru_cache

from django.conf import settings
from openai import AsyncOpenAI
from pydantic_ai.exceptions import UserError
from pydantic_ai.messages import ModelMessage, ModelResponse, TextPart, ToolCallPart
from pydantic_ai.models import Model, infer_model
from pydantic_ai.models.function import AgentInfo, DeltaToolCall, DeltaToolCalls, FunctionModel
from pydantic_ai.models.ollama import OllamaModel
from pydantic_ai.models.openai import OpenAIChatModel
from pydantic_ai.output import StructuredOutputMode
from pydantic_ai.profiles import ModelProfile
from pydantic_ai.providers import Provider
from pydantic_ai.providers.ollama import OllamaProvider
from pydantic_ai.providers.openai import OpenAIProvider
from pydantic_ai.providers.vllm import VLLMProvider
from pydantic_ai.settings import ModelSettings
from pydantic_ai.usage import UsageLimits

from agents.limits import RunLimits

logger = logging.getLogger(__name__)

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


def select_model(*, offline: FunctionModel, name: str | None = None) -> Model:
    """The model named (by default `LLM_MODEL`), or the calling agent's offline model when the
    name is empty or `offline`.

    Raises: InvalidModelConfiguration.
    """
    name = settings.LLM_MODEL if name is None else name
    if name in ("", OFFLINE_MODEL_NAME):
        return offline
    return _configured_model(name, settings.LLM_BASE_URL, settings.LLM_OUTPUT_MODE)


def chosen_model(*, offline: FunctionModel, name: str | None) -> Model:
    """The model a channel's settings name, or `LLM_MODEL` when it can no longer be built (the
    service's settings changed since it was chosen): the channel is answered all the same.

    Raises: InvalidModelConfiguration, for `LLM_MODEL` itself.
    """
    try:
        return select_model(offline=offline, name=name)
    except InvalidModelConfiguration as error:
        if name is None:
            raise
        logger.warning("Using LLM_MODEL: the model %r cannot be used (%s)", name, error)
        return select_model(offline=offline)


def classifier_model(*, offline: FunctionModel) -> Model:
    """The classifier's model: `LLM_CLASSIFIER_MODEL` where set, else the answerer's.

    Raises: InvalidModelConfiguration.
    """
    return select_model(offline=offline, name=settings.LLM_CLASSIFIER_MODEL or None)


def output_mode(model: Model) -> StructuredOutputMode:
    """How the model gives structured output: `tool`, `native` or `prompted`."""
    return model.profile.get("default_structured_output_mode", "tool")


def model_settings(limits: RunLimits) -> ModelSettings:
    """Settings for every model request of a run: the time limit of each request, the SDK's
    retries, and the run's limit on output tokens."""
    return ModelSettings(
        timeout=settings.LLM_TIMEOUT_S, max_retries=MAX_RETRIES, max_tokens=limits.max_tokens
    )


def check_configuration() -> None:
    """Build the configured models once, so a bad `LLM_MODEL`, `LLM_CLASSIFIER_MODEL` or
    `LLM_OUTPUT_MODE` stops the service at start-up.

    Raises: InvalidModelConfiguration.
    """
    for setting in ("LLM_MODEL", "LLM_CLASSIFIER_MODEL"):
        name = getattr(settings, setting)
        if not name:
            continue
        try:
            check_model_name(name=name)
        except InvalidModelConfiguration as error:
            raise InvalidModelConfiguration(f"{setting}: {error}") from None


def check_model_name(*, name: str) -> None:
    """Refuse a model name pydantic-ai cannot build with `LLM_BASE_URL` and `LLM_OUTPUT_MODE`
    (`offline` is the offline model): for a model chosen while the bot runs, such as a channel's.

    Raises: InvalidModelConfiguration.
    """
    if name != OFFLINE_MODEL_NAME:
        _configured_model(name, settings.LLM_BASE_URL, settings.LLM_OUTPUT_MODE)


# The models that reach a server at `LLM_BASE_URL`, with the provider and the environment variable
# of its key: each speaks the Chat Completions API, and pydantic-ai tunes the requests of Ollama's
# and vLLM's to those servers' model families.
ServerModel = tuple[type[OpenAIChatModel], Callable[..., Provider[AsyncOpenAI]], str]
SERVER_MODELS: dict[str, ServerModel] = {
    "openai": (OpenAIChatModel, OpenAIProvider, "OPENAI_API_KEY"),
    "ollama": (OllamaModel, OllamaProvider, "OLLAMA_API_KEY"),
    "vllm": (OpenAIChatModel, VLLMProvider, "VLLM_API_KEY"),
}


@lru_cache(maxsize=8)
def _configured_model(name: str, base_url: str, mode: StructuredOutputMode) -> Model:
    provider_name, _, model_name = name.partition(":")
    if not base_url:
        if mode != "tool":
            raise InvalidModelConfiguration(
                f"LLM_OUTPUT_MODE={mode} is for a model served at LLM_BASE_URL"
            )
        try:
            return infer_model(name)
        # A provider whose optional package is not installed raises ImportError, saying which.
        except (UserError, ImportError) as error:
            raise InvalidModelConfiguration(f"{name!r}: {error}") from None
    if provider_name not in SERVER_MODELS or not model_name:
        raise InvalidModelConfiguration(
            f"LLM_BASE_URL works with openai:, ollama: and vllm: models, not {name!r}"
        )
    model_class, provider_class, key = SERVER_MODELS[provider_name]
    # A key is sent where one is set; local servers accept any, and the SDK wants one.
    provider = provider_class(base_url=base_url, api_key=os.environ.get(key) or "unused")
    return model_class(model_name, provider=provider, profile=_output_profile(mode))


def _output_profile(mode: StructuredOutputMode) -> ModelProfile | None:
    """Tool output keeps the provider's profile; the other modes are the server's to enforce."""
    if mode == "tool":
        return None
    return ModelProfile(default_structured_output_mode=mode, supports_json_schema_output=True)
