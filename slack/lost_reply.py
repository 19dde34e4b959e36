"""The reply a stopped job had begun but not recorded: Slack creates the answer's message before
its timestamp reaches the database, so a worker killed in between leaves a message nobody knows of.
The job answering the event again looks for it in the thread, so that the answer replaces it
rather than adding a second one.

It is the bot's first message after the question that no event claims as its reply, among the
bot's messages that follow the question before anyone else writes in the thread: a message after
someone else's would answer them.
"""

from decimal import Decimal

from domain import queries, records
from slack.web_client import build_web_client

PAGE = 200


async def find_lost_reply(origin: records.SlackOrigin, *, bot_id: str) -> str | None:
    """The timestamp of the bot's reply to the question that no event has recorded, if any."""
    if not origin.message_ts:
        return None
    response = await build_web_client().conversations_replies(
        channel=origin.channel_id, ts=origin.thread_ts, oldest=origin.message_ts, limit=PAGE
    )
    asked_at = Decimal(origin.message_ts)
    later = [
        message
        for message in response.get("messages") or []
        if Decimal(str(message.get("ts") or 0)) > asked_at
    ]
    replies: list[str] = []
    for message in later:
        if message.get("bot_id") != bot_id:
            break
        replies.append(str(message["ts"]))
    claimed = await queries.list_recorded_replies(reply_ts=replies)
    return next((ts for ts in replies if ts not in claimed), None)
