"""The fake Slack Web API behaves as Slack does for the real slack_sdk client."""

import pytest
from slack_sdk.errors import SlackApiError

from fakes.slack import FakeSlack
from slack.web_client import build_web_client


async def test_calls_are_recorded_with_their_arguments_and_token(slack: FakeSlack) -> None:
    response = await build_web_client().chat_postMessage(
        channel="C1", text="hello", thread_ts="1.2"
    )

    assert response["ts"]
    [call] = await slack.wait_for("chat.postMessage")
    assert call.args == {"channel": "C1", "text": "hello", "thread_ts": "1.2"}
    assert call.token == "xoxb-test-token"


async def test_a_rate_limited_call_is_retried_after_retry_after(slack: FakeSlack) -> None:
    slack.rate_limit("chat.postMessage", retry_after_s=1)

    response = await build_web_client().chat_postMessage(channel="C1", text="hello")

    assert response["ok"]
    assert len(slack.calls_to("chat.postMessage")) == 2


async def test_a_server_error_is_retried(slack: FakeSlack) -> None:
    slack.server_error("chat.update")

    response = await build_web_client().chat_update(channel="C1", ts="1.2", text="edited")

    assert response["ok"]
    assert len(slack.calls_to("chat.update")) == 2


async def test_a_refusal_raises_slacks_error(slack: FakeSlack) -> None:
    slack.refuse("chat.postMessage", "channel_not_found")

    with pytest.raises(SlackApiError, match="channel_not_found"):
        await build_web_client().chat_postMessage(channel="C404", text="hello")


async def test_channels_are_described_as_held_and_others_are_not_found(slack: FakeSlack) -> None:
    slack.channels["C0PRIV"] = {"id": "C0PRIV", "name": "private-ops", "is_member": False}
    client = build_web_client()

    general = await client.conversations_info(channel="C0001")
    private = await client.conversations_info(channel="C0PRIV")
    with pytest.raises(SlackApiError, match="channel_not_found"):
        await client.conversations_info(channel="C0GONE")

    assert (general["channel"]["name"], general["channel"]["is_member"]) == ("general", True)
    assert (private["channel"]["name"], private["channel"]["is_member"]) == ("private-ops", False)
