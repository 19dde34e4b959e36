"""What the bot reads in a Slack message: whether it asks, what it asks, and whether it asks for a
summary."""

import json

import pytest

from fakes import slack_payloads as payloads
from fakes.slack import FakeSlack
from slack import events, thread_replies


@pytest.mark.parametrize(
    "text",
    [
        "Standup notes: <https://docs.example.com/d/1?usp=sharing>",
        "Join here <https://zoom.example.com/j/1?pwd=abc|the call>",
        "Thanks <@U0ALICE|alice>",
    ],
)
def test_a_question_mark_inside_a_link_or_a_mention_asks_nothing(text: str) -> None:
    assert not events.looks_like_a_question(text)


def test_a_question_with_a_link_still_asks() -> None:
    assert events.looks_like_a_question("Is <https://docs.example.com|the runbook> current?")


def _asked(text: str, *, thread_ts: str | None = "1767600000.000100") -> events.Asked:
    body = json.loads(payloads.event_callback(payloads.app_mention(text, thread_ts=thread_ts)))
    return events.asked(body)


def test_the_question_is_read_as_a_person_reads_it_without_the_bots_mention() -> None:
    asked = _asked(
        "what team is <@U0ALICE> on? see <#C0123|infra> &amp; "
        "<https://wiki.example.com/t?a=1|the teams page> <!here>"
    )

    assert asked.text == (
        "what team is @U0ALICE on? see #infra & "
        "the teams page (https://wiki.example.com/t?a=1) @here"
    )


def test_without_the_bots_id_the_mention_that_opens_the_text_is_taken_for_the_bots() -> None:
    body = json.loads(payloads.event_callback(payloads.app_mention("ask <@U0ALICE> &lt;x&gt;")))
    del body["authorizations"]

    assert events.asked(body).text == "ask @U0ALICE <x>"


def test_markup_typed_as_text_is_not_made_markup_again() -> None:
    assert (
        _asked("what does &lt;!here&gt; do &amp; &lt;x&gt;?").text
        == "what does &lt;!here> do & <x>?"
    )


@pytest.mark.parametrize(
    "text",
    ["summarise", "Summarize this thread", "tl;dr", "TLDR?", "please summarise the discussion"],
)
def test_asking_for_a_summary_in_a_thread_wants_one(text: str) -> None:
    assert _asked(text).wants_summary


@pytest.mark.parametrize(
    ("text", "thread_ts"),
    [
        ("Summarize the on-call policy", "1767600000.000100"),
        ("summarise the expenses rules for travel", "1767600000.000100"),
        ("summarise", None),
    ],
)
def test_a_question_that_starts_with_summarise_or_is_not_in_a_thread_is_answered(
    text: str, thread_ts: str | None
) -> None:
    assert not _asked(text, thread_ts=thread_ts).wants_summary


async def test_a_threads_messages_are_read_in_words_too(slack: FakeSlack) -> None:
    slack.threads[("C0001", "1767600000.000100")] = [
        {
            "ts": "1767600000.000100",
            "user": "U0002",
            "text": "<@U0ALICE|alice> the deploy &amp; <https://ci.example.com/b/42|build 42> fail",
        },
    ]
    replies = thread_replies.SlackThreadReplies(
        channel_id="C0001", thread_ts="1767600000.000100", leave_out_ts=None, bot_id="BKRAKEN"
    )

    [message] = await replies.replies()

    assert message.text == "@alice the deploy & build 42 (https://ci.example.com/b/42) fail"
