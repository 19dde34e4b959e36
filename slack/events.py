"""Which Slack events the bot acts on, and the question each one carries.

Slack sends much the bot must not answer: its own messages and other apps' (answering them would
loop), edits and deletions (`message_changed` also arrives for link unfurls and thread replies),
joins and other subtypes, replies in threads it was not asked in, and channel messages that are
not questions. Deciding here, before the event is recorded, keeps the inbox to the events that
become work. A channel message that looks like a question is answered only where the channel's
settings say to answer every question (the inbox asks them).
"""

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from domain import records

# Slack's markup in a message's text: `<@U…>`, `<#C…|name>`, `<!here>`, `<https://…|label>`.
_MARKUP = re.compile(r"<([^<>|]*)(?:\|([^<>]*))?>")
# An escaped "<", unless undoing it would make markup again ("<!here>" typed as text).
_ESCAPED_LT = re.compile(r"&lt;(?![!@#])")
_LEADING_MENTION = re.compile(r"^\s*<@[A-Z0-9]+(?:\|[^>]*)?>")
# Asking for a summary is the word alone, or with the thread named: "summarise this thread".
_SUMMARISE = re.compile(
    r"^(?:please\s+)?(?:summari[sz]e|tl;?dr)"
    r"(?:\s+(?:this|(?:(?:this|the)\s+)?(?:thread|conversation|discussion|chat)))?"
    r"(?:,?\s+please)?[\s.!?]*$",
    re.I,
)
_QUESTION_WORDS = re.compile(
    r"^\s*(how|what|why|where|when|who|whom|whose|which|can|could|does|do|did|is|are|was|were|"
    r"should|would|will|may|might|has|have|any|anyone|anybody|is there|are there)\b",
    re.I,
)


class EventKind(StrEnum):
    MENTION = "mention"
    DIRECT_MESSAGE = "direct_message"
    CHANNEL_QUESTION = "channel_question"
    ASSISTANT_THREAD = "assistant_thread"
    MESSAGES_TAB_OPENED = "messages_tab_opened"
    IGNORED = "ignored"


@dataclass(frozen=True, kw_only=True)
class Asked:
    """What a person asked, and where, taken from a mention or a direct message."""

    text: str
    origin: records.SlackOrigin
    wants_summary: bool
    # Posted in a channel without a mention: answered only where every question is.
    unaddressed: bool = False


def readable(body: dict[str, Any]) -> bool:
    """Whether bolt can read the body: its own middleware and matchers take an `event` and a
    `view` for objects, a view with a `callback_id` to have a `type` too (bolt reads it to tell
    workflow steps apart), and `actions` for a list that starts with an action."""
    view = body.get("view", {})
    return (
        isinstance(body.get("event", {}), dict)
        and isinstance(view, dict)
        and ("callback_id" not in view or "type" in view)
        and ("actions" not in body or _starts_with_an_action(body["actions"]))
    )


def _starts_with_an_action(actions: Any) -> bool:
    return (
        isinstance(actions, list)
        and bool(actions)
        and isinstance(actions[0], dict)
        and "action_id" in actions[0]
    )


def kind_of(body: dict[str, Any], *, bot_user_id: str | None) -> EventKind:
    """What the bot does with an Events API payload."""
    event = body.get("event")
    if not isinstance(event, dict) or not _is_text(body.get("event_id")):
        return EventKind.IGNORED
    match event.get("type"):
        case "app_mention" if _from_a_person(event, bot_user_id):
            return EventKind.MENTION
        case "message" if event.get("channel_type") == "im" and _from_a_person(event, bot_user_id):
            return EventKind.DIRECT_MESSAGE
        case "message" if _a_question_in_a_channel(event, bot_user_id):
            return EventKind.CHANNEL_QUESTION
        case "assistant_thread_started" | "assistant_thread_context_changed" if _in_a_thread(
            event.get("assistant_thread")
        ):
            return EventKind.ASSISTANT_THREAD
        case "app_home_opened" if event.get("tab") == "messages" and _is_text(event.get("channel")):
            return EventKind.MESSAGES_TAB_OPENED
    return EventKind.IGNORED


def _from_a_person(event: dict[str, Any], bot_user_id: str | None) -> bool:
    """A person's message, saying where it was (channel, ts, thread): what an answer needs."""
    return (
        ("subtype" not in event or event["subtype"] in _A_PERSONS_SUBTYPES)
        and not event.get("bot_id")
        and _is_text(event.get("user"))
        and event.get("user") != bot_user_id
        and _is_text(event.get("channel"))
        and _is_text(event.get("ts"))
        and isinstance(event.get("thread_ts", ""), str)
        and isinstance(event.get("text", ""), str)
    )


# Of Slack's message subtypes, those of a message a person posts: one that shares a file, and a
# reply also sent to the channel. The others are edits, deletions, joins, apps' messages and such.
_A_PERSONS_SUBTYPES = frozenset({"file_share", "thread_broadcast"})


def _a_question_in_a_channel(event: dict[str, Any], bot_user_id: str | None) -> bool:
    """A person's message that starts a thread in a channel, looks like a question, and does not
    mention the bot (the mention is its own event)."""
    text = event.get("text", "")
    return (
        event.get("channel_type") in ("channel", "group")
        and _from_a_person(event, bot_user_id)
        and event.get("thread_ts", event.get("ts")) == event.get("ts")
        and f"<@{bot_user_id}" not in text
        and looks_like_a_question(text)
    )


def looks_like_a_question(text: str) -> bool:
    """A question mark, or a first word that asks ("how", "is there", "can"…), outside Slack's
    markup: a link's query string asks nothing."""
    plain = _MARKUP.sub(" ", text).strip()
    return "?" in plain or bool(_QUESTION_WORDS.match(plain))


def _in_a_thread(thread: Any) -> bool:
    return (
        isinstance(thread, dict)
        and _is_text(thread.get("channel_id"))
        and _is_text(thread.get("thread_ts"))
    )


def _is_text(value: Any) -> bool:
    return isinstance(value, str) and bool(value)


def message_key(body: dict[str, Any]) -> str | None:
    """The message an event is about: a mention Slack also delivers as a message is one question."""
    event = body.get("event") or {}
    if not event.get("ts") or not event.get("channel"):
        return None
    return f"{body.get('team_id', '')}:{event['channel']}:{event['ts']}"


def asked(body: dict[str, Any]) -> Asked:
    """The question in a mention or direct message, as a person reads it, without the bot's
    mention, and where to answer: in the thread the message is in, or in a new thread under it."""
    event = body["event"]
    bot_user_id = _bot_user_id(body)
    text = event.get("text", "")
    # Without the bot's id, a mention that opens the text is taken for the bot's.
    text = in_words(
        text if bot_user_id else _LEADING_MENTION.sub("", text), bot_user_id=bot_user_id
    )
    return Asked(
        text=text,
        origin=records.SlackOrigin(
            team_id=str(body.get("team_id") or event.get("team", "")),
            channel_id=event["channel"],
            user_id=event["user"],
            thread_ts=event.get("thread_ts") or event["ts"],
            message_ts=event["ts"],
            event_id=body.get("event_id"),
        ),
        wants_summary=bool(event.get("thread_ts")) and bool(_SUMMARISE.match(text)),
        unaddressed=event.get("type") == "message" and event.get("channel_type") != "im",
    )


def in_words(text: str, *, bot_user_id: str = "") -> str:
    """The text in words: Slack's markup written as a person sees it (`@name`, `#channel`, a
    link's label and address) and its escapes undone, except where that would make markup that
    pings; the bot's mention, if its id is given, left out."""
    words = _MARKUP.sub(lambda markup: _in_words(markup[1], markup[2], bot_user_id), text)
    words = _ESCAPED_LT.sub("<", words).replace("&gt;", ">").replace("&amp;", "&")
    return words.strip()


def _in_words(target: str, label: str | None, bot_user_id: str) -> str:
    if bot_user_id and target == f"@{bot_user_id}":
        return ""
    if target.startswith(("@", "#")):
        return f"{target[0]}{label}" if label else target
    if target.startswith("!"):
        return label or f"@{target[1:]}"
    return f"{label} ({target})" if label and label != target else target


def _bot_user_id(body: dict[str, Any]) -> str:
    """The bot's user id, from the authorization Slack sends with each event."""
    authorizations = body.get("authorizations")
    first = authorizations[0] if isinstance(authorizations, list) and authorizations else None
    return str(first.get("user_id") or "") if isinstance(first, dict) else ""
