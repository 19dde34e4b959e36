"""The ports of the use cases: what they need from the outside world, as Protocols.

Slack (in `slack/`), the console (`manage.py ask`) and the test fakes implement them.
"""

from dataclasses import dataclass
from typing import Protocol

from domain import records


@dataclass(frozen=True, kw_only=True)
class Reply:
    """An answer ready to show: its text and the sources under it, numbered in order."""

    question_id: int | None
    text: str
    citations: tuple[records.Citation, ...] = ()


class AnswerWriter(Protocol):
    """One answer being shown as it is written. `append` never raises: a writer that cannot
    stream keeps the text and shows it whole when the answer is finished. Its calls never
    overlap: each is awaited before the next is made."""

    async def append(self, *, text: str) -> None:
        """Show the next piece of the answer's text."""

    async def finish(self, *, reply: Reply) -> str:
        """Show the whole answer with its sources; return an id of the message (Slack's ts)."""

    async def fail(self, *, text: str) -> None:
        """Tell the person briefly that the bot could not answer (in place of any partial text)."""


class ChatPort(Protocol):
    """How a use case talks to the person who asked."""

    async def show_status(self, *, text: str) -> None:
        """Tell the person the bot is working on it."""

    def answer_writer(self) -> AnswerWriter:
        """A writer for the answer; it shows nothing until text arrives."""


class RepliesUnavailable(Exception):
    """The chat would not give the thread's messages now (Slack's rate limit)."""


class ThreadReplies(Protocol):
    """The messages of the thread a question was asked in, oldest first."""

    async def replies(self) -> list[records.ThreadMessage]:
        """Raises: RepliesUnavailable."""
