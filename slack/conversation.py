"""What the bot does with a question asked in Slack, after the event is acknowledged.

`show_status` runs where the event is accepted, so the person sees the bot at work however many
answers the workers are busy with. The other functions run as jobs (`slack.jobs`) and each makes
one application call with the settings of the channel the question was asked in, after the
checks that need no application: an empty mention gets a one-line hint; in a channel closed to
the bot, the asker gets a note only they see, or nothing, as its settings say. Where the settings
keep answers private, the asker alone sees the answer, with a button to show it to everyone.
"""

import logging

from django.db import DatabaseError
from django.utils import timezone
from slack_sdk.web.async_client import AsyncWebClient

from application import channel_settings, log_context, ports, respond_to_user, summarise_thread
from domain import operations, queries, records
from slack import chat, ephemeral, events, private_reply, rendering, thread_replies

logger = logging.getLogger(__name__)

EMPTY_MENTION_HINT = (
    "Ask me a question after the mention, for example: "
    "`@Kraken how do I rotate the database password?`"
)
EMPTY_MESSAGE_HINT = (
    "Ask me a question in words, for example: `how do I rotate the database password?`"
)
NOT_ALLOWED_NOTE = (
    "I don't answer in this channel: its owners have closed it to me. Try a direct message."
)
ONLY_THE_ASKER = "Only the person who asked can show this answer to everyone."
ALREADY_SHARED = "This answer is already shown in the thread."
SHARED = "Done: everyone in the thread can see the answer now."
SHARED_QUESTION_GONE = "This answer is no longer kept, so it can't be shown."
NOT_STORED_YET = "I'm still saving this answer: try the button again in a moment."
NOT_SHARED = "Sorry, I couldn't show the answer in the thread just now. Try the button again later."
NOT_IN_THE_CONVERSATION = (
    "I can only summarise threads where I can read them: invite me to the channel "
    "(`/invite @Kraken`), then try again."
)
USAGE = (
    "*Kraken Bot* answers questions from the company's documentation.\n"
    "• `/kraken <question>`: an answer only you can see\n"
    "• `@Kraken <question>` in a channel, or a direct message: an answer in the thread\n"
    "• `@Kraken summarise` in a thread: a summary of the thread"
)


async def show_status(asked: events.Asked, *, client: AsyncWebClient) -> None:
    """The assistant status in the question's thread, where an answer will follow. The answer's job
    sets the same status again (Slack shows one), and only the job posts a placeholder where Slack
    refuses the status: at most one status for each question. Where answers are private, only
    the job shows one, as a note only the asker sees (a note cannot be taken back)."""
    origin = asked.origin
    where = await channel_settings.settings_for(channel_id=origin.channel_id)
    if not asked.text or not where.enabled or where.private_answers:
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
    where = await channel_settings.settings_for(channel_id=origin.channel_id)
    if not where.enabled:
        await _tell_closed(client, origin, where)
        return
    if asked.unaddressed and where.answers != records.ChannelAnswers.EVERY_QUESTION:
        logger.info("The channel's settings no longer answer every question: not answered")
        return
    if not asked.text:
        direct = origin.channel_id.startswith("D")
        await _reply(client, origin, EMPTY_MESSAGE_HINT if direct else EMPTY_MENTION_HINT)
        return
    thread = _thread_replies(origin, bot_id=bot_id)
    if asked.wants_summary:
        await summarise_thread.summarise_thread(
            request=summarise_thread.SummaryRequest(
                text=asked.text, origin=origin, thread=thread, settings=where, stored_id=stored_id
            ),
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
            settings=where,
        ),
        chat=private_reply.PrivateChatPort(client=client, thread=_thread(origin))
        if where.private_answers
        else _chat_port(client, origin, earlier_reply_ts=earlier_reply_ts),
        now=timezone.now(),
    )


async def summarise_from_shortcut(
    origin: records.SlackOrigin, *, client: AsyncWebClient, bot_id: str
) -> None:
    """The summary the shortcut asks for. Run again, it summarises into the request an earlier
    run stored, unless that run was answered."""
    where = await channel_settings.settings_for(channel_id=origin.channel_id)
    if not where.enabled:
        await _tell_closed(client, origin, where)
        return
    answered, stored_id = await _stored_before(origin)
    if answered:
        return
    await summarise_thread.summarise_thread(
        request=summarise_thread.SummaryRequest(
            text="Summarise thread (shortcut)",
            origin=origin,
            # The message the shortcut was used on is part of the thread, the first one as well.
            thread=thread_replies.SlackThreadReplies(
                channel_id=origin.channel_id,
                thread_ts=origin.thread_ts,
                leave_out_ts=None,
                bot_id=bot_id,
            ),
            settings=where,
            stored_id=stored_id,
        ),
        chat=_chat_port(client, origin),
        now=timezone.now(),
    )


async def _tell_closed(
    client: AsyncWebClient, origin: records.SlackOrigin, where: records.ChannelSettings
) -> None:
    """In a channel closed to the bot, a note only the asker sees, where its settings ask."""
    if not where.note_when_disabled:
        logger.info("The channel is closed to the bot: nothing said")
        return
    await client.chat_postEphemeral(
        channel=origin.channel_id,
        user=origin.user_id,
        thread_ts=origin.thread_ts if origin.thread_ts != origin.message_ts else None,
        text=NOT_ALLOWED_NOTE,
    )


def _chat_port(
    client: AsyncWebClient, origin: records.SlackOrigin, *, earlier_reply_ts: str | None = None
) -> chat.SlackChatPort:
    return chat.SlackChatPort(
        client=client,
        thread=_thread(origin),
        earlier_reply_ts=earlier_reply_ts,
        remember_reply=_reply_keeper(origin.event_id) if origin.event_id else None,
    )


def _thread(origin: records.SlackOrigin) -> chat.SlackThread:
    return chat.SlackThread(
        channel_id=origin.channel_id,
        thread_ts=origin.thread_ts,
        user_id=origin.user_id,
        team_id=origin.team_id,
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
    """Only a message inside a thread has a thread to read, the asking message left out."""
    if origin.thread_ts == origin.message_ts:
        return None
    return thread_replies.SlackThreadReplies(
        channel_id=origin.channel_id,
        thread_ts=origin.thread_ts,
        leave_out_ts=origin.message_ts,
        bot_id=bot_id,
    )


async def answer_ephemerally(text: str, *, origin: records.SlackOrigin, response_url: str) -> None:
    """The answer to `/kraken`, which only the asker sees anyway. In a channel closed to the bot
    the note is always given: the person asked the bot directly, and would otherwise be left with
    its "Finding a response…". Run again, it answers the question an earlier run stored, unless
    that run answered it."""
    where = await channel_settings.settings_for(channel_id=origin.channel_id)
    if not where.enabled:
        await ephemeral.EphemeralChatPort(response_url=response_url).send(NOT_ALLOWED_NOTE)
        return
    answered, stored_id = await _stored_before(origin)
    if answered:
        return
    await respond_to_user.respond_to_user(
        question=respond_to_user.IncomingQuestion(
            text=text,
            source=records.QuestionSource.SLACK,
            slack=origin,
            stored_id=stored_id,
            settings=where,
        ),
        chat=ephemeral.EphemeralChatPort(response_url=response_url),
        now=timezone.now(),
    )


async def _stored_before(origin: records.SlackOrigin) -> tuple[bool, int | None]:
    """Whether an earlier run of a `/kraken` or shortcut job answered its request, and the id of
    the request it stored: found by Slack's id of that use of it."""
    earlier = await queries.find_question(event_id=origin.event_id) if origin.event_id else None
    if earlier is None:
        return False, None
    answered = earlier.status == records.QuestionStatus.ANSWERED
    if answered:
        logger.info("Question %s was already answered: not answered again", earlier.id)
    return answered, earlier.id


async def share_answer(
    *, question_id: int, user_id: str, response_url: str, client: AsyncWebClient
) -> None:
    """Show a private answer to everyone in its thread, at its asker's click: once, and only for
    them. The asker is told how it went, in a note only they see."""
    tell = ephemeral.EphemeralChatPort(response_url=response_url).send
    try:
        question = await operations.claim_sharing(
            question_id=question_id, user_id=user_id, now=timezone.now()
        )
    except queries.QuestionNotFound:
        await tell(SHARED_QUESTION_GONE)
        return
    except operations.NotTheAsker:
        logger.warning("%s may not share the answer to question %s", user_id, question_id)
        await tell(ONLY_THE_ASKER)
        return
    except operations.NotAnsweredYet:
        await tell(NOT_STORED_YET)
        return
    except operations.AlreadyShared:
        await tell(ALREADY_SHARED)
        return
    origin = question.slack or records.SlackOrigin(team_id="", channel_id="", user_id=user_id)
    writer = chat.SlackChatPort(client=client, thread=_thread(origin)).answer_writer()
    try:
        await writer.finish(
            reply=ports.Reply(
                question_id=question.id, text=question.answer, citations=question.citations
            )
        )
    except chat.SLACK_FAILURES:
        await operations.release_sharing(question_id=question_id)
        raise
    await tell(SHARED)


async def tell_of_failure(
    origin: records.SlackOrigin, *, client: AsyncWebClient, replacing: str = ""
) -> None:
    """Say in the thread that no answer is coming: in the reply a run began (`replacing`), so that
    no "Finding a response…" or half an answer is left above it, and only to the asker where the
    channel's answers are private (or its settings cannot be read). Slack may be what failed, so
    only try."""
    text = respond_to_user.FAILURE_TEXT
    try:
        if await _answers_privately(origin.channel_id):
            await client.chat_postEphemeral(
                channel=origin.channel_id,
                user=origin.user_id,
                thread_ts=origin.thread_ts,
                text=text,
            )
        elif replacing:
            await client.chat_update(
                channel=origin.channel_id,
                ts=replacing,
                text=text,
                blocks=rendering.markdown_blocks(text),
            )
        else:
            await _reply(client, origin, text)
    except chat.SLACK_FAILURES as error:
        logger.warning("Unable to tell of the failure in Slack (%s)", chat.failure_reason(error))


async def _answers_privately(channel_id: str) -> bool:
    try:
        where = await channel_settings.settings_for(channel_id=channel_id)
    except DatabaseError:
        logger.warning("Unable to read the channel's settings", exc_info=True)
        return True
    return where.private_answers


async def tell_privately_of_failure(response_url: str, text: str) -> None:
    """Say to the asker alone that what they asked for is not coming; Slack may be what failed,
    so only try."""
    try:
        await ephemeral.EphemeralChatPort(response_url=response_url).send(text)
    except chat.SLACK_FAILURES as error:
        logger.warning("Unable to tell of the failure in Slack (%s)", chat.failure_reason(error))


async def _reply(client: AsyncWebClient, origin: records.SlackOrigin, text: str) -> None:
    await client.chat_postMessage(channel=origin.channel_id, thread_ts=origin.thread_ts, text=text)
