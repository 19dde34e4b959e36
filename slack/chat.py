"""The Slack implementation of the chat port: status, streamed answers, and the fallbacks that make
sure the person always sees one whole answer.

The answer is streamed into the thread with Slack's chat streaming API. When streaming is refused or
breaks (a missing scope, an old workspace, `message_not_in_streaming_state` after Slack closes a
stream that ran about five minutes), the text keeps arriving and the answer is shown by updating
the placeholder message (at most one update every two seconds) and, when that fails too, by posting
it. Long answers are split across messages within Slack's limits, never cut off.
"""

import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import ClientError
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_chat_stream import AsyncChatStream
from slack_sdk.web.async_client import AsyncWebClient

from application import ports
from slack import rendering

logger = logging.getLogger(__name__)

# What a failed Slack call can raise: an API error, a client-side refusal, or a broken connection.
SLACK_FAILURES = (SlackApiError, SlackClientError, ClientError, TimeoutError)

# slack_sdk holds back appends shorter than this; the relay in front already paces them.
STREAM_BUFFER = 1
STREAM_MESSAGE_LIMIT = 12_000
# What a streamed message's text may fill before the next message starts: room is left to close
# a code block the cut falls in.
_STREAMED_TEXT_LIMIT = STREAM_MESSAGE_LIMIT - len(rendering.CODE_CLOSE)
UPDATE_INTERVAL_S = 2.0


@dataclass(frozen=True, kw_only=True)
class SlackThread:
    """Where the answer goes, and to whom (streaming in channels needs the recipient)."""

    channel_id: str
    thread_ts: str
    user_id: str
    team_id: str


RememberReply = Callable[[str], Awaitable[None]]


class SlackChatPort:
    """The answer's first message in Slack is handed to `remember_reply` as soon as it exists.
    Given `earlier_reply_ts` (that message, left by an answer that never finished), the answer
    replaces it, updated as it is written rather than streamed into a new message."""

    def __init__(
        self,
        *,
        client: AsyncWebClient,
        thread: SlackThread,
        earlier_reply_ts: str | None = None,
        remember_reply: RememberReply | None = None,
    ) -> None:
        self._client = client
        self._thread = thread
        self.placeholder_ts = earlier_reply_ts
        self.replaces_earlier_reply = earlier_reply_ts is not None
        self._remember_reply = remember_reply
        self._remembered = earlier_reply_ts
        self._status_shown = False

    async def show_status(self, *, text: str) -> None:
        """The assistant status in the thread; where Slack refuses it, a placeholder message
        (unless an earlier reply already holds the answer's place)."""
        try:
            await self._client.assistant_threads_setStatus(
                channel_id=self._thread.channel_id, thread_ts=self._thread.thread_ts, status=text
            )
            self._status_shown = True
        except SlackApiError as error:
            if self.placeholder_ts is not None:
                return
            logger.info("Status unavailable (%s); posting a placeholder", failure_reason(error))
            response = await self._client.chat_postMessage(
                channel=self._thread.channel_id, thread_ts=self._thread.thread_ts, text=text
            )
            self.placeholder_ts = str(response["ts"])
            await self.shown(self.placeholder_ts)

    async def shown(self, ts: str | None) -> None:
        """Note that the answer now shows in message `ts`; only the first one is remembered."""
        if ts is None or self._remembered is not None:
            return
        await self.moved(ts)

    async def moved(self, ts: str) -> None:
        """Note that the answer shows in message `ts` now, not in the one remembered before (a
        placeholder deleted, or a reply that could not be updated): a run again replaces `ts`."""
        if ts == self._remembered or self._remember_reply is None:
            return
        self._remembered = ts
        await self._remember_reply(ts)

    async def clear_status(self) -> None:
        """Clear the status shown: Slack clears it when the bot posts in the thread, not when it
        updates a message there, as an answer replacing an earlier reply does."""
        if not self._status_shown:
            return
        try:
            await self._client.assistant_threads_setStatus(
                channel_id=self._thread.channel_id, thread_ts=self._thread.thread_ts, status=""
            )
        except SLACK_FAILURES as error:
            logger.info("Clearing the status failed (%s)", failure_reason(error))

    def answer_writer(self) -> "SlackAnswerWriter":
        return SlackAnswerWriter(client=self._client, thread=self._thread, port=self)


class SlackAnswerWriter:
    def __init__(self, *, client: AsyncWebClient, thread: SlackThread, port: SlackChatPort) -> None:
        self._client = client
        self._thread = thread
        self._port = port
        self._streams: list[AsyncChatStream] = []
        self._stream_open = False
        self._in_stream = ""
        self._received = ""
        self._streaming = not port.replaces_earlier_reply
        self._last_update = 0.0

    async def append(self, *, text: str) -> None:
        self._received += text
        if self._streaming:
            try:
                await self._stream(text)
                return
            except SLACK_FAILURES as error:
                self._streaming = False
                logger.warning(
                    "Streaming the answer failed (%s); updating instead", failure_reason(error)
                )
        await self._show_progress()

    async def finish(self, *, reply: ports.Reply) -> str:
        sources = rendering.sources_markdown(reply.citations)
        buttons = (
            rendering.feedback_blocks(question_id=reply.question_id) if reply.question_id else []
        )
        if self._streaming and self._streams and reply.text.startswith(self._received):
            try:
                await self._stop_stream(
                    reply.text[len(self._received) :],
                    tail=f"\n\n{sources}" if sources else "",
                    buttons=buttons,
                )
                await self._port.moved(str(self._streams[0].ts))
                await self._remove_placeholder()
                return str(self._streams[0].ts)
            except SLACK_FAILURES as error:
                logger.warning(
                    "Finishing the stream failed (%s); updating instead", failure_reason(error)
                )
        text = f"{reply.text.rstrip()}\n\n{sources}" if sources else reply.text
        await self._close_stream()
        shown_in = await self._show_whole(text, buttons=buttons)
        await self._clear_status_left()
        return shown_in

    async def fail(self, *, text: str) -> None:
        await self._close_stream()
        await self._show_whole(text, buttons=[])
        await self._clear_status_left()

    async def _clear_status_left(self) -> None:
        """An answer replacing an earlier reply posts nothing new, which would leave the status."""
        if self._port.replaces_earlier_reply:
            await self._port.clear_status()

    async def _stream(self, text: str) -> None:
        room = rendering.STREAM_APPEND_LIMIT - len(rendering.CODE_REOPEN)
        for piece in rendering.split_text(text, limit=room):
            if not piece:
                continue
            if not self._streams or len(self._in_stream) + len(piece) > _STREAMED_TEXT_LIMIT:
                piece = await self._start_stream() + piece
            await self._streams[-1].append(markdown_text=piece)
            self._in_stream += piece
            await self._port.shown(self._streams[0].ts)

    async def _stop_stream(self, rest: str, *, tail: str, buttons: list[dict[str, Any]]) -> None:
        """Stop the stream with the text not shown yet and the tail: in the one call that stops it
        when they fit (a Slack call fewer at the end of every answer), else appended first, in
        the next message where this one has no room left."""
        end = f"{rest}{tail}"
        fits_message = len(self._in_stream) + len(end) <= STREAM_MESSAGE_LIMIT
        fits_call = len(end) + STREAM_BUFFER <= rendering.STREAM_APPEND_LIMIT
        if not (fits_message and fits_call):
            await self._stream(end)
            end = ""
        await self._streams[-1].stop(markdown_text=end or None, blocks=buttons or None)

    async def _start_stream(self) -> str:
        """Start the next message of the stream, and return what it opens with: a code block the
        message before ends in is closed there and opened again in this one."""
        reopen = ""
        if self._stream_open:
            if rendering.ends_in_code(self._in_stream):
                await self._streams[-1].append(markdown_text=rendering.CODE_CLOSE)
                reopen = rendering.CODE_REOPEN
            await self._streams[-1].stop()
        self._stream_open = True
        self._streams.append(
            await self._client.chat_stream(
                channel=self._thread.channel_id,
                thread_ts=self._thread.thread_ts,
                recipient_user_id=self._thread.user_id,
                recipient_team_id=self._thread.team_id,
                buffer_size=STREAM_BUFFER,
            )
        )
        self._in_stream = ""
        return reopen

    async def _close_stream(self) -> None:
        """Stop a stream still open before its message is replaced; a refusal changes nothing."""
        if not self._stream_open:
            return
        self._stream_open = False
        try:
            await self._streams[-1].stop()
        except SLACK_FAILURES as error:
            logger.info("Stopping the stream failed (%s)", failure_reason(error))

    async def _show_progress(self) -> None:
        """While the answer is written, update the placeholder now and then."""
        placeholder = self._port.placeholder_ts
        now = time.monotonic()
        if placeholder is None or now - self._last_update < UPDATE_INTERVAL_S:
            return
        self._last_update = now
        shown = rendering.split_text(self._received, limit=rendering.MESSAGE_TEXT_LIMIT)[0]
        try:
            await self._update(placeholder, f"{shown} …", buttons=[])
        except SLACK_FAILURES as error:
            logger.warning("Updating the placeholder failed (%s)", failure_reason(error))

    async def _show_whole(self, text: str, *, buttons: list[dict[str, Any]]) -> str:
        """Show the text whole, in as many messages as it takes; the buttons go under the last.
        The first message replaces what was shown so far (a stream or the placeholder)."""
        parts = rendering.message_parts(text, limit=rendering.MESSAGE_TEXT_LIMIT)
        first_ts = ""
        for number, part in enumerate(parts):
            last = number == len(parts) - 1
            target = self._shown_so_far() if number == 0 else None
            ts = await self._show_part(part, buttons=buttons if last else [], replacing=target)
            first_ts = first_ts or ts
        return first_ts

    def _shown_so_far(self) -> str | None:
        if self._streams and self._streams[0].ts:
            return str(self._streams[0].ts)
        return self._port.placeholder_ts

    async def _show_part(
        self, part: str, *, buttons: list[dict[str, Any]], replacing: str | None
    ) -> str:
        if replacing is not None:
            try:
                await self._update(replacing, part, buttons=buttons)
                for stream in self._streams[1:]:
                    await self._delete(stream.ts)
                return replacing
            except SLACK_FAILURES as error:
                logger.warning(
                    "Updating the message failed (%s); posting instead", failure_reason(error)
                )
        response = await self._client.chat_postMessage(
            channel=self._thread.channel_id,
            thread_ts=self._thread.thread_ts,
            text=rendering.markdown_to_mrkdwn(part),
            blocks=[*rendering.markdown_blocks(part), *buttons],
        )
        ts = str(response["ts"])
        await (self._port.moved(ts) if replacing is not None else self._port.shown(ts))
        return ts

    async def _update(self, ts: str, part: str, *, buttons: list[dict[str, Any]]) -> None:
        await self._client.chat_update(
            channel=self._thread.channel_id,
            ts=ts,
            text=rendering.markdown_to_mrkdwn(part),
            blocks=[*rendering.markdown_blocks(part), *buttons],
        )

    async def _remove_placeholder(self) -> None:
        if self._port.placeholder_ts is not None:
            await self._delete(self._port.placeholder_ts)

    async def _delete(self, ts: str | None) -> None:
        if ts is None:
            return
        try:
            await self._client.chat_delete(channel=self._thread.channel_id, ts=ts)
        except SLACK_FAILURES as error:
            logger.warning("Deleting a superseded message failed (%s)", failure_reason(error))


def failure_reason(error: Exception) -> str:
    """What went wrong, by Slack's error code where there is one (never a token)."""
    if isinstance(error, SlackApiError) and isinstance(error.response.data, dict):
        return str(error.response.data.get("error", "error"))
    if isinstance(error, SlackApiError):
        return f"HTTP {error.response.status_code}"
    return type(error).__name__
