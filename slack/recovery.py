"""Answering again, in its Slack thread, a question whose receiving process died."""

from slack_sdk.web.async_client import AsyncWebClient

from domain import records
from slack import conversation, events
from slack.web_client import build_web_client


async def redeliver(event: records.InboundEvent) -> None:
    """Answer the event's question from its stored payload, reusing the stored question if the
    dead process got that far."""
    asked = events.asked(dict(event.payload))
    client: AsyncWebClient = build_web_client()
    identity = await client.auth_test()
    await conversation.answer_in_thread(
        asked, client=client, bot_id=str(identity.get("bot_id") or ""), stored_id=event.question_id
    )
