"""Answering a stored question again in its Slack thread, when a bot owner asks for it from the
admin."""

from slack_sdk.web.async_client import AsyncWebClient

from domain import records
from slack import conversation, events
from slack.web_client import build_web_client


async def answer_again_in_thread(
    question: records.Question, *, origin: records.SlackOrigin
) -> None:
    """Answer the stored question again, post the answer in the thread it was asked in, and store
    it in place of the old one."""
    client, bot_id = await _connected()
    await conversation.answer_in_thread(
        events.Asked(text=question.text, origin=origin, wants_summary=False),
        client=client,
        bot_id=bot_id,
        stored_id=question.id,
    )


async def _connected() -> tuple[AsyncWebClient, str]:
    client = build_web_client()
    identity = await client.auth_test()
    return client, str(identity.get("bot_id") or "")
