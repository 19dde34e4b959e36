"""What writing release notes needs from the outside world, as ports: the git history, GitHub's
pull requests, a place to publish the notes (Slack), a person to confirm a second post, and a
progress display. Each port's failures are named here, next to the port whose adapters raise them.
"""

import datetime as dt
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Protocol

from application import release_notes_document
from domain import history, records


class NotARepository(Exception):
    """The path is not inside a git repository."""


class ShallowClone(Exception):
    """The repository is a shallow clone: its history stops short of the range's start and of the
    tag it would start from."""


class UnknownRef(Exception):
    """A ref names no commit of the repository."""


class GitFailed(Exception):
    """git could not be run, or failed in a way the other errors do not name."""


class GitHubUnavailable(Exception):
    """GitHub could not be asked (refused, rate-limited for too long, too slow, unreachable)."""


class UnableToPost(Exception):
    """The notes could not be published; the message says where and why. `first_ts` is the
    message the notes began in, when their first part was posted before the failure."""

    def __init__(self, message: str, *, first_ts: str = "") -> None:
        super().__init__(message)
        self.first_ts = first_ts


class GitHistory(Protocol):
    async def resolve_range(self, *, from_ref: str | None, to_ref: str) -> history.ReleaseRange:
        """The range with its refs resolved; no `from_ref` means the latest tag reachable from
        `to_ref`, or the first commit when there is none.

        Raises: NotARepository, ShallowClone, UnknownRef, GitFailed.
        """
        ...

    def commits(self, *, release_range: history.ReleaseRange) -> AsyncIterator[history.GitCommit]:
        """The commits of the range, newest first in topological order, as they are read.

        Raises: GitFailed.
        """
        ...


class PullRequestSource(Protocol):
    def merged_pull_requests(self, *, since: dt.datetime) -> AsyncIterator[history.PullRequest]:
        """The pull requests merged since the time (at least), page by page.

        Raises: GitHubUnavailable.
        """
        ...


class ReleaseNotesPublisher(Protocol):
    async def publish(
        self, *, channel: str, notes: release_notes_document.ReleaseNotesDocument
    ) -> str:
        """Post the notes to the channel; return the id (Slack's ts) of the first message.

        Raises: UnableToPost.
        """
        ...


class RepostConfirmation(Protocol):
    @property
    def can_ask(self) -> bool:
        """Whether someone is there to answer (a terminal), rather than cron."""
        ...

    async def confirm_repost(self, *, previous: records.ReleaseNote) -> bool:
        """Ask whether to post notes of a range that was already posted."""
        ...


class Progress(Protocol):
    def commits_read(self, count: int) -> None: ...

    def pull_requests_fetched(self, count: int) -> None: ...

    def writing(self, changes: int) -> None: ...

    def finished(self) -> None: ...


@dataclass(frozen=True, kw_only=True)
class ReleaseNotesAdapters:
    """The adapters one run uses; GitHub only when it was asked for."""

    git: GitHistory
    publisher: ReleaseNotesPublisher
    confirmation: RepostConfirmation
    progress: Progress
    pull_requests: PullRequestSource | None = None
