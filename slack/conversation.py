"""What the bot does with a question asked in Slack, after the event is acknowledged.

`show_status` runs where the event is accepted, so the person sees the bot at work however many
answers the workers are busy with. The other functions run as jobs (`slack.jobs`) and each makes
one application call, after the checks that need no application: an empty mention gets a one-line
hint, a channel outside the allow-list a one-line note.
"""

import logging

from django.conf import settings
from django.db import DatabaseError
from django.utils import timezone
from slack_sdk.web.async_client import AsyncWebClient

from application import log_context, respond_to_user, summarise_thread
from domain import operations, records
from slack import chat, ephemeral, events, thread_replies

logger = logging.getLogger(__name__)

EMPTY_MENTION_HINT = (
    "Ask me a question after the mention, for example: "
    "`@Kraken how do I rotate the database password?`"
)
NOT_ALLOWED_NOTE = (
    "I only answer in the channels my owners have opened me to; try a direct message."
)
USAGE = (
    "*Kraken Bot* answers questions from the company's documentation.\n"
    "• `/kraken <question>`: an answer only you can see\n"
    "• `@Kraken <question>` in a channel, or a direct message: an answer in the thread\n"
    "• `@Kraken summarise` in a thread: a summary of the thread"
)


def allowed(channel_id: str) -> bool:
    """Direct messages are always allowed; channels if there is no allow-list or they are on it."""
    allow_list = settings.SLACK_ALLOWED_CHANNELS
    return not allow_list or channel_id.startswith("D") or channel_id in allow_list


async def show_status(asked: events.Asked, *, client: AsyncWebClient) -> None:
    """The assistant status in the question's thread, where an answer will follow. The answer's job
    sets the same status again (Slack shows one), and only the job posts a placeholder where Slack
    refuses the status: at most one status for each question."""
    origin = asked.origin
    if not asked.text or not allowed(origin.channel_id):
        return
    try:
        await client.assistant_threads_setStatus(
            channel_id=origin.channel_id,
            thread_ts=origin.thread_ts,
            status=respond_to_user.STATUS_TEXT,
        )
    except chat.SLACK_FAILURES as error:
        logger.info("Status not shown at once (%s)", chat.failure_reason(error))


async def answer_in_thread(
    asked: events.Asked,
    *,
    client: AsyncWebClient,
    bot_id: str,
    stored_id: int | None = None,
    earlier_reply_ts: str | None = None,
) -> None:
    """Reply to the question, then mark its event done, whatever the reply was."""
    origin = asked.origin
    log_context.event_id.set(origin.event_id)
    await _reply_in_thread(
        asked,
        client=client,
        bot_id=bot_id,
        stored_id=stored_id,
        earlier_reply_ts=earlier_reply_ts,
    )
    if origin.event_id:
        await operations.record_event_done(event_id=origin.event_id, done_at=timezone.now())


async def _reply_in_thread(
    asked: events.Asked,
    *,
    client: AsyncWebClient,
    bot_id: str,
    stored_id: int | None,
    earlier_reply_ts: str | None,
) -> None:
    origin = asked.origin
    if not asked.text:
        await _reply(client, origin, EMPTY_MENTION_HINT)
        return
    if not allowed(origin.channel_id):
        await _reply(client, origin, NOT_ALLOWED_NOTE)
        return
    thread = _thread_replies(origin, bot_id=bot_id)
    if asked.wants_summary:
        await summarise_thread.summarise_thread(
            request=summarise_thread.SummaryRequest(text=asked.text, origin=origin, thread=thread),
            chat=_chat_port(client, origin, earlier_reply_ts=earlier_reply_ts),
            now=timezone.now(),
        )
        return
    await respond_to_user.respond_to_user(
        question=respond_to_user.IncomingQuestion(
            text=asked.text,
            source=records.QuestionSource.SLACK,
            slack=origin,
            stored_id=stored_id,
            thread=thread,
        ),
        chat=_chat_port(client, origin, earlier_reply_ts=earlier_reply_ts),
        now=timezone.now(),
    )


async def summarise_from_shortcut(
    origin: records.SlackOrigin, *, client: AsyncWebClient, bot_id: str
) -> None:
    if not allowed(origin.channel_id):
        await _reply(client, origin, NOT_ALLOWED_NOTE)
        return
    await summarise_thread.summarise_thread(
        request=summarise_thread.SummaryRequest(
            text="Summarise thread (shortcut)",
            origin=origin,
            thread=_thread_replies(origin, bot_id=bot_id),
        ),
        chat=_chat_port(client, origin),
        now=timezone.now(),
    )


def _chat_port(
    client: AsyncWebClient, origin: records.SlackOrigin, *, earlier_reply_ts: str | None = None
) -> chat.SlackChatPort:
    return chat.SlackChatPort(
        client=client,
        thread=chat.SlackThread(
            channel_id=origin.channel_id,
            thread_ts=origin.thread_ts,
            user_id=origin.user_id,
            team_id=origin.team_id,
        ),
        earlier_reply_ts=earlier_reply_ts,
        remember_reply=_reply_keeper(origin.event_id) if origin.event_id else None,
    )


def _reply_keeper(event_id: str) -> chat.RememberReply:
    """Records the reply's message on the event; without the database it only warns, since the
    answer itself can still be given."""

    async def remember(ts: str) -> None:
        try:
            await operations.record_reply_shown(event_id=event_id, reply_ts=ts)
        except DatabaseError:
            logger.warning("Unable to record the reply to Slack event %s", event_id, exc_info=True)

    return remember


def _thread_replies(
    origin: records.SlackOrigin, *, bot_id: str
) -> thread_replies.SlackThreadReplies | None:
    """Only a message inside a thread has a thread to read."""
    if origin.thread_ts == origin.message_ts:
        return None
    return thread_replies.SlackThreadReplies(
        channel_id=origin.channel_id,
        thread_ts=origin.thread_ts,
        leave_out_ts=origin.message_ts,
        bot_id=bot_id,
    )


async def answer_ephemerally(text: str, *, origin: records.SlackOrigin, response_url: str) -> None:
    if not allowed(origin.channel_id):
        await ephemeral.EphemeralChatPort(response_url=response_url).send(NOT_ALLOWED_NOTE)
        return
    await respond_to_user.respond_to_user(
        question=respond_to_user.IncomingQuestion(
            text=text, source=records.QuestionSource.SLACK, slack=origin
        ),
        chat=ephemeral.EphemeralChatPort(response_url=response_url),
        now=timezone.now(),
    )


async def tell_of_failure(origin: records.SlackOrigin, *, client: AsyncWebClient) -> None:
    """Say in the thread that no answer is coming; Slack may be what failed, so only try."""
    try:
        await _reply(client, origin, respond_to_user.FAILURE_TEXT)
    except chat.SLACK_FAILURES as error:
        logger.warning("Unable to tell of the failure in Slack (%s)", chat.failure_reason(error))


async def _reply(client: AsyncWebClient, origin: records.SlackOrigin, text: str) -> None:
    await client.chat_postMessage(channel=origin.channel_id, thread_ts=origin.thread_ts, text=text)
