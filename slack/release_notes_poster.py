"""Release notes in Slack: their mrkdwn rendering, and the publisher port that posts them.

A message holds about 4,000 characters of text, so long notes are split at line boundaries into
parts: the first is posted to the channel, the others as replies in its thread, each marked
"part i of n". Nothing is cut off.
"""

import aiohttp
from slack_sdk.errors import SlackApiError

from application import release_notes_document, release_notes_ports
from slack.web_client import build_web_client

# Slack truncates a message's text beyond 4,000 characters; keep room for the part marker.
MAX_MESSAGE_CHARS = 3_900
_PART_MARKER = "\n_(part {index} of {count})_"
_MARKER_ROOM = len(_PART_MARKER.format(index=999, count=999))


def render_mrkdwn(notes: release_notes_document.ReleaseNotesDocument) -> str:
    """The notes in Slack's mrkdwn: `*Section*`, `•` bullets, `<url|#42>` links."""
    lines = [f"*{_escaped(notes.heading)}*", ""]
    for section in notes.sections:
        lines.append(f"*{_escaped(section.title)}*")
        lines += [
            f"• {notes.linked(_escaped(item), lambda label, url: f'<{url}|{label}>')}"
            for item in section.items
        ]
        lines.append("")
    if not notes.sections:
        lines += [release_notes_document.NO_CHANGES, ""]
    if notes.contributors:
        lines += ["*Contributors*", _escaped(", ".join(notes.contributors))]
    return "\n".join(lines).strip() + "\n"


def split_message(text: str, *, limit: int = MAX_MESSAGE_CHARS) -> list[str]:
    """The text in parts of at most `limit` characters, split between lines where it can be (a
    line longer than a part is split inside it), each part after the first marked as such."""
    if len(text) <= limit:
        return [text]
    room = limit - _MARKER_ROOM
    parts: list[str] = []
    current = ""
    for line in _pieces(text.splitlines(keepends=True), room):
        if len(current) + len(line) > room:
            parts.append(current)
            current = ""
        current += line
    parts.append(current)
    count = len(parts)
    return [
        part.rstrip("\n") + _PART_MARKER.format(index=index, count=count)
        for index, part in enumerate(parts, start=1)
    ]


class SlackReleaseNotesPublisher:
    """Posts the notes with the shared Slack Web API client."""

    async def publish(
        self, *, channel: str, notes: release_notes_document.ReleaseNotesDocument
    ) -> str:
        client = build_web_client()
        parts = split_message(render_mrkdwn(notes))
        ts = ""
        for index, part in enumerate(parts, start=1):
            try:
                response = await client.chat_postMessage(
                    channel=channel, text=part, thread_ts=ts or None, unfurl_links=False
                )
            except SlackApiError as error:
                reason = f"Slack refused it: {error.response.get('error', 'unknown error')}"
                raise release_notes_ports.UnableToPost(
                    _failed(channel, index, parts, reason), first_ts=ts
                ) from None
            except (aiohttp.ClientError, TimeoutError) as error:
                reason = f"Slack could not be reached ({type(error).__name__})"
                raise release_notes_ports.UnableToPost(
                    _failed(channel, index, parts, reason), first_ts=ts
                ) from None
            ts = ts or str(response["ts"])
        return ts


def _failed(channel: str, index: int, parts: list[str], reason: str) -> str:
    done = f" (parts 1 to {index - 1} of {len(parts)} were posted)" if index > 1 else ""
    return f"Unable to post the notes to {channel}: {reason}{done}"


def _pieces(lines: list[str], room: int) -> list[str]:
    return [line[start : start + room] for line in lines for start in range(0, len(line), room)]


def _escaped(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
