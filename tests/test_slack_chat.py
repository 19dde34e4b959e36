"""The Slack chat port against the fake Slack Web API: streaming, and every fallback."""

from application import ports
from domain import records
from fakes.slack import FakeSlack
from slack import chat, rendering
from slack.web_client import build_web_client
from tests.slack_support import STREAM_METHODS, action_ids, markdown_of, streamed_text

THREAD = chat.SlackThread(
    channel_id="C1", thread_ts="1767600000.000100", user_id="U1", team_id="T1"
)
ANSWER = "**Rotate** the password with `vault rotate db`, then restart the workers [1]."
REPLY = ports.Reply(
    question_id=7,
    text=ANSWER,
    citations=(
        records.Citation(passage_id=3, title="Runbook", heading="Passwords", url="https://d/r"),
    ),
)


async def _answer(port: chat.SlackChatPort, text: str = ANSWER, reply: ports.Reply = REPLY) -> str:
    await port.show_status(text="Finding a response…")
    writer = port.answer_writer()
    for start in range(0, len(text), 40):
        await writer.append(text=text[start : start + 40])
    return await writer.finish(reply=reply)


def _port() -> chat.SlackChatPort:
    return chat.SlackChatPort(client=build_web_client(), thread=THREAD)


async def test_the_answer_is_streamed_to_the_person_with_sources_and_feedback_buttons(
    slack: FakeSlack,
) -> None:
    ts = await _answer(_port())

    [status] = slack.calls_to("assistant.threads.setStatus")
    assert status.args["status"] == "Finding a response…"
    [start] = slack.calls_to("chat.startStream")
    assert (start.args["recipient_user_id"], start.args["recipient_team_id"]) == ("U1", "T1")
    assert start.args["thread_ts"] == THREAD.thread_ts
    assert streamed_text(slack) == ANSWER + "\n\n" + rendering.sources_markdown(REPLY.citations)
    [stop] = slack.calls_to("chat.stopStream")
    assert action_ids(stop.args) == [rendering.FEEDBACK_UP, rendering.FEEDBACK_DOWN]
    assert ts == slack.calls_to("chat.startStream")[0].args.get("ts", ts)
    assert slack.calls_to("chat.postMessage") == []


async def test_without_the_assistant_status_a_placeholder_is_posted_then_removed(
    slack: FakeSlack,
) -> None:
    slack.refuse("assistant.threads.setStatus", "missing_scope")

    await _answer(_port())

    [placeholder] = slack.calls_to("chat.postMessage")
    assert placeholder.args["text"] == "Finding a response…"
    [deleted] = slack.calls_to("chat.delete")
    assert deleted.args["channel"] == "C1"


async def test_a_refused_stream_falls_back_to_updating_the_placeholder_with_the_whole_answer(
    slack: FakeSlack,
) -> None:
    slack.refuse("assistant.threads.setStatus", "missing_scope")
    slack.refuse("chat.startStream", "not_allowed_token_type", times=10)

    await _answer(_port())

    final = slack.calls_to("chat.update")[-1]
    assert markdown_of(final.args).startswith(ANSWER)
    assert "[Runbook › Passwords](https://d/r)" in markdown_of(final.args)
    assert "**" not in final.args["text"]
    assert action_ids(final.args) == [rendering.FEEDBACK_UP, rendering.FEEDBACK_DOWN]


async def test_a_stream_closed_midway_is_replaced_by_the_whole_answer(slack: FakeSlack) -> None:
    slack.refuse("chat.stopStream", "message_not_in_streaming_state")

    ts = await _answer(_port())

    final = slack.calls_to("chat.update")[-1]
    assert final.args["ts"] == ts
    assert markdown_of(final.args).startswith(ANSWER)
    assert action_ids(final.args) == [rendering.FEEDBACK_UP, rendering.FEEDBACK_DOWN]


async def test_when_updating_fails_too_the_answer_is_posted(slack: FakeSlack) -> None:
    slack.refuse("assistant.threads.setStatus", "missing_scope")
    slack.refuse("chat.startStream", "not_allowed_token_type", times=10)
    slack.refuse("chat.update", "cant_update_message", times=10)

    await _answer(_port())

    posted = slack.calls_to("chat.postMessage")[-1]
    assert markdown_of(posted.args).startswith(ANSWER)


async def test_a_20000_character_answer_arrives_whole_when_streamed(slack: FakeSlack) -> None:
    text = " ".join(f"word{n}" for n in range(3_000))[:20_000]

    await _answer(_port(), text=text, reply=ports.Reply(question_id=7, text=text))

    assert streamed_text(slack) == text
    assert len(slack.calls_to("chat.stopStream")) >= 2


async def test_an_answer_that_fills_a_message_puts_its_sources_in_the_next_one(
    slack: FakeSlack,
) -> None:
    text = " ".join(f"word{n}" for n in range(3_000))[: chat.STREAM_MESSAGE_LIMIT - 50]
    reply = ports.Reply(question_id=7, text=text, citations=REPLY.citations * 5)

    await _answer(_port(), text=text, reply=reply)

    assert streamed_text(slack) == f"{text}\n\n{rendering.sources_markdown(reply.citations)}"
    assert all(len(shown) <= chat.STREAM_MESSAGE_LIMIT for shown in _streamed_messages(slack))


async def test_a_code_block_a_streamed_message_ends_in_is_closed_and_opened_in_the_next(
    slack: FakeSlack,
) -> None:
    steps = "".join(f"echo step {n}\n" for n in range(1_500))
    text = f"Run these:\n\n```bash\n{steps}```\n\nThen check the logs."

    await _answer(_port(), text=text, reply=ports.Reply(question_id=7, text=text))

    shown = _streamed_messages(slack)
    assert len(shown) == 2
    assert all(len(message) <= chat.STREAM_MESSAGE_LIMIT for message in shown)
    assert [message.count("```") for message in shown] == [2, 2]
    assert shown[1].startswith("```\n")
    joined = shown[0].removesuffix("\n```") + shown[1].removeprefix("```\n")
    assert joined == text


def _streamed_messages(slack: FakeSlack) -> list[str]:
    """The Markdown each streamed message holds: its start's, then its appends' and stop's."""
    return [
        "".join(
            chunk.get("text", "")
            for call in (started, *(call for call in slack.calls if call.args.get("ts") == ts))
            if call.method in STREAM_METHODS
            for chunk in call.args.get("chunks") or []
        )
        for ts, started in slack.posted.items()
        if started.method == "chat.startStream"
    ]


async def test_a_20000_character_answer_arrives_whole_and_split_without_streaming(
    slack: FakeSlack,
) -> None:
    slack.refuse("chat.startStream", "not_allowed_token_type", times=10)
    text = "\n\n".join(f"Paragraph {n}: " + "detail " * 60 for n in range(50))[:20_000]

    await _answer(_port(), text=text, reply=ports.Reply(question_id=7, text=text))

    shown = [markdown_of(call.args) for call in slack.calls_to("chat.postMessage")]
    assert len(shown) >= 5
    assert all(len(part) <= rendering.MESSAGE_TEXT_LIMIT for part in shown)
    assert "".join(shown) == text


async def test_a_failure_replaces_the_placeholder_with_a_short_message(
    slack: FakeSlack,
) -> None:
    slack.refuse("assistant.threads.setStatus", "missing_scope")
    port = _port()
    await port.show_status(text="Finding a response…")

    await port.answer_writer().fail(text="Sorry, I couldn't answer that just now.")

    [update] = slack.calls_to("chat.update")
    assert update.args["ts"] == port.placeholder_ts
    assert update.args["text"] == "Sorry, I couldn't answer that just now."


async def test_the_first_message_the_answer_shows_in_is_remembered_once(slack: FakeSlack) -> None:
    remembered: list[str] = []

    async def remember(ts: str) -> None:
        remembered.append(ts)

    port = chat.SlackChatPort(client=build_web_client(), thread=THREAD, remember_reply=remember)
    slack.refuse("assistant.threads.setStatus", "missing_scope")

    await _answer(port, text=ANSWER * 5)

    [placeholder] = slack.calls_to("chat.postMessage")
    assert remembered == [next(ts for ts, call in slack.posted.items() if call is placeholder)]


async def test_an_answer_replacing_an_earlier_reply_updates_it_and_adds_no_message(
    slack: FakeSlack,
) -> None:
    port = chat.SlackChatPort(
        client=build_web_client(), thread=THREAD, earlier_reply_ts="1767600000.000200"
    )
    slack.refuse("assistant.threads.setStatus", "missing_scope")

    ts = await _answer(port)

    assert ts == "1767600000.000200"
    assert slack.calls_to("chat.postMessage") == []
    assert slack.calls_to("chat.startStream") == []
    updates = slack.calls_to("chat.update")
    assert {update.args["ts"] for update in updates} == {"1767600000.000200"}
    assert ANSWER in markdown_of(updates[-1].args)


async def test_an_answer_replacing_an_earlier_reply_clears_the_status_it_showed(
    slack: FakeSlack,
) -> None:
    port = chat.SlackChatPort(
        client=build_web_client(), thread=THREAD, earlier_reply_ts="1767600000.000200"
    )

    await _answer(port)

    statuses = [call.args["status"] for call in slack.calls_to("assistant.threads.setStatus")]
    assert statuses == ["Finding a response…", ""]
    assert [call.method for call in slack.calls][-2:] == [
        "chat.update",
        "assistant.threads.setStatus",
    ]


async def test_an_answer_in_a_new_message_leaves_the_status_for_slack_to_clear(
    slack: FakeSlack,
) -> None:
    await _answer(_port())

    statuses = [call.args["status"] for call in slack.calls_to("assistant.threads.setStatus")]
    assert statuses == ["Finding a response…"]


async def test_the_text_not_streamed_yet_goes_with_the_call_that_stops_the_stream(
    slack: FakeSlack,
) -> None:
    text = ANSWER * 6
    writer = _port().answer_writer()
    await writer.append(text=text[:200])
    calls_before = len(slack.calls)

    await writer.finish(reply=ports.Reply(question_id=7, text=text, citations=REPLY.citations))

    [stop] = slack.calls[calls_before:]
    assert stop.method == "chat.stopStream"
    assert text[200:] in streamed_text(slack)
    assert streamed_text(slack) == text + "\n\n" + rendering.sources_markdown(REPLY.citations)
