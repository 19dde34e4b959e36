"""Clicks under an answer as Slack sends them back: 👍 or 👎, the comment form that follows a 👎,
and "Show to everyone" under a private answer.

Each carries the question's id as `rendering` wrote it, a button in its value, the form in its
private metadata. A payload without a question id, or without the person (and for a click, the
channel, or for a share, where to reply) it came from, is not one the bot can act on.
"""

import re
from dataclasses import dataclass
from typing import Any

from slack import rendering

# A row id: positive, and with at most 18 digits below the largest a database keeps (2**63 - 1).
_QUESTION_ID = re.compile(r"[1-9][0-9]{0,17}")


class UnreadableFeedback(ValueError):
    """The payload does not say which question the feedback is on, who gave it, or where."""


@dataclass(frozen=True, kw_only=True)
class Verdict:
    question_id: int
    user_id: str
    channel_id: str
    score: int
    # What opens the comment form; empty when Slack sent none.
    trigger_id: str


@dataclass(frozen=True, kw_only=True)
class Comment:
    question_id: int
    user_id: str
    text: str


@dataclass(frozen=True, kw_only=True)
class Share:
    question_id: int
    user_id: str
    # Where to tell the person how it went, only to them.
    response_url: str


def share(body: dict[str, Any], action: dict[str, Any]) -> Share:
    """A click on "Show to everyone".

    Raises: UnreadableFeedback.
    """
    response_url = body.get("response_url")
    if not isinstance(response_url, str) or not response_url:
        raise UnreadableFeedback("The click does not say where to reply")
    return Share(
        question_id=_question_id(action.get("value")),
        user_id=_id_of(body.get("user")),
        response_url=response_url,
    )


def verdict(body: dict[str, Any], action: dict[str, Any]) -> Verdict:
    """The verdict of a click on a feedback button.

    Raises: UnreadableFeedback.
    """
    trigger_id = body.get("trigger_id")
    return Verdict(
        question_id=_question_id(action.get("value")),
        user_id=_id_of(body.get("user")),
        channel_id=_id_of(body.get("channel")),
        score=1 if action.get("action_id") == rendering.FEEDBACK_UP else -1,
        trigger_id=trigger_id if isinstance(trigger_id, str) else "",
    )


def comment(body: dict[str, Any], view: dict[str, Any]) -> Comment:
    """The comment sent with the feedback form.

    Raises: UnreadableFeedback.
    """
    return Comment(
        question_id=_question_id(view.get("private_metadata")),
        user_id=_id_of(body.get("user")),
        text=rendering.feedback_comment(view),
    )


def _question_id(value: Any) -> int:
    if not isinstance(value, str) or not _QUESTION_ID.fullmatch(value):
        raise UnreadableFeedback("The feedback names no question")
    return int(value)


def _id_of(holder: Any) -> str:
    """The id of a user or a channel, as Slack sends them: `{"id": "U0001", …}`."""
    found = holder.get("id") if isinstance(holder, dict) else None
    if not isinstance(found, str) or not found:
        raise UnreadableFeedback("The feedback does not say who gave it, or where")
    return found
