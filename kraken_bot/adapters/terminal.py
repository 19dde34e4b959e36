"""The terminal side of a command: confirming a second post, and showing progress.

Both look at whether a person is there: a question is asked only when stdin is a terminal (under
cron it is not, and the use case refuses rather than guess), and progress is drawn only when the
stream it goes to is a terminal, so logs and pipes stay clean.
"""

import asyncio
from typing import TextIO

from domain import records


class TerminalConfirmation:
    """Asks on `prompt_to` and reads the answer from `answers`."""

    def __init__(self, *, answers: TextIO, prompt_to: TextIO) -> None:
        self._answers = answers
        self._prompt_to = prompt_to

    @property
    def can_ask(self) -> bool:
        return self._answers.isatty()

    async def confirm_repost(self, *, previous: records.ReleaseNote) -> bool:
        self._prompt_to.write(
            f"Notes of this range were posted to {previous.posted_channel} "
            f"on {previous.created_at:%Y-%m-%d %H:%M} UTC (ts {previous.posted_ts}). "
            "Post them again? [y/N] "
        )
        self._prompt_to.flush()
        answer = await asyncio.to_thread(self._answers.readline)
        return answer.strip().lower() in {"y", "yes"}


class TerminalProgress:
    """Rewrites one status line on a terminal: commits read, pull requests fetched, and the notes
    being written (the model can take minutes)."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._drawn = False

    def commits_read(self, count: int) -> None:
        self._draw(f"Read {count:,} commits")

    def pull_requests_fetched(self, count: int) -> None:
        self._draw(f"Fetched {count:,} pull requests")

    def writing(self, changes: int) -> None:
        self._draw(f"Writing the notes of {changes:,} changes…")

    def finished(self) -> None:
        if self._drawn:
            self._stream.write("\n")
            self._stream.flush()
            self._drawn = False

    def _draw(self, text: str) -> None:
        self._stream.write(f"\r\x1b[K{text}")
        self._stream.flush()
        self._drawn = True


class NoProgress:
    """Progress for a stream that is not a terminal: nothing."""

    def commits_read(self, count: int) -> None:
        pass

    def pull_requests_fetched(self, count: int) -> None:
        pass

    def writing(self, changes: int) -> None:
        pass

    def finished(self) -> None:
        pass
