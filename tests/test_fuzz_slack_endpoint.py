"""Fuzzing `POST /slack/events` of the real service (uvicorn in a subprocess) with Slack-shaped
bodies: events and feedback (clicks on its buttons, its comment form), with random fields, types,
sizes up to 1 MB, any Unicode, nesting; signed, unsigned, signed with another secret, signed too
long ago, or signed with a timestamp that is not one.

Whatever arrives, the service never answers 5xx, never logs a traceback and never dies; nothing is
stored for a request that is not validly signed; and a signed event ends ignored, or recorded and
then answered or failed, never recorded and left half-done.
"""

import asyncio
import contextlib
import json
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from django.db import connections
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from data import models
from fakes import slack_payloads as payloads
from fakes.polling import until
from fakes.servers import bot_environment, served
from fakes.slack import BOT_USER_ID, TEAM_ID, FakeSlack
from slack import events, jobs, listeners, rendering
from tests.factories import QuestionFactory

EXAMPLES = 200
REQUEST_TIMEOUT_S = 30
SETTLE_TIMEOUT_S = 60
MEGABYTE = 1_000_000
# The question the feedback is on, when it names one: far above the ids the fuzzed events get.
QUESTION_ID = 900_000_001

_leaves = (
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=50)
)
_json = st.recursive(
    _leaves,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=20,
)


# Letters of one, two and four bytes, a NUL, a space, a right-to-left override, a mention.
_REPEATED = ["a", "é", "🐙", "\u0000", " ", "\u202e", f"<@{BOT_USER_ID}>"]


@st.composite
def _long_text(draw: st.DrawFn, *, max_bytes: int) -> str:
    """One character, maybe a 4-byte one, repeated up to `max_bytes` of UTF-8."""
    character = draw(st.sampled_from(_REPEATED))
    return character * draw(st.integers(0, max_bytes // len(character.encode())))


@st.composite
def _mutated(draw: st.DrawFn, base: dict[str, Any]) -> dict[str, Any]:
    """The payload with a few of its fields dropped or replaced by any JSON value."""
    mutated = dict(base)
    for key in draw(st.lists(st.sampled_from(sorted(base)), max_size=3, unique=True)):
        if draw(st.booleans()):
            del mutated[key]
        else:
            mutated[key] = draw(_json)
    return mutated


_ts = st.from_regex(r"1[0-9]{9}\.[0-9]{6}", fullmatch=True)
_text = (st.text(max_size=300) | _long_text(max_bytes=40_000)).map(  # Slack caps text at 40k
    lambda text: f"<@{BOT_USER_ID}> {text}"
)
_event = st.fixed_dictionaries(
    {
        "type": st.sampled_from(
            ["app_mention", "message", "app_home_opened", "assistant_thread_started"]
        ),
        "user": st.sampled_from(["U0001", "U0002", BOT_USER_ID]),
        "text": _text,
        "channel": st.sampled_from(["C0001", "D0001"]),
        "ts": _ts,
    },
    optional={
        "channel_type": st.sampled_from(["im", "channel"]),
        "thread_ts": _ts,
        "event_ts": _ts,
        "subtype": st.sampled_from(["bot_message", "message_changed", "channel_join"]),
        "bot_id": st.just("BOTHER"),
        "tab": st.sampled_from(["messages", "home"]),
        "team": st.just(TEAM_ID),
        "blocks": _json | _long_text(max_bytes=MEGABYTE),
    },
).flatmap(_mutated)
_callback = st.fixed_dictionaries(
    {
        "type": st.sampled_from(["event_callback", "url_verification", "app_rate_limited"]),
        "event_id": st.from_regex(r"Ev[0-9A-Z]{10}", fullmatch=True),
        "team_id": st.just(TEAM_ID),
        "event": _event,
    },
    optional={
        "api_app_id": st.just("A0001"),
        "challenge": _json,
        "authorizations": _json,
        "event_time": st.integers(),
    },
).flatmap(_mutated)

_question_id = st.one_of(
    st.just(str(QUESTION_ID)),
    st.text(max_size=30),
    st.integers().map(str),
    st.floats().map(str),
    st.just("9" * 40),
)
_someone = st.fixed_dictionaries({"id": st.sampled_from(["U0001", "U0002"])}).flatmap(_mutated)
_click = st.fixed_dictionaries(
    {
        "type": st.just("button"),
        "action_id": st.sampled_from([rendering.FEEDBACK_UP, rendering.FEEDBACK_DOWN]),
        "block_id": st.just("feedback"),
        "value": _question_id,
    }
).flatmap(_mutated)
_feedback_click = st.fixed_dictionaries(
    {
        "type": st.just("block_actions"),
        "team": st.just({"id": TEAM_ID}),
        "user": _someone,
        "trigger_id": st.just("13345224609.738474920.8088930838d88f008e0"),
        "channel": st.fixed_dictionaries({"id": st.sampled_from(["C0001", "C0002"])}),
        "actions": st.lists(_click, min_size=1, max_size=2),
    }
).flatmap(_mutated)
_comment = st.fixed_dictionaries(
    {"comment": st.fixed_dictionaries({"comment_text": st.fixed_dictionaries({"value": _text})})}
)
_feedback_comment = st.fixed_dictionaries(
    {
        "type": st.just("view_submission"),
        "team": st.just({"id": TEAM_ID}),
        "user": _someone,
        "view": st.fixed_dictionaries(
            {
                "type": st.just("modal"),
                "callback_id": st.just(listeners.FEEDBACK_MODAL),
                "private_metadata": _question_id,
                "state": st.fixed_dictionaries({"values": _comment | _json}),
            }
        ).flatmap(_mutated),
    }
).flatmap(_mutated)
# A timestamp header that is not a number of seconds.
_odd_timestamp = st.one_of(
    st.just(""),
    st.from_regex(r"[0-9]{1,10}[eE.+-][0-9]{0,6}", fullmatch=True),
    st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), max_size=30),
    st.just("9" * 5_000),
)


@dataclass(frozen=True)
class Delivery:
    """One request to the endpoint: its body, how it is encoded, and how it is signed."""

    body: Any
    encoding: str
    signing: str
    odd_timestamp: str


_deliveries = st.builds(
    Delivery,
    body=st.one_of(
        _callback,
        _callback,
        _callback,
        _feedback_click,
        _feedback_comment,
        _json,
        st.binary(max_size=2_000),
    ),
    encoding=st.sampled_from(["json", "form"]),
    signing=st.sampled_from(
        ["signed", "signed", "unsigned", "other secret", "stale", "odd timestamp"]
    ),
    odd_timestamp=_odd_timestamp,
)


def _encode(delivery: Delivery, *, event_id: str) -> tuple[bytes, dict[str, str]]:
    """The request's bytes and headers. Each event gets an id of its own (a retried delivery is
    another test's business); one that is not validly signed gets one the test then looks for."""
    body = delivery.body
    if isinstance(body, dict) and isinstance(body.get("event_id"), str):
        body = {**body, "event_id": event_id}
    if isinstance(body, bytes):
        content, content_type = body, "application/json"
    elif delivery.encoding == "form":
        content = urlencode({"payload": json.dumps(body)}).encode()
        content_type = "application/x-www-form-urlencoded"
    else:
        content, content_type = json.dumps(body, ensure_ascii=False).encode(), "application/json"
    text = content.decode("utf-8", errors="replace")
    match delivery.signing:
        case "signed":
            signature = payloads.signed_headers(text)
        case "other secret":
            signature = payloads.signed_headers(text, secret="another-app's-secret")
        case "stale":
            signature = payloads.signed_headers(text, timestamp=int(time.time()) - 3_600)
        case "odd timestamp":
            signature = payloads.signed_headers(text, timestamp=delivery.odd_timestamp)
        case _:
            signature = {}
    return content, {"Content-Type": content_type, **signature}


def _fuzz(url: str) -> None:
    """Send every example, checking each answer; runs in a thread, outside the event loop."""
    sent = iter(range(1_000_000))

    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(delivery=_deliveries)
    def send(delivery: Delivery) -> None:
        event_id = f"EvFUZZ{next(sent):06d}"
        content, headers = _encode(delivery, event_id=event_id)
        feedback_before = models.Feedback.objects.count()
        with httpx.Client(base_url=url, timeout=REQUEST_TIMEOUT_S) as client:
            response = client.post(
                "/slack/events", content=content, headers={"X-Forwarded-Proto": "https", **headers}
            )
        assert response.status_code < 500, (response.status_code, response.text[:200])
        if delivery.signing != "signed":
            assert response.status_code in {400, 401}, response.status_code
            assert not models.InboundEvent.objects.filter(event_id=event_id).exists()
            assert not models.Question.objects.filter(event_id=event_id).exists()
            assert models.Feedback.objects.count() == feedback_before

    try:
        send()
    finally:
        connections.close_all()


def _should_be_a_question(event: models.InboundEvent) -> bool:
    """A recorded mention or direct message with words in it becomes a stored question."""
    if event.event_type not in jobs.QUESTION_EVENTS:
        return False
    return bool(events.asked(event.payload).text)


async def _half_done() -> list[models.InboundEvent]:
    """The recorded question events without a question, or with one never finished."""
    unfinished = {models.QuestionStatus.RECEIVED, models.QuestionStatus.ANSWERING}
    statuses = {
        event_id: status
        async for event_id, status in models.Question.objects.values_list("event_id", "status")
    }
    return [
        event
        async for event in models.InboundEvent.objects.all()
        if _should_be_a_question(event)
        and statuses.get(event.event_id, models.QuestionStatus.RECEIVED) in unfinished
    ]


async def _settled() -> bool:
    return not await _half_done()


@pytest.mark.served
async def test_no_request_gets_a_5xx_or_stores_anything_unless_validly_signed(
    slack: FakeSlack, indexed_docs: None
) -> None:
    await QuestionFactory.acreate(id=QUESTION_ID, channel_id="C0001")
    environment = bot_environment(slack_api_url=slack.api_url)
    async with served("--no-migrate", environment=environment) as service:
        await asyncio.to_thread(_fuzz, service.url)
        with contextlib.suppress(TimeoutError):  # the assertion below says which
            await until(_settled, within_s=SETTLE_TIMEOUT_S)
        half_done = await _half_done()
        async with httpx.AsyncClient(base_url=service.url) as client:
            health = await client.get("/healthz")
        still_running = service.process.returncode is None

    assert half_done == []
    assert still_running
    assert health.status_code == 200
    assert "Traceback" not in "".join(service.log), "".join(service.log)[-3000:]
