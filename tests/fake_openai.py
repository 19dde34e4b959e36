"""A fake OpenAI-compatible server: a real HTTP server on 127.0.0.1 that answers Chat Completions
requests from a script, and records what it was sent.

Each request takes the next scripted step: a tool call, a final structured output, a plain text
reply, a delay, an HTTP error, or a malformed body. Requests beyond the script get a 500.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web


@dataclass(frozen=True, kw_only=True)
class Step:
    """One scripted answer of the fake server."""

    status: int = 200
    body: dict[str, Any] | None = None
    raw: str | None = None
    delay_s: float = 0.0


@dataclass
class FakeOpenAI:
    steps: list[Step] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)
    base_url: str = ""
    _ids: itertools.count[int] = field(default_factory=itertools.count)

    def tool_call(self, name: str, arguments: dict[str, Any]) -> None:
        call = {
            "id": f"call_{next(self._ids)}",
            "type": "function",
            "function": {"name": name, "arguments": json.dumps(arguments)},
        }
        self.steps.append(
            Step(
                body=self._completion(
                    {"role": "assistant", "content": None, "tool_calls": [call]}, "tool_calls"
                )
            )
        )

    def error(self, status: int, *, delay_s: float = 0.0) -> None:
        self.steps.append(
            Step(
                status=status,
                body={"error": {"message": "scripted failure", "type": "server_error"}},
                delay_s=delay_s,
            )
        )

    def slow(self, delay_s: float) -> None:
        self.steps.append(
            Step(
                body=self._completion({"role": "assistant", "content": "late"}, "stop"),
                delay_s=delay_s,
            )
        )

    def malformed(self) -> None:
        self.steps.append(Step(raw="{this is not json"))

    def _completion(self, message: dict[str, Any], finish_reason: str) -> dict[str, Any]:
        return {
            "id": f"chatcmpl-{next(self._ids)}",
            "object": "chat.completion",
            "created": 1767603600,
            "model": "fake-model",
            "choices": [{"index": 0, "message": message, "finish_reason": finish_reason}],
            "usage": {"prompt_tokens": 50, "completion_tokens": 10, "total_tokens": 60},
        }

    async def _handle(self, request: web.Request) -> web.Response:
        self.requests.append(await request.json())
        step = (
            self.steps.pop(0)
            if self.steps
            else Step(status=500, body={"error": {"message": "no scripted reply"}})
        )
        if step.delay_s:
            await asyncio.sleep(step.delay_s)
        if step.raw is not None:
            return web.Response(text=step.raw, content_type="application/json")
        return web.json_response(step.body, status=step.status)


@contextlib.asynccontextmanager
async def fake_openai_server() -> AsyncIterator[FakeOpenAI]:
    fake = FakeOpenAI()
    app = web.Application()
    app.router.add_post("/v1/chat/completions", fake._handle)
    runner = web.AppRunner(app, shutdown_timeout=0.1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    fake.base_url = f"http://127.0.0.1:{port}/v1"
    try:
        yield fake
    finally:
        await runner.cleanup()
