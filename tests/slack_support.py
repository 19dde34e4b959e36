"""Reading what the bot showed in Slack from the fake Slack Web API's records."""

from typing import Any

from fakes.slack import FakeSlack

STREAM_METHODS = ("chat.startStream", "chat.appendStream", "chat.stopStream")


def streamed_text(slack: FakeSlack) -> str:
    """All the Markdown the bot streamed, in order, across every stream."""
    return "".join(
        chunk.get("text", "")
        for call in slack.calls
        if call.method in STREAM_METHODS
        for chunk in call.args.get("chunks") or []
        if chunk.get("type") == "markdown_text"
    )


def markdown_of(call_args: dict[str, Any]) -> str:
    """The Markdown a posted or updated message shows in its markdown blocks."""
    return "".join(
        block["text"] for block in call_args.get("blocks") or [] if block.get("type") == "markdown"
    )


def action_ids(call_args: dict[str, Any]) -> list[str]:
    return [
        element["action_id"]
        for block in call_args.get("blocks") or []
        if block.get("type") == "actions"
        for element in block["elements"]
    ]
