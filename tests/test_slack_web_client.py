"""The Slack client's calls share one session, and so its connections, per event loop."""

import asyncio

from fakes.slack import FakeSlack
from slack import web_client


async def test_calls_of_different_clients_reuse_one_connection(slack: FakeSlack) -> None:
    for _ in range(3):
        await web_client.build_web_client().chat_postMessage(channel="C1", text="hello")

    calls = slack.calls_to("chat.postMessage")
    assert len(calls) == 3
    assert len({call.connection for call in calls}) == 1


async def test_another_loop_has_a_session_of_its_own(slack: FakeSlack) -> None:
    client = web_client.build_web_client()
    await client.chat_postMessage(channel="C1", text="from this loop")

    async def call_and_close() -> None:
        await client.chat_postMessage(channel="C1", text="from another loop")
        await web_client.close_session()

    await asyncio.to_thread(asyncio.run, call_and_close())
    await client.chat_postMessage(channel="C1", text="from this loop again")

    first, other, again = slack.calls_to("chat.postMessage")
    assert first.connection == again.connection != other.connection


async def test_a_closed_session_is_replaced(slack: FakeSlack) -> None:
    client = web_client.build_web_client()
    await client.chat_postMessage(channel="C1", text="before")
    session = client.session
    await web_client.close_session()

    await client.chat_postMessage(channel="C1", text="after")

    assert session is not None
    assert session.closed
    assert client.session is not session
