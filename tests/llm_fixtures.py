"""The `llm` fixture: the agents on pydantic-ai's real OpenAI provider, pointed at a fake server;
and `DocsModel`, a well-behaved model for that server to play, however many questions come."""

import contextlib
import dataclasses
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from pydantic_ai.models import override_allow_model_requests

from fakes.openai import FakeOpenAI, Step, fake_openai_server


@dataclasses.dataclass
class DocsModel:
    """Replies to every request the fake gets (`llm.answer_with(DocsModel(llm))`): the classifier
    names a category; the docs answerer searches, then answers citing the first passage found.
    Each of the docs answerer's replies waits `delay_s`, which can be changed at any time."""

    llm: FakeOpenAI
    delay_s: float = 0.0

    def __call__(self, body: dict[str, Any]) -> Step:
        offered = {tool["function"]["name"] for tool in body.get("tools") or []}
        if "search_docs" not in offered:
            return self.llm.tool_call_step("final_result", {"category": "how-to"})
        last = body["messages"][-1]
        if last["role"] != "tool":
            step = self.llm.tool_call_step("search_docs", {"query": "rotate the database password"})
        else:
            found = [passage["id"] for passage in json.loads(last["content"])]
            step = self.llm.tool_call_step(
                "final_result", {"text": "Run `vault rotate db` [1].", "passage_ids": found[:1]}
            )
        return dataclasses.replace(step, delay_s=self.delay_s)

    def environment(self, *, timeout_s: float) -> dict[str, str]:
        """The settings of a served bot that uses this model."""
        return {
            "LLM_MODEL": "openai:fake-model",
            "LLM_BASE_URL": self.llm.base_url,
            "LLM_TIMEOUT_S": str(timeout_s),
        }

    def answers_started(self) -> int:
        """How many answers the docs answerer has begun (its first request)."""
        return sum(
            1
            for body in self.llm.requests
            if any(tool["function"]["name"] == "search_docs" for tool in body.get("tools") or [])
            and body["messages"][-1]["role"] != "tool"
        )


@pytest.fixture
async def llm(settings) -> AsyncIterator[FakeOpenAI]:
    async with fake_openai_server() as fake:
        settings.LLM_MODEL = "openai:fake-model"
        settings.LLM_BASE_URL = fake.base_url
        settings.LLM_TIMEOUT_S = 0.5
        with override_allow_model_requests(True):
            yield fake


@contextlib.asynccontextmanager
async def served_docs_model(*, delay_s: float = 0.0) -> AsyncIterator[DocsModel]:
    """A fake OpenAI-compatible server playing `DocsModel`, for a bot served in a subprocess."""
    async with fake_openai_server() as llm:
        model = DocsModel(llm, delay_s=delay_s)
        llm.answer_with(model)
        yield model
