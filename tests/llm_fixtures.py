"""The `llm` fixture: the agents on pydantic-ai's real OpenAI provider, pointed at a fake server."""

from collections.abc import AsyncIterator

import pytest
from pydantic_ai.models import override_allow_model_requests

from tests.fake_openai import FakeOpenAI, fake_openai_server


@pytest.fixture
async def llm(settings) -> AsyncIterator[FakeOpenAI]:
    async with fake_openai_server() as fake:
        settings.LLM_MODEL = "openai:fake-model"
        settings.LLM_BASE_URL = fake.base_url
        settings.LLM_TIMEOUT_S = 0.5
        with override_allow_model_requests(True):
            yield fake
