"""Release notes in Slack: mrkdwn, split into messages that Slack shows whole, nothing cut off;
and the terminal's progress line."""

import dataclasses
import io
import json

import pytest

from application import release_notes_document, release_notes_ports
from domain import history
from fakes.slack import FakeSlack
from kraken_bot.adapters import terminal
from slack import release_notes_poster


def test_short_notes_are_one_message() -> None:
    assert release_notes_poster.split_message("*Features*\n• One\n") == ["*Features*\n• One\n"]


def test_long_notes_are_split_between_lines_and_nothing_is_lost() -> None:
    lines = [f"• Change number {number} in plain words (#{number})\n" for number in range(400)]
    text = "".join(lines)

    parts = release_notes_poster.split_message(text)

    assert len(parts) == 5
    assert all(len(part) <= release_notes_poster.MAX_MESSAGE_CHARS for part in parts)
    assert parts[0].endswith("_(part 1 of 5)_")
    unmarked = [part.rsplit("\n_(part", 1)[0] for part in parts]
    assert "\n".join(unmarked) + "\n" == text


def test_a_line_longer_than_a_message_is_split_inside_it() -> None:
    text = "x" * 10_000

    parts = release_notes_poster.split_message(text, limit=4_000)

    assert len(parts) == 3
    assert "".join(part.rsplit("\n_(part", 1)[0] for part in parts) == text


def _notes(items: int) -> release_notes_document.ReleaseNotesDocument:
    return release_notes_document.ReleaseNotesDocument(
        release_range=history.ReleaseRange(
            repository="/srv/kraken",
            from_ref="v1.0.0",
            from_sha="a" * 40,
            to_ref="v1.1.0",
            to_sha="b" * 40,
        ),
        commit_count=items,
        sections=(
            release_notes_document.Section(
                title="Fixes",
                items=tuple(f"Fix <case> & number {n} (#{n})" for n in range(1, items + 1)),
            ),
        ),
        contributors=("Ana",),
        model_name="offline",
        github_repo="kr/bot",
    )


def test_mrkdwn_escapes_the_text_and_links_the_references() -> None:
    text = release_notes_poster.render_mrkdwn(_notes(1))

    assert text == (
        "*Changes from v1.0.0 to v1.1.0 (1 commit)*\n\n*Fixes*\n"
        "• Fix &lt;case&gt; &amp; number 1 (<https://github.com/kr/bot/pull/1|#1>)\n\n"
        "*Contributors*\nAna\n"
    )


def test_every_reference_of_a_change_made_of_several_is_linked() -> None:
    notes = dataclasses.replace(
        _notes(1),
        sections=(
            release_notes_document.Section(
                title="Fixes", items=("Fix search (#41, 1a2b3c4) as in (draft) #40",)
            ),
        ),
    )

    [item] = json.loads(release_notes_document.render_json(notes))["sections"][0]["items"]

    assert "• Fix search (<https://github.com/kr/bot/pull/41|#41>, " in (
        release_notes_poster.render_mrkdwn(notes)
    )
    assert item["links"] == {
        "#41": "https://github.com/kr/bot/pull/41",
        "1a2b3c4": "https://github.com/kr/bot/commit/1a2b3c4",
    }


async def test_long_notes_are_posted_as_a_message_with_the_rest_in_its_thread(
    slack: FakeSlack,
) -> None:
    ts = await release_notes_poster.SlackReleaseNotesPublisher().publish(
        channel="C1", notes=_notes(200)
    )

    first, *rest = slack.calls_to("chat.postMessage")
    assert ts == next(iter(slack.posted))
    assert "thread_ts" not in first.args
    assert len(rest) >= 2
    assert all(call.args["thread_ts"] == ts for call in rest)
    posted = "".join(call.args["text"] for call in (first, *rest))
    assert all(f"number {n} (" in posted for n in range(1, 201))


async def test_notes_refused_part_way_through_say_so_and_name_the_message_they_began(
    slack: FakeSlack,
) -> None:
    slack.refuse("chat.postMessage", "fatal_error", after=1)

    with pytest.raises(
        release_notes_ports.UnableToPost, match=r"\(parts 1 to 1 of [0-9]+ were posted\)$"
    ) as refused:
        await release_notes_poster.SlackReleaseNotesPublisher().publish(
            channel="C1", notes=_notes(200)
        )

    assert refused.value.first_ts == next(iter(slack.posted))


async def test_a_refused_post_names_the_channel_and_slacks_reason(slack: FakeSlack) -> None:
    slack.refuse("chat.postMessage", "channel_not_found")

    with pytest.raises(
        release_notes_ports.UnableToPost,
        match=r"^Unable to post the notes to C404: Slack refused it: channel_not_found$",
    ):
        await release_notes_poster.SlackReleaseNotesPublisher().publish(
            channel="C404", notes=_notes(1)
        )


def test_progress_rewrites_one_line_and_ends_it() -> None:
    stream = io.StringIO()
    progress = terminal.TerminalProgress(stream)

    progress.commits_read(250)
    progress.commits_read(5_000)
    progress.finished()
    progress.finished()

    assert stream.getvalue() == "\r\x1b[KRead 250 commits\r\x1b[KRead 5,000 commits\n"
