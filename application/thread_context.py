"""The thread so far, as context for an answer or a summary, within a token budget.

The chat's own record of the thread (Slack's `conversations.replies`, cached by the interface
because Slack allows apps about one call a minute) gives what everyone said. What the bot stored,
the questions it answered in the thread and its answers, fills in what that record lacks: one read
a minute earlier misses the bot's latest answer, which a follow-up question needs. When the chat
refuses, the stored exchanges are enough, with a note saying so. The most recent messages are kept
first, so a long thread never overflows the model's context.
"""

import dataclasses
import logging
from dataclasses import dataclass

from application import ports
from domain import queries, records

logger = logging.getLogger(__name__)

# A rough count that errs on the side of fewer tokens: about four characters a token.
CHARACTERS_PER_TOKEN = 4
STORED_EXCHANGES = 20
# Marks where a message too long for the budget was cut.
_CUT = "…"
LIMITED_NOTE = (
    "Slack limited how much of this thread I could read, so I used the part I keep myself."
)


@dataclass(frozen=True, kw_only=True)
class ThreadContext:
    messages: tuple[records.ThreadMessage, ...]
    note: str = ""


async def thread_context(
    *,
    origin: records.SlackOrigin,
    replies: ports.ThreadReplies | None,
    budget_tokens: int,
) -> ThreadContext:
    """The thread's messages, oldest first, the newest of them that fit in `budget_tokens`."""
    note = ""
    said: list[records.ThreadMessage] = []
    if replies is not None:
        try:
            said = await replies.replies()
        except ports.RepliesUnavailable:
            logger.info(
                "Thread replies unavailable for %s; using stored exchanges", origin.thread_ts
            )
            note = LIMITED_NOTE
    stored = await _stored_exchanges(origin)
    messages = _merged(said, stored, asked_ts=origin.message_ts)
    return ThreadContext(messages=_within_budget(messages, budget_tokens), note=note)


def _merged(
    said: list[records.ThreadMessage], stored: list[records.ThreadMessage], *, asked_ts: str
) -> list[records.ThreadMessage]:
    """The chat's record of the thread with the stored messages it lacks, in thread order. The
    question being answered is not context, and an answer shown to its asker alone has no place
    in the thread."""
    known = {message.ts for message in said} | {asked_ts}
    lacking = [message for message in stored if message.ts and message.ts not in known]
    return sorted([*said, *lacking], key=_place)


def _place(message: records.ThreadMessage) -> float:
    try:
        return float(message.ts)
    except ValueError:
        return 0.0


async def _stored_exchanges(origin: records.SlackOrigin) -> list[records.ThreadMessage]:
    exchanges = await queries.list_thread_exchanges(
        team_id=origin.team_id,
        channel_id=origin.channel_id,
        thread_ts=origin.thread_ts,
        limit=STORED_EXCHANGES,
    )
    messages = []
    for question in exchanges:
        author = question.slack.user_id if question.slack else "someone"
        asked_ts = question.slack.message_ts if question.slack else ""
        messages.append(records.ThreadMessage(author=author, text=question.text, ts=asked_ts))
        messages.append(
            records.ThreadMessage(
                author="Kraken Bot", text=question.answer, from_bot=True, ts=question.reply_ts
            )
        )
    return messages


def _within_budget(
    messages: list[records.ThreadMessage], budget_tokens: int
) -> tuple[records.ThreadMessage, ...]:
    """The newest messages that fit; the first that does not is kept by its end (a pasted log's
    error is at its end), and none older."""
    kept: list[records.ThreadMessage] = []
    remaining = budget_tokens * CHARACTERS_PER_TOKEN
    for message in reversed(messages):
        size = len(message.author) + len(message.text) + 2
        if size > remaining:
            room = remaining - len(message.author) - 2 - len(_CUT)
            if room > 0:
                kept.append(dataclasses.replace(message, text=_CUT + message.text[-room:]))
            break
        kept.append(message)
        remaining -= size
    return tuple(reversed(kept))
