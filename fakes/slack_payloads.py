"""Slack payloads as Slack documents them, signed with the signing secret as Slack signs them."""

import itertools
import json
import time
from typing import Any
from urllib.parse import urlencode

from slack_sdk.signature import SignatureVerifier

from fakes.slack import BOT_ID, BOT_USER_ID, TEAM_ID, slack_ts

SIGNING_SECRET = "test-signing-secret"
_ids = itertools.count(1)


def signed_headers(
    body: str, *, secret: str = SIGNING_SECRET, timestamp: int | str | None = None
) -> dict[str, str]:
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    signature = SignatureVerifier(secret).generate_signature(timestamp=stamp, body=body) or ""
    return {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": signature}


def event_headers(body: str) -> dict[str, str]:
    """The headers of an Events API request with this JSON body, signed now."""
    return {"Content-Type": "application/json", **signed_headers(body)}


def event_callback(event: dict[str, Any], *, event_id: str | None = None) -> str:
    return json.dumps(
        {
            "token": "unused",
            "team_id": TEAM_ID,
            "api_app_id": "A0001",
            "event": event,
            "type": "event_callback",
            "event_id": event_id or f"Ev{next(_ids):08d}",
            "event_time": int(time.time()),
            "authorizations": [{"team_id": TEAM_ID, "user_id": BOT_USER_ID, "is_bot": True}],
        }
    )


def _ts() -> str:
    return slack_ts()


def app_mention(
    text: str, *, channel: str = "C0001", user: str = "U0001", thread_ts: str | None = None
) -> dict[str, Any]:
    return _posted(
        {"type": "app_mention"},
        text=f"<@{BOT_USER_ID}> {text}",
        channel=channel,
        user=user,
        thread_ts=thread_ts,
    )


def direct_message(text: str, *, user: str = "U0001") -> dict[str, Any]:
    return _posted(
        {"type": "message", "channel_type": "im"},
        text=text,
        channel="D0001",
        user=user,
        thread_ts=None,
    )


def channel_message(
    text: str, *, channel: str = "C0001", user: str = "U0001", thread_ts: str | None = None
) -> dict[str, Any]:
    """A message posted in a public channel, without a mention."""
    return _posted(
        {"type": "message", "channel_type": "channel"},
        text=text,
        channel=channel,
        user=user,
        thread_ts=thread_ts,
    )


def _posted(
    kind: dict[str, str], *, text: str, channel: str, user: str, thread_ts: str | None
) -> dict[str, Any]:
    """A person's message event, posted now; in a thread when `thread_ts` is given."""
    event = {**kind, "user": user, "text": text, "ts": _ts(), "channel": channel, "event_ts": _ts()}
    if thread_ts:
        event["thread_ts"] = thread_ts
    return event


def bot_message(text: str, *, bot_id: str = "BOTHER") -> dict[str, Any]:
    return {
        "type": "message",
        "subtype": "bot_message",
        "channel_type": "im",
        "bot_id": bot_id,
        "text": text,
        "ts": _ts(),
        "channel": "D0001",
    }


def own_message(text: str) -> dict[str, Any]:
    return {
        "type": "message",
        "channel_type": "im",
        "user": BOT_USER_ID,
        "bot_id": BOT_ID,
        "text": text,
        "ts": _ts(),
        "channel": "D0001",
    }


def message_changed() -> dict[str, Any]:
    return {
        "type": "message",
        "subtype": "message_changed",
        "channel_type": "im",
        "channel": "D0001",
        "ts": _ts(),
        "message": {"type": "message", "user": "U0001", "text": "edited"},
    }


def messages_tab_opened() -> dict[str, Any]:
    return {
        "type": "app_home_opened",
        "user": "U0001",
        "channel": "D0001",
        "tab": "messages",
        "event_ts": _ts(),
    }


def block_action(
    action_id: str,
    value: str | None,
    *,
    user: str | None = "U0001",
    channel: str = "C0001",
    response_url: str | None = None,
) -> str:
    """A click on a button; without a value, or without a user, when they are None."""
    action = {"type": "button", "action_id": action_id, "block_id": "feedback", "action_ts": _ts()}
    if value is not None:
        action["value"] = value
    payload: dict[str, Any] = {
        "type": "block_actions",
        "team": {"id": TEAM_ID},
        "api_app_id": "A0001",
        "trigger_id": "13345224609.738474920.8088930838d88f008e0",
        "channel": {"id": channel},
        "container": {"type": "message", "message_ts": "1.000001", "channel_id": channel},
        "actions": [action],
    }
    if user is not None:
        payload["user"] = {"id": user}
    if response_url is not None:
        payload["response_url"] = response_url
    return urlencode({"payload": json.dumps(payload)})


def view_submission(
    callback_id: str, *, private_metadata: str, comment: str, user: str = "U0001"
) -> str:
    payload = {
        "type": "view_submission",
        "team": {"id": TEAM_ID},
        "user": {"id": user},
        "api_app_id": "A0001",
        "view": {
            "id": "V0001",
            "type": "modal",
            "callback_id": callback_id,
            "private_metadata": private_metadata,
            "state": {
                "values": {
                    "comment": {"comment_text": {"type": "plain_text_input", "value": comment}}
                }
            },
        },
    }
    return urlencode({"payload": json.dumps(payload)})


def slash_command(text: str, *, response_url: str, channel: str = "C0001") -> str:
    return urlencode(
        {
            "token": "unused",
            "team_id": TEAM_ID,
            "channel_id": channel,
            "user_id": "U0001",
            "command": "/kraken",
            "text": text,
            "response_url": response_url,
            "trigger_id": "1.2.3",
            "api_app_id": "A0001",
        }
    )


def message_shortcut(
    callback_id: str,
    *,
    channel: str,
    thread_ts: str,
    ts: str = "1767600003.000100",
    response_url: str = "https://hooks.slack.com/unused",
) -> str:
    """A shortcut on the message `ts` of the thread `thread_ts` (the same ts: its first one)."""
    payload = {
        "type": "message_action",
        "callback_id": callback_id,
        "trigger_id": "1.2.3",
        "team": {"id": TEAM_ID},
        "user": {"id": "U0001"},
        "channel": {"id": channel},
        "message": {
            "type": "message",
            "ts": ts,
            "thread_ts": thread_ts,
            "text": "…",
        },
        "response_url": response_url,
    }
    return urlencode({"payload": json.dumps(payload)})
