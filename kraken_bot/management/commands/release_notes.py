"""`manage.py release_notes`: write the release notes of a range of a git repository, store them,
print them or write them to a file, and post them to Slack when asked."""

import asyncio
import re
import sys
import urllib.parse
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import CommandError, CommandParser
from django.utils import timezone

from application import release_notes, release_notes_document, release_notes_ports
from kraken_bot.adapters import git_history, github_pull_requests, terminal
from kraken_bot.management.base import AsyncCommand
from slack import release_notes_poster

_GITHUB_REPO = re.compile(r"^[\w.-]+/[\w.-]+$")
# Where GitHub Enterprise Server serves its REST API, under its own host.
_ENTERPRISE_API_PATH = "/api/v3"
_RENDERERS: dict[str, Callable[[release_notes_document.ReleaseNotesDocument], str]] = {
    "markdown": release_notes_document.render_markdown,
    "slack": release_notes_poster.render_mrkdwn,
    "json": release_notes_document.render_json,
}
_FAILURES = (
    release_notes_ports.NotARepository,
    release_notes_ports.ShallowClone,
    release_notes_ports.UnknownRef,
    release_notes_ports.GitFailed,
)


class Command(AsyncCommand):
    help = (
        "Write release notes for the commits between two refs of a git repository; print them, "
        "write them to a file, or post them to a Slack channel."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--repo", default=".", help="The git repository (default: here).")
        parser.add_argument(
            "--from",
            dest="from_ref",
            help="Start after this ref (default: the latest tag before --to).",
        )
        parser.add_argument("--to", dest="to_ref", default="HEAD", help="End at this ref.")
        parser.add_argument("--format", choices=sorted(_RENDERERS), default="markdown")
        parser.add_argument("--output", help="Write the notes to this file instead of stdout.")
        parser.add_argument("--post", metavar="CHANNEL", help="Post the notes to this channel.")
        parser.add_argument(
            "--github",
            metavar="OWNER/REPO",
            help="Read pull request titles and labels from GitHub (needs GITHUB_TOKEN).",
        )
        parser.add_argument(
            "--force", action="store_true", help="Post even if this range was posted before."
        )

    async def ahandle(self, *args: Any, **options: Any) -> None:
        github_repo = options["github"] or ""
        channel = options["post"] or ""
        if github_repo and not _GITHUB_REPO.match(github_repo):
            raise CommandError(f"--github takes OWNER/REPO, not {github_repo!r}")
        if github_repo and not settings.GITHUB_TOKEN:
            raise CommandError("--github needs GITHUB_TOKEN: set it to a token that reads the repo")
        if channel and not settings.SLACK_BOT_TOKEN:
            raise CommandError("--post needs SLACK_BOT_TOKEN: set it to the bot's xoxb- token")
        request = release_notes.ReleaseNotesRequest(
            from_ref=options["from_ref"],
            to_ref=options["to_ref"],
            github_repo=github_repo,
            github_web_url=github_web_url(settings.GITHUB_API_URL),
            post_channel=channel,
            force=options["force"],
        )
        adapters = _adapters(Path(options["repo"]), github_repo)
        try:
            result = await release_notes.generate_release_notes(
                request=request, adapters=adapters, now=timezone.now()
            )
        except release_notes.EmptyRange as empty:
            self.stdout.write(str(empty))
            return
        except release_notes.AlreadyPosted as posted:
            raise CommandError(f"{posted} (--force posts anyway)") from None
        except _FAILURES as error:
            raise CommandError(str(error)) from None
        for warning in result.notes.warnings:
            self.stderr.write(f"Warning: {warning}")
        text = _RENDERERS[options["format"]](result.notes)
        if options["output"]:
            await self._write(Path(options["output"]), text)
        else:
            self.stdout.write(text, ending="")
        if channel:
            await self._post(result, channel, adapters.publisher)

    async def _post(
        self,
        result: release_notes.GeneratedNotes,
        channel: str,
        publisher: release_notes_ports.ReleaseNotesPublisher,
    ) -> None:
        try:
            posted = await release_notes.post_release_notes(
                generated=result, channel=channel, publisher=publisher
            )
        except release_notes_ports.UnableToPost as error:
            raise CommandError(f"{error} (the notes are stored in the database)") from None
        self.stderr.write(f"Posted to {channel} (ts {posted.posted_ts})")

    async def _write(self, path: Path, text: str) -> None:
        try:
            await asyncio.to_thread(path.write_text, text, encoding="utf-8")
        except OSError as error:
            raise CommandError(
                f"Unable to write the release notes to {path}: {error.strerror} "
                "(they are stored in the database)"
            ) from None
        self.stderr.write(f"Wrote the release notes to {path}")


def github_web_url(api_url: str) -> str:
    """The web address of the GitHub whose REST API is at `api_url`, for the notes' links:
    github.com (and GitHub Enterprise Cloud on ghe.com) serves its API on an `api.` host, GitHub
    Enterprise Server under `/api/v3` on its own host. Any other address (a proxy, a fake) is
    taken as is."""
    url = urllib.parse.urlsplit(api_url.rstrip("/"))
    if url.path.endswith(_ENTERPRISE_API_PATH):
        return url._replace(path=url.path.removesuffix(_ENTERPRISE_API_PATH)).geturl()
    return url._replace(netloc=url.netloc.removeprefix("api.")).geturl()


def _adapters(repo: Path, github_repo: str) -> release_notes_ports.ReleaseNotesAdapters:
    """The real adapters: git on disk, Slack, the terminal, and GitHub when asked for."""
    return release_notes_ports.ReleaseNotesAdapters(
        git=git_history.GitRepository(repo),
        publisher=release_notes_poster.SlackReleaseNotesPublisher(),
        confirmation=terminal.TerminalConfirmation(answers=sys.stdin, prompt_to=sys.stderr),
        progress=(
            terminal.TerminalProgress(sys.stderr) if sys.stderr.isatty() else terminal.NoProgress()
        ),
        pull_requests=(
            github_pull_requests.GitHubPullRequests(
                repo=github_repo,
                api_url=settings.GITHUB_API_URL,
                token=settings.GITHUB_TOKEN,
                timeout_s=settings.GITHUB_TIMEOUT_S,
            )
            if github_repo
            else None
        ),
    )
