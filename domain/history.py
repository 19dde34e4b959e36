"""A range of git history as release notes see it: merge commits folded into the pull request they
merged, reverted-and-reverted-back pairs cancelled out, co-authors read from the trailers.

Pure functions over frozen dataclasses, with no I/O: a git reader produces the `GitCommit`s and
GitHub the `PullRequest`s; the release-notes use case turns them into `Change`s.
"""

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

_PR_MERGE = re.compile(r"^Merge pull request #(?P<number>\d+)\b")
_SQUASHED_PR = re.compile(r"\s*\(#(?P<number>\d+)\)$")
_REVERTS = re.compile(r"This reverts commit (?P<sha>[0-9a-f]{7,40})\b")
_NAME_AND_EMAIL = re.compile(r"^(?P<name>[^<]*?)\s*(<[^>]*>)?$")


@dataclass(frozen=True, kw_only=True)
class ReleaseRange:
    """The commits after `from_sha` (excluded; empty: from the first commit) up to `to_sha`."""

    repository: str
    from_ref: str
    from_sha: str
    to_ref: str
    to_sha: str


@dataclass(frozen=True, kw_only=True)
class GitCommit:
    """One commit as git log gives it; `trailers` are (key, value) pairs in message order."""

    sha: str
    parents: tuple[str, ...]
    author: str
    committed_at: dt.datetime
    subject: str
    body: str = ""
    trailers: tuple[tuple[str, str], ...] = ()

    @property
    def co_authors(self) -> tuple[str, ...]:
        """The names in the `Co-authored-by` trailers."""
        return tuple(
            _name(value) for key, value in self.trailers if key.lower() == "co-authored-by"
        )

    @property
    def merged_pull_request(self) -> int | None:
        """The pull request a GitHub merge commit merged, or a squashed commit's `(#N)`."""
        match = _PR_MERGE.match(self.subject) or _SQUASHED_PR.search(self.subject)
        return int(match["number"]) if match else None

    @property
    def reverted_sha(self) -> str:
        """The commit this one reverts (as `git revert` writes it), or an empty string."""
        match = _REVERTS.search(self.body)
        return match["sha"] if match else ""


@dataclass(frozen=True, kw_only=True)
class PullRequest:
    """A merged pull request as GitHub describes it."""

    number: int
    title: str
    labels: tuple[str, ...] = ()
    merge_commit_sha: str = ""


@dataclass(frozen=True, kw_only=True)
class Change:
    """One entry of the notes: a pull request with the commits it merged, or a lone commit.

    `authors` are the authors and co-authors of every commit in it, first appearance first.
    """

    sha: str
    subject: str
    body: str
    authors: tuple[str, ...]
    pr_number: int | None = None
    labels: tuple[str, ...] = ()


def changes_of(*, commits: Sequence[GitCommit], tip: str) -> list[Change]:
    """The changes of a range, oldest first, from its commits as `git log --topo-order` lists them
    (newest first) and the range's last commit.

    Each GitHub merge commit on the first-parent line from `tip` becomes one change holding the
    commits it merged; other merges are dropped and the commits they merged kept one by one. A
    commit and its revert cancel out, so a revert of a revert leaves the original change; a merge
    that was reverted takes the commits it merged with it, and a merge whose commits all cancelled
    out (a pull request of a revert) goes too.
    """
    by_sha = {commit.sha: commit for commit in commits}
    cancelled = _cancelled_by_reverts(commits, by_sha)
    mainline = _first_parent_line(tip, by_sha)
    on_mainline = {commit.sha for commit in mainline}
    claimed: set[str] = set()
    changes: list[Change] = []
    position = {commit.sha: index for index, commit in enumerate(commits)}
    for commit in reversed(mainline):
        if len(commit.parents) < 2:
            if commit.sha not in cancelled:
                changes.append(_lone_change(commit))
            continue
        merged = [
            sha
            for sha in _merged_by(commit, by_sha, on_mainline, claimed)
            if len(by_sha[sha].parents) < 2
        ]
        kept = sorted(
            (sha for sha in merged if sha not in cancelled),
            key=position.__getitem__,
            reverse=True,
        )
        if commit.sha in cancelled or (merged and not kept):
            continue
        changes.extend(_merge_changes(commit, [by_sha[sha] for sha in kept]))
    return changes


def with_pull_requests(
    *, changes: Iterable[Change], pull_requests: Iterable[PullRequest]
) -> list[Change]:
    """The changes with the title, labels and number of their pull request where GitHub knows it,
    matched by number or by the commit the pull request was merged as (squash or rebase)."""
    by_number: dict[int, PullRequest] = {}
    by_sha: dict[str, PullRequest] = {}
    for pull_request in pull_requests:
        by_number[pull_request.number] = pull_request
        if pull_request.merge_commit_sha:
            by_sha[pull_request.merge_commit_sha] = pull_request
    enriched = []
    for change in changes:
        found = by_number.get(change.pr_number or 0) or by_sha.get(change.sha)
        if found is not None:
            change = replace(
                change, subject=found.title, labels=found.labels, pr_number=found.number
            )
        enriched.append(change)
    return enriched


def _cancelled_by_reverts(commits: Sequence[GitCommit], by_sha: dict[str, GitCommit]) -> set[str]:
    cancelled: set[str] = set()
    for commit in commits:
        if commit.sha in cancelled or not commit.reverted_sha:
            continue
        target = _find(commit.reverted_sha, by_sha)
        if target and target not in cancelled:
            cancelled.update({commit.sha, target})
    return cancelled


def _find(sha: str, by_sha: dict[str, GitCommit]) -> str:
    if sha in by_sha:
        return sha
    return next((full for full in by_sha if full.startswith(sha)), "")


def _first_parent_line(tip: str, by_sha: dict[str, GitCommit]) -> list[GitCommit]:
    line = []
    commit = by_sha.get(tip)
    while commit is not None:
        line.append(commit)
        commit = by_sha.get(commit.parents[0]) if commit.parents else None
    return line


def _merged_by(
    merge: GitCommit, by_sha: dict[str, GitCommit], on_mainline: set[str], claimed: set[str]
) -> list[str]:
    """The commits of the range that the merge brought in and no earlier merge did."""
    merged = []
    pending = list(merge.parents[1:])
    while pending:
        sha = pending.pop()
        if sha not in by_sha or sha in on_mainline or sha in claimed:
            continue
        claimed.add(sha)
        merged.append(sha)
        pending.extend(by_sha[sha].parents)
    return merged


def _merge_changes(merge: GitCommit, merged: list[GitCommit]) -> list[Change]:
    number = merge.merged_pull_request
    if number is None:
        return [_lone_change(commit) for commit in merged]
    title, _, body = merge.body.partition("\n")
    authors = _authors(merged) if merged else _authors([merge])
    # GitHub puts the pull request's title under the merge's subject; `git merge` by hand may not.
    untitled = merged[0].subject if merged else merge.subject
    return [
        Change(
            sha=merge.sha,
            subject=title.strip() or untitled,
            body=body.strip(),
            authors=authors,
            pr_number=number,
        )
    ]


def _lone_change(commit: GitCommit) -> Change:
    number = commit.merged_pull_request
    subject = _SQUASHED_PR.sub("", commit.subject) if number else commit.subject
    return Change(
        sha=commit.sha,
        subject=subject,
        body=commit.body,
        authors=_authors([commit]),
        pr_number=number,
    )


def _authors(commits: Iterable[GitCommit]) -> tuple[str, ...]:
    names = (name for commit in commits for name in (commit.author, *commit.co_authors))
    return tuple(dict.fromkeys(name for name in names if name))


def _name(value: str) -> str:
    match = _NAME_AND_EMAIL.match(value.strip())
    return match["name"].strip() if match else value.strip()
