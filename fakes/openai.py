"""A fake OpenAI-compatible server: a real HTTP server on 127.0.0.1 that answers Chat Completions
requests from a script, and records what it was sent.

Each request takes the next scripted step (of the script for a tool the request offers, such as
`search_docs` for the docs answerer, when there is one; else of the default script): a tool call,
a final structured output, a delay, an HTTP error, or a malformed body. Requests beyond the script
get a 500, unless a responder is set (`answer_with`), which makes each reply from its request.
`fail_at_random` turns a seeded share of all requests into errors and timeouts. A request with
`stream: true` gets the same reply as server-sent events, its arguments
cut into pieces that can be spaced out in time, as a model writing its answer would send them.

It also answers Embeddings requests (`/v1/embeddings`) with the words model of `fakes.embeddings`,
or, as `embeddings` says, with an HTTP error, late, or with vectors of another size.
"""

from __future__ import annotations

import array
import asyncio
import base64
import contextlib
import itertools
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from fakes.embeddings import words_vector
from fakes.faults import RandomFaults
from fakes.local_server import serve_locally


@dataclass(frozen=True, kw_only=True)
class Step:
    """One scripted answer of the fake server."""

    status: int = 200
    body: dict[str, Any] | None = None
    raw: str | None = None
    delay_s: float = 0.0
    piece_delay_s: float = 0.0


@dataclass
class EmbeddingsBehaviour:
    """How the fake answers Embeddings requests: `status` other than 200 fails them."""

    dimensions: int = 32
    status: int = 200
    delay_s: float = 0.0
    synonyms: dict[str, str] = field(default_factory=dict)


@dataclass
class FakeOpenAI:
    scripts: dict[str, list[Step]] = field(default_factory=dict)
    requests: list[dict[str, Any]] = field(default_factory=list)
    base_url: str = ""
    faults: RandomFaults | None = None
    embeddings: EmbeddingsBehaviour = field(default_factory=EmbeddingsBehaviour)
    embedded: list[list[str]] = field(default_factory=list)
    _responder: Callable[[dict[str, Any]], Step] | None = None
    _timeout_s: float = 0.0
    _ids: itertools.count[int] = field(default_factory=itertools.count)

    def tool_call(
        self,
        name: str,
        arguments: dict[str, Any],
        *,
        piece_delay_s: float = 0.0,
        when_offered: str = "",
    ) -> None:
        self._add(when_offered, self.tool_call_step(name, arguments, piece_delay_s=piece_delay_s))

    def tool_call_step(
        self,
        name: str,
        arguments: dict[str, Any],
        *,
        delay_s: float = 0.0,
        piece_delay_s: float = 0.0,
    ) -> Step:
        """A reply that calls the tool (or, with an output tool, gives the final output)."""
        call = {
            "id": f"call_{next(self._ids)}",
            "type": "function",
            "function": {"name": name, "arguments": json.dumps(arguments)},
        }
        return Step(
            body=self._completion(
                {"role": "assistant", "content": None, "tool_calls": [call]}, "tool_calls"
            ),
            delay_s=delay_s,
            piece_delay_s=piece_delay_s,
        )

    def text(self, content: str, *, piece_delay_s: float = 0.0, when_offered: str = "") -> None:
        """A reply in text: the structured output of a model without an output tool."""
        reply = self._completion({"role": "assistant", "content": content}, "stop")
        self._add(when_offered, Step(body=reply, piece_delay_s=piece_delay_s))

    def answer_with(self, responder: Callable[[dict[str, Any]], Step]) -> None:
        """Reply to every request the scripts do not cover with `responder(request body)`."""
        self._responder = responder

    def fail_at_random(
        self, *, errors: float, timeouts: float, timeout_s: float, seed: int = 20
    ) -> None:
        """From now on, answer a share of requests with a 500 and a share only after
        `timeout_s`, drawn from a seeded generator; `faults.injected` counts them."""
        self.faults = RandomFaults({"error": errors, "timeout": timeouts}, seed=seed)
        self._timeout_s = timeout_s

    def error(self, status: int, *, delay_s: float = 0.0, when_offered: str = "") -> None:
        body = {"error": {"message": "scripted failure", "type": "server_error"}}
        self._add(when_offered, Step(status=status, body=body, delay_s=delay_s))

    def slow(self, delay_s: float, *, when_offered: str = "") -> None:
        late = self._completion({"role": "assistant", "content": "late"}, "stop")
        self._add(when_offered, Step(body=late, delay_s=delay_s))

    def malformed(self, *, when_offered: str = "") -> None:
        self._add(when_offered, Step(raw="{this is not json"))

    def _add(self, when_offered: str, step: Step) -> None:
        self.scripts.setdefault(when_offered, []).append(step)

    def _next_step(self, body: dict[str, Any]) -> Step:
        fault = self.faults.draw() if self.faults else None
        if fault == "error":
            return Step(status=500, body={"error": {"message": "injected fault"}})
        if fault == "timeout":
            late = self._completion({"role": "assistant", "content": "late"}, "stop")
            return Step(body=late, delay_s=self._timeout_s)
        offered = [tool["function"]["name"] for tool in body.get("tools") or []]
        script = next(
            (self.scripts[name] for name in offered if self.scripts.get(name)),
            self.scripts.get("", []),
        )
        if script:
            return script.pop(0)
        if self._responder is not None:
            return self._responder(body)
        return Step(status=500, body={"error": {"message": "no scripted reply"}})

    def _completion(self, message: dict[str, Any], finish_reason: str) -> dict[str, Any]:
        return {
            "id": f"chatcmpl-{next(self._ids)}",
            "object": "chat.completion",
            "created": 1767603600,
            "model": "fake-model",
            "choices": [{"index": 0, "message": message, "finish_reason": finish_reason}],
            "usage": {"prompt_tokens": 50, "completion_tokens": 10, "total_tokens": 60},
        }

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        clock = _Clock()
        body = await request.json()
        self.requests.append(body)
        step = self._next_step(body)
        await clock.wait(step.delay_s)
        if step.raw is not None:
            return web.Response(text=step.raw, content_type="application/json")
        if step.status != 200 or not body.get("stream") or step.body is None:
            return web.json_response(step.body, status=step.status)
        return await _stream(request, step.body, clock=clock, piece_delay_s=step.piece_delay_s)

    async def _embed(self, request: web.Request) -> web.Response:
        body = await request.json()
        texts = [body["input"]] if isinstance(body["input"], str) else list(body["input"])
        self.embedded.append(texts)
        behaviour = self.embeddings
        await asyncio.sleep(behaviour.delay_s)
        if behaviour.status != 200:
            return web.json_response(
                {"error": {"message": "embeddings unavailable"}}, status=behaviour.status
            )
        tokens = sum(len(text.split()) for text in texts)
        return web.json_response(
            {
                "object": "list",
                "model": body["model"],
                "data": [
                    {
                        "object": "embedding",
                        "index": index,
                        "embedding": _encoded(
                            words_vector(
                                text, dimensions=behaviour.dimensions, synonyms=behaviour.synonyms
                            ),
                            as_base64=body.get("encoding_format") == "base64",
                        ),
                    }
                    for index, text in enumerate(texts)
                ],
                "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
            }
        )


def _encoded(vector: list[float], *, as_base64: bool) -> list[float] | str:
    """As OpenAI sends a vector: a list of numbers, or float32 bytes in base64 (what its SDK asks
    for unless told otherwise)."""
    if not as_base64:
        return vector
    return base64.b64encode(array.array("f", vector).tobytes()).decode()


PIECE = 24


class _Clock:
    """Waits until a time counted from the request's arrival rather than for a span from now: a
    span slept once per piece would add up every late wake-up of a busy event loop, and the
    stream would last longer than the model's latency it stands for."""

    def __init__(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._due = self._loop.time()

    async def wait(self, span_s: float) -> None:
        self._due += span_s
        if (left_s := self._due - self._loop.time()) > 0:
            await asyncio.sleep(left_s)


async def _stream(
    request: web.Request, completion: dict[str, Any], *, clock: _Clock, piece_delay_s: float
) -> web.StreamResponse:
    """The completion in pieces; a client gone midway (a worker killed) ends the stream quietly,
    as a model server would, instead of logging a traceback that looks like a failure."""
    response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
    with contextlib.suppress(ConnectionResetError):
        await response.prepare(request)
        await _write_pieces(response, completion, clock=clock, piece_delay_s=piece_delay_s)
    return response


async def _write_pieces(
    response: web.StreamResponse,
    completion: dict[str, Any],
    *,
    clock: _Clock,
    piece_delay_s: float,
) -> None:
    base = {key: completion[key] for key in ("id", "created", "model")}
    choice = completion["choices"][0]
    message = choice["message"]

    async def send(delta: dict[str, Any], finish_reason: str | None = None) -> None:
        chunk = {
            **base,
            "object": "chat.completion.chunk",
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}],
        }
        await response.write(f"data: {json.dumps(chunk)}\n\n".encode())

    await send({"role": "assistant", "content": ""})
    for text in _pieces(message.get("content") or ""):
        await clock.wait(piece_delay_s)
        await send({"content": text})
    for index, call in enumerate(message.get("tool_calls") or []):
        head = {
            "index": index,
            "id": call["id"],
            "type": "function",
            "function": {"name": call["function"]["name"], "arguments": ""},
        }
        await send({"tool_calls": [head]})
        for text in _pieces(call["function"]["arguments"]):
            await clock.wait(piece_delay_s)
            await send({"tool_calls": [{"index": index, "function": {"arguments": text}}]})
    await send({}, finish_reason=choice["finish_reason"])
    usage = {**base, "object": "chat.completion.chunk", "choices": [], "usage": completion["usage"]}
    await response.write(f"data: {json.dumps(usage)}\n\ndata: [DONE]\n\n".encode())
    await response.write_eof()


def _pieces(text: str) -> list[str]:
    return [text[start : start + PIECE] for start in range(0, len(text), PIECE)]


@contextlib.asynccontextmanager
async def fake_openai_server() -> AsyncIterator[FakeOpenAI]:
    fake = FakeOpenAI()
    app = web.Application()
    app.router.add_post("/v1/chat/completions", fake._handle)
    app.router.add_post("/v1/embeddings", fake._embed)
    async with serve_locally(app) as url:
        fake.base_url = f"{url}/v1"
        yield fake
