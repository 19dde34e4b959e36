"""The release-notes use case: read a range of git history (and its pull requests from GitHub when
asked), have the writer agent group the changes, store the notes, and post them to a channel.

What can fail without stopping the notes falls back with a warning: GitHub to git alone, the model
to the offline grouping (its error stored on the notes). Posting is a step of its own, taken after
the notes are stored and written out, so notes Slack refuses are not lost.
"""

import datetime as dt
import logging
from dataclasses import dataclass

from agents import errors, release_notes
from application import metrics, release_notes_document, release_notes_ports
from domain import history, operations, queries, records

logger = logging.getLogger(__name__)

# How often (in commits or pull requests) the progress display is told how far reading got.
PROGRESS_EVERY = 250


class EmptyRange(Exception):
    """The range holds no commits, so there is nothing to write."""

    def __init__(self, release_range: history.ReleaseRange) -> None:
        start = release_range.from_ref or "the first commit"
        super().__init__(f"No commits between {start} and {release_range.to_ref}: nothing to write")
        self.release_range = release_range


class AlreadyPosted(Exception):
    """Notes of this range were posted to the channel before, and posting again was not
    confirmed."""


@dataclass(frozen=True, kw_only=True)
class ReleaseNotesRequest:
    """What to write: a range of the repository, its GitHub repo (`owner/name`, optional) and the
    web address of that GitHub, the channel to post to (optional) and whether to post again
    without asking."""

    from_ref: str | None
    to_ref: str
    github_repo: str = ""
    github_web_url: str = release_notes_document.GITHUB_WEB_URL
    post_channel: str = ""
    force: bool = False


@dataclass(frozen=True, kw_only=True)
class GeneratedNotes:
    notes: release_notes_document.ReleaseNotesDocument
    stored: records.ReleaseNote


async def generate_release_notes(
    *,
    request: ReleaseNotesRequest,
    adapters: release_notes_ports.ReleaseNotesAdapters,
    now: dt.datetime,
) -> GeneratedNotes:
    """Write and store the release notes of a range. When they are to be posted, notes of the
    same range posted to that channel before are found first, before any work is done.

    Raises: EmptyRange, AlreadyPosted, NotARepository, ShallowClone, UnknownRef, GitFailed.
    """
    release_range = await adapters.git.resolve_range(
        from_ref=request.from_ref, to_ref=request.to_ref
    )
    if request.post_channel and not request.force:
        await _confirm_not_posted(release_range, request.post_channel, adapters.confirmation)
    commits = await _read_commits(release_range, adapters)
    if not commits:
        raise EmptyRange(release_range)
    changes = history.changes_of(commits=commits, tip=release_range.to_sha)
    warnings: list[str] = []
    if adapters.pull_requests is not None:
        changes = await _with_pull_requests(
            changes, commits, adapters.pull_requests, adapters.progress, warnings
        )
    adapters.progress.writing(len(changes))
    written, llm_error = await _written_notes(changes, warnings)
    adapters.progress.finished()
    metrics.count_usage(written.usage)
    notes = release_notes_document.ReleaseNotesDocument(
        release_range=release_range,
        commit_count=len(commits),
        sections=tuple(
            release_notes_document.Section(title=section.title, items=tuple(section.items))
            for section in written.notes.sections
        ),
        contributors=tuple(written.notes.contributors),
        model_name=written.usage.model_name,
        warnings=tuple(warnings),
        github_repo=request.github_repo,
        github_web_url=request.github_web_url,
    )
    stored = await operations.record_release_note(
        repository=release_range.repository,
        from_ref=release_range.from_ref,
        to_ref=release_range.to_ref,
        from_sha=release_range.from_sha,
        to_sha=release_range.to_sha,
        commit_count=notes.commit_count,
        markdown=release_notes_document.render_markdown(notes),
        model_name=notes.model_name,
        warnings=notes.warnings,
        llm_error=llm_error,
        created_at=now,
    )
    return GeneratedNotes(notes=notes, stored=stored)


async def post_release_notes(
    *,
    generated: GeneratedNotes,
    channel: str,
    publisher: release_notes_ports.ReleaseNotesPublisher,
) -> records.ReleaseNote:
    """Post stored notes to a channel and remember where, so that posting them again is noticed.

    Raises: UnableToPost.
    """
    try:
        ts = await publisher.publish(channel=channel, notes=generated.notes)
    except release_notes_ports.UnableToPost as failed:
        # Part of them shows in the channel: posting them again asks first too.
        if failed.first_ts:
            await operations.record_release_note_posted(
                release_note_id=generated.stored.id, channel=channel, ts=failed.first_ts
            )
        raise
    return await operations.record_release_note_posted(
        release_note_id=generated.stored.id, channel=channel, ts=ts
    )


async def _confirm_not_posted(
    release_range: history.ReleaseRange,
    channel: str,
    confirmation: release_notes_ports.RepostConfirmation,
) -> None:
    previous = await queries.find_posted_release_note(
        from_sha=release_range.from_sha,
        to_sha=release_range.to_sha,
        channel=channel,
    )
    if previous is None:
        return
    posted = f"Notes of this range were already posted to {channel} (ts {previous.posted_ts})"
    if not confirmation.can_ask:
        raise AlreadyPosted(f"{posted}; with no terminal to confirm, not posting again")
    if not await confirmation.confirm_repost(previous=previous):
        raise AlreadyPosted(f"{posted}; not posting again")


async def _read_commits(
    release_range: history.ReleaseRange, adapters: release_notes_ports.ReleaseNotesAdapters
) -> list[history.GitCommit]:
    commits = []
    async for commit in adapters.git.commits(release_range=release_range):
        commits.append(commit)
        if len(commits) % PROGRESS_EVERY == 0:
            adapters.progress.commits_read(len(commits))
    adapters.progress.commits_read(len(commits))
    adapters.progress.finished()
    return commits


async def _with_pull_requests(
    changes: list[history.Change],
    commits: list[history.GitCommit],
    source: release_notes_ports.PullRequestSource,
    progress: release_notes_ports.Progress,
    warnings: list[str],
) -> list[history.Change]:
    since = min(commit.committed_at for commit in commits)
    pull_requests = []
    try:
        async for pull_request in source.merged_pull_requests(since=since):
            pull_requests.append(pull_request)
            if len(pull_requests) % PROGRESS_EVERY == 0:
                progress.pull_requests_fetched(len(pull_requests))
    except release_notes_ports.GitHubUnavailable as error:
        warnings.append(f"{error}; the notes use git alone")
        return changes
    finally:
        progress.pull_requests_fetched(len(pull_requests))
        progress.finished()
    return history.with_pull_requests(changes=changes, pull_requests=pull_requests)


async def _written_notes(
    changes: list[history.Change], warnings: list[str]
) -> tuple[release_notes.WrittenNotes, str]:
    commits = [
        release_notes.Commit(
            sha=change.sha,
            subject=change.subject,
            author=change.authors[0] if change.authors else "",
            co_authors=change.authors[1:],
            body=change.body,
            pr_number=change.pr_number,
            labels=change.labels,
        )
        for change in changes
    ]
    try:
        return await release_notes.write_release_notes(commits=commits), ""
    except errors.UnableToAnswer as error:
        logger.warning("Release notes fell back to the offline grouping", extra={"error": error})
        warnings.append(f"{error}; the notes use the offline grouping")
        return release_notes.write_offline_notes(commits=commits), str(error)
