"""A fake Slack Web API: a real HTTP server on 127.0.0.1 that answers the methods the bot calls,
records every call, and can be told per method to be slow, to answer 429 with `Retry-After`, to
answer 500, or to answer `ok: false`; or to answer 429 to a seeded random share of all calls
(`rate_limit_at_random`). `conversations.info` answers from `channels`, as Slack does for the
bot's token: a channel it does not hold is `channel_not_found`.

Point a client at it with `SLACK_API_URL=fake.api_url`. Tests wait for calls with
`await fake.wait_for(method, count)` rather than sleeping.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from fakes.faults import RandomFaults
from fakes.local_server import serve_locally

BOT_USER_ID = "UKRAKEN"
BOT_ID = "BKRAKEN"
TEAM_ID = "T0001"

_last_ts = 0.0


def slack_ts() -> str:
    """A message timestamp as Slack gives them: the time, to the microsecond, unique and rising."""
    global _last_ts
    _last_ts = max(time.time(), _last_ts + 0.000001)
    return f"{_last_ts:.6f}"


@dataclass(frozen=True)
class SlackCall:
    method: str
    args: dict[str, Any]
    token: str
    at: float = field(default_factory=time.perf_counter)
    connection: str = ""
    """The client's address and port: calls over one kept-alive connection share it."""


@dataclass(frozen=True, kw_only=True)
class _Behaviour:
    status: int = 200
    body: dict[str, Any] | None = None
    retry_after_s: int | None = None
    delay_s: float = 0.0


@dataclass
class FakeSlack:
    api_url: str = ""
    calls: list[SlackCall] = field(default_factory=list)
    threads: dict[tuple[str, str], list[dict[str, Any]]] = field(default_factory=dict)
    posted: dict[str, SlackCall] = field(default_factory=dict)
    deleted: set[str] = field(default_factory=set)
    # What `conversations.info` knows, by id: from the start, #general with the bot in it.
    channels: dict[str, dict[str, Any]] = field(
        default_factory=lambda: {"C0001": {"id": "C0001", "name": "general", "is_member": True}}
    )
    # What the next calls of a method get: a behaviour, or None for Slack's usual success.
    _behaviours: dict[str, list[_Behaviour | None]] = field(default_factory=dict)
    _delays: dict[str, float] = field(default_factory=dict)
    faults: RandomFaults | None = None
    rate_limited: list[SlackCall] = field(default_factory=list)
    _changed: asyncio.Condition = field(default_factory=asyncio.Condition)

    def response_url(self, key: str) -> str:
        """A response URL (as slash commands and actions carry) whose posts are recorded as
        calls to the method `response_url`."""
        return self.api_url.replace("/api/", f"/respond/{key}")

    def calls_to(self, method: str) -> list[SlackCall]:
        return [call for call in self.calls if call.method == method]

    def slow(self, method: str, delay_s: float) -> None:
        """Every call of the method takes this long."""
        self._delays[method] = delay_s

    def rate_limit(self, method: str, *, retry_after_s: int = 1, times: int = 1) -> None:
        """The next calls of the method answer 429 with `Retry-After`."""
        body = {"ok": False, "error": "ratelimited"}
        self._queue(method, times, _Behaviour(status=429, body=body, retry_after_s=retry_after_s))

    def rate_limit_at_random(self, share: float, *, seed: int = 10) -> None:
        """From now on, answer this share of all calls 429 (`Retry-After: 0`), drawn from a seeded
        generator; those calls are also kept in `rate_limited`. A call made again after its 429
        (the same method and arguments) goes through, as it would once Slack's limit is over."""
        self.faults = RandomFaults({"ratelimited": share}, seed=seed)

    def server_error(self, method: str, *, times: int = 1) -> None:
        """The next calls of the method answer 500."""
        self._queue(
            method, times, _Behaviour(status=500, body={"ok": False, "error": "fatal_error"})
        )

    def refuse(self, method: str, error: str, *, times: int = 1, after: int = 0) -> None:
        """The next calls of the method, past the first `after`, answer `ok: false` with the
        error."""
        self._behaviours.setdefault(method, []).extend([None] * after)
        self._queue(method, times, _Behaviour(body={"ok": False, "error": error}))

    async def wait_for(self, method: str, count: int = 1) -> list[SlackCall]:
        """Wait until the method has been called `count` times; return its calls."""
        await self.wait_until(lambda: len(self.calls_to(method)) >= count)
        return self.calls_to(method)

    async def wait_until(self, condition: Callable[[], bool]) -> None:
        """Wait until the condition holds, checking it after every call."""
        async with self._changed:
            await self._changed.wait_for(condition)

    def thread_of(self, call: SlackCall) -> str | None:
        """The thread a call wrote to: its own `thread_ts`, or that of the message it changes."""
        if "thread_ts" in call.args:
            return str(call.args["thread_ts"])
        created = self.posted.get(str(call.args.get("ts", "")))
        return self.thread_of(created) if created is not None else None

    def replies_in(self, channel: str, thread_ts: str) -> list[dict[str, Any]]:
        """A thread's messages, oldest first: those seeded in `threads`, and the bot's own replies
        there that are not deleted."""
        own = [
            {"ts": ts, "bot_id": BOT_ID, "text": str(call.args.get("text") or "")}
            for ts, call in self.posted.items()
            if call.args.get("channel") == channel
            and call.args.get("thread_ts") == thread_ts
            and ts not in self.deleted
        ]
        seeded = self.threads.get((channel, thread_ts), [])
        return sorted([*seeded, *own], key=lambda message: float(message["ts"]))

    def _queue(self, method: str, times: int, behaviour: _Behaviour) -> None:
        self._behaviours.setdefault(method, []).extend([behaviour] * times)

    async def _respond(self, request: web.Request) -> web.Response:
        call = SlackCall(method="response_url", args=await _arguments(request), token="")
        async with self._changed:
            self.calls.append(call)
            self._changed.notify_all()
        queued = self._queued_response("response_url")
        return web.Response(text="ok") if queued is None else queued

    def _queued_response(self, method: str) -> web.Response | None:
        """What the test set the method's next call to get, if it set anything."""
        queued = self._behaviours.get(method)
        behaviour = queued.pop(0) if queued else None
        if behaviour is None:
            return None
        headers = {"Retry-After": str(behaviour.retry_after_s)} if behaviour.retry_after_s else {}
        return web.json_response(behaviour.body, status=behaviour.status, headers=headers)

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        call = SlackCall(
            method=method,
            args=await _arguments(request),
            token=_token(request),
            connection=_connection(request),
        )
        async with self._changed:
            self.calls.append(call)
            self._changed.notify_all()
        await asyncio.sleep(self._delays.get(method, 0.0))
        queued = self._queued_response(method)
        if queued is not None:
            return queued
        if self.faults and not self._refused_before(call) and self.faults.draw():
            self.rate_limited.append(call)
            return web.json_response(
                {"ok": False, "error": "ratelimited"}, status=429, headers={"Retry-After": "0"}
            )
        return web.json_response(self._success(call))

    def _refused_before(self, call: SlackCall) -> bool:
        return any(
            (refused.method, refused.args) == (call.method, call.args)
            for refused in self.rate_limited
        )

    def _success(self, call: SlackCall) -> dict[str, Any]:
        args = call.args
        channel = args.get("channel", "")
        ts = slack_ts()
        match call.method:
            case "auth.test":
                return {"ok": True, "user_id": BOT_USER_ID, "bot_id": BOT_ID, "team_id": TEAM_ID}
            case "chat.postMessage" | "chat.startStream":
                self.posted[ts] = call
                return {"ok": True, "channel": channel, "ts": ts, "message": {"ts": ts, **args}}
            case "chat.delete":
                self.deleted.add(str(args.get("ts")))
                return {"ok": True, "channel": channel, "ts": args.get("ts", ts)}
            case "chat.update" | "chat.appendStream" | "chat.stopStream":
                return {"ok": True, "channel": channel, "ts": args.get("ts", ts)}
            case "chat.postEphemeral":
                return {"ok": True, "message_ts": ts}
            case "conversations.replies":
                messages = self.replies_in(channel, str(args.get("ts", "")))
                return {"ok": True, "messages": messages, "has_more": False}
            case "conversations.info":
                found = self.channels.get(channel)
                if found is None:
                    return {"ok": False, "error": "channel_not_found"}
                return {"ok": True, "channel": found}
            case "views.open":
                return {"ok": True, "view": {"id": f"V{ts}"}}
            case (
                "assistant.threads.setStatus"
                | "assistant.threads.setSuggestedPrompts"
                | "assistant.threads.setTitle"
                | "reactions.add"
            ):
                return {"ok": True}
        return {"ok": False, "error": "unknown_method"}


async def _arguments(request: web.Request) -> dict[str, Any]:
    """The call's arguments, wherever slack_sdk put them: query string, form or JSON body."""
    arguments: dict[str, Any] = dict(request.query)
    if request.content_type == "application/json":
        body = await request.json()
        return arguments | (dict(body) if isinstance(body, dict) else {})
    form = await request.post()
    for key, value in form.items():
        text = str(value)
        arguments[key] = (
            _maybe_json(text) if key in {"blocks", "attachments", "view", "chunks"} else text
        )
    return arguments


def _maybe_json(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text


def _connection(request: web.Request) -> str:
    peer = request.transport.get_extra_info("peername") if request.transport else None
    return f"{peer[0]}:{peer[1]}" if peer else ""


def _token(request: web.Request) -> str:
    return request.headers.get("Authorization", "").removeprefix("Bearer ")


@contextlib.asynccontextmanager
async def fake_slack_server() -> AsyncIterator[FakeSlack]:
    fake = FakeSlack()
    app = web.Application()
    app.router.add_route("*", "/api/{method}", fake._handle)
    app.router.add_post("/respond/{key}", fake._respond)
    async with serve_locally(app) as url:
        fake.api_url = f"{url}/api/"
        yield fake
