"""A Slack thread's messages, for context: `conversations.replies`, at most once per thread every
few minutes. Slack allows apps outside its Marketplace about one call of this method a minute, so
answers are cached and a 429 is not waited out: the question is answered from what the bot stored.
"""

import logging
import time
from typing import Any

from django.conf import settings

from application import ports
from domain import records
from slack import events
from slack.chat import SLACK_FAILURES, failure_reason
from slack.web_client import build_web_client

logger = logging.getLogger(__name__)

CACHE_TTL_S = 180.0
CACHE_SIZE = 500
PAGE = 200

# Thread messages by (Slack API, channel, thread ts), with when they were read. An optimisation
# only: a process without it reads the thread again.
_cache: dict[tuple[str, str, str], tuple[float, list[dict[str, Any]]]] = {}


class SlackThreadReplies:
    def __init__(
        self, *, channel_id: str, thread_ts: str, leave_out_ts: str | None, bot_id: str
    ) -> None:
        self._key = (settings.SLACK_API_URL, channel_id, thread_ts)
        self._leave_out_ts = leave_out_ts
        self._bot_id = bot_id

    async def replies(self) -> list[records.ThreadMessage]:
        return [
            records.ThreadMessage(
                author=str(message.get("user") or message.get("username") or "an app"),
                text=events.in_words(str(message.get("text", ""))),
                from_bot=bool(self._bot_id) and message.get("bot_id") == self._bot_id,
                ts=str(message.get("ts", "")),
            )
            for message in await self._messages()
            if message.get("ts") != self._leave_out_ts and message.get("text")
        ]

    async def _messages(self) -> list[dict[str, Any]]:
        cached = _cache.get(self._key)
        if cached is not None and time.monotonic() - cached[0] < CACHE_TTL_S:
            return cached[1]
        _, channel, thread_ts = self._key
        try:
            response = await build_web_client(wait_out_rate_limits=False).conversations_replies(
                channel=channel, ts=thread_ts, limit=PAGE
            )
        except SLACK_FAILURES as error:
            raise ports.RepliesUnavailable(failure_reason(error)) from None
        messages = list(response.get("messages") or [])
        if len(_cache) >= CACHE_SIZE:
            _cache.pop(next(iter(_cache)))
        _cache[self._key] = (time.monotonic(), messages)
        return messages
