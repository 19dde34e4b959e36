"""Answering, as procrastinate tasks: the questions Slack brings, and the admin's answers again.

A job's arguments are plain JSON (an event id, where to answer), so any worker on any host can run
it, and run it again: the answer to an event reads the event from the inbox and does nothing once
the event is done, and a reply already shown is replaced, never repeated. A job that fails for a
passing reason (Slack or the database unreachable) is run again a few times, further apart each
time, and so is one whose worker died while it ran, within the same attempts; after the last
attempt, or a failure no attempt would get past, the person is told, so nobody is left with a
status and no answer; an answer again from the admin marks its question failed instead.
"""

import asyncio
import dataclasses
import logging
from collections.abc import Callable
from typing import Any

from django.db import DatabaseError, transaction
from django.utils import timezone
from procrastinate import JobContext, RetryDecision, RetryStrategy
from procrastinate.contrib.django import app
from procrastinate.contrib.django.django_connector import DjangoConnector
from procrastinate.jobs import Job
from slack_sdk.web.async_client import AsyncWebClient

from application import channel_settings, log_context, ports, respond_to_user
from application import summarise_thread as summarise_thread_use_case
from domain import operations, queries, records
from slack import chat, conversation, events, lost_reply
from slack.web_client import build_web_client

logger = logging.getLogger(__name__)

# What a later attempt may get past: Slack or the database out of reach for a while.
PASSING_FAILURES = (
    *chat.SLACK_FAILURES,
    DatabaseError,
    respond_to_user.QuestionNotStored,
    respond_to_user.ReplyNotSent,
)
# Run again at most this many times, after 5, 25 and 125 s.
RETRIES = 3


class _RetryPassingFailures(RetryStrategy):
    """Run again a job that failed for a passing reason; and at once one its worker stopped
    part-way at shutdown (a deploy: procrastinate cancels what outlasts `SHUTDOWN_GRACE_S`), even
    past its last attempt: that run then tells the person (`RunPastItsLastAttempt`)."""

    def get_retry_decision(self, *, exception: BaseException, job: Job) -> RetryDecision | None:
        if isinstance(exception, asyncio.CancelledError):
            return RetryDecision(retry_in={"seconds": 0})
        return super().get_retry_decision(exception=exception, job=job)


RETRY = _RetryPassingFailures(
    max_attempts=RETRIES, exponential_wait=5, retry_exceptions=PASSING_FAILURES
)
# A reply a later run cannot find to replace, a `/kraken` answer (only its asker sees it, through
# Slack's `response_url`), a summary from the message shortcut or an admin's answer again posted
# to a thread (no event records where they are), is not run again once shown and only storing it
# failed: that would reply twice.
RETRY_UNLESS_SHOWN = _RetryPassingFailures(
    max_attempts=RETRIES,
    exponential_wait=5,
    retry_exceptions=tuple(
        failure for failure in PASSING_FAILURES if failure is not respond_to_user.QuestionNotStored
    ),
)


class RunPastItsLastAttempt(Exception):
    """The job's last attempt was stopped part-way: its worker died (killed, out of memory; then
    `kraken_bot.tasks.retry_stalled_jobs` runs it again) or stopped. A job that kills workers
    runs no more, so that it cannot take one after another down with it."""


def _not_past_the_last_attempt(context: JobContext) -> None:
    if context.job.attempts > RETRIES:
        raise RunPastItsLastAttempt(f"attempt {context.job.attempts + 1} of {RETRIES + 1}")


# What Slack says to a bot asked to read or write where it is not a member: no run gets past it.
NOT_IN_THE_CONVERSATION = ("not_in_channel", "channel_not_found")

# The events whose job answers a question.
QUESTION_EVENTS = ("app_mention", "message")


@app.task(name="answer_slack_event", retry=RETRY, pass_context=True)
async def answer_event(context: JobContext, *, event_id: str, bot_id: str = "") -> None:
    """Answer the question of a recorded event (a mention or a direct message) in its thread.
    Without `bot_id` (the bot's own messages in the thread are told apart by it), Slack is asked."""
    log_context.event_id.set(event_id)
    event = await queries.find_event(event_id=event_id)
    if event is None:
        logger.warning("Slack event %s is not in the inbox: nothing to answer", event_id)
        return
    if event.done_at is not None or await _answered(event):
        logger.info("Slack event %s was already answered: not answered again", event_id)
        await operations.record_event_done(event_id=event_id, done_at=timezone.now())
        return
    asked = events.asked(dict(event.payload))
    client = build_web_client()
    try:
        _not_past_the_last_attempt(context)
        bot_id = bot_id or await _bot_id(client)
        await conversation.answer_in_thread(
            asked,
            client=client,
            bot_id=bot_id,
            stored_id=event.question_id,
            earlier_reply_ts=await _earlier_reply(event, asked, bot_id=bot_id, context=context),
        )
    except Exception as error:
        if _runs_no_more(context, error):
            await _give_up(event_id, asked.origin, client=client, error=error, context=context)
        raise


@app.task(name="summarise_slack_thread", retry=RETRY_UNLESS_SHOWN, pass_context=True)
async def summarise_thread(
    context: JobContext, *, origin: dict[str, Any], bot_id: str, response_url: str = ""
) -> None:
    """Summarise a thread in it, for the message shortcut, which may be used where the bot is not:
    the person who used it is told so alone, through Slack's `response_url`."""
    where = records.SlackOrigin(**origin)
    client = build_web_client()
    try:
        _not_past_the_last_attempt(context)
        await conversation.summarise_from_shortcut(where, client=client, bot_id=bot_id)
    except Exception as error:
        reason = chat.failure_reason(error)
        if reason in NOT_IN_THE_CONVERSATION and response_url:
            logger.warning("Summary in %s: the bot is not in it (%s)", where.channel_id, reason)
            await _mark_summary_failed(where, f"Not in the conversation ({reason})")
            await conversation.tell_privately_of_failure(
                response_url, conversation.NOT_IN_THE_CONVERSATION
            )
            return
        if _runs_no_more(context, error) and not _shown(error):
            reason = _gave_up_after(context, error)
            logger.error("Summary in %s: %s", where.channel_id, reason)
            await _mark_summary_failed(where, reason)
            if response_url:
                await conversation.tell_privately_of_failure(
                    response_url, summarise_thread_use_case.FAILURE_TEXT
                )
            else:
                await conversation.tell_of_failure(where, client=client)
        raise


async def _mark_summary_failed(where: records.SlackOrigin, reason: str) -> None:
    """Mark failed the request the run stored, if it got that far."""
    try:
        stored = await queries.find_question(event_id=where.event_id) if where.event_id else None
    except DatabaseError:
        logger.warning("Unable to find the summary request to mark it failed", exc_info=True)
        return
    if stored is not None:
        await _record_failure(stored.id, reason)


@app.task(name="answer_question_again_in_thread", retry=RETRY_UNLESS_SHOWN, pass_context=True)
async def answer_again_in_thread(context: JobContext, *, question_id: int) -> None:
    """Answer a stored question again, for a bot owner in the admin: the answer goes to the thread
    it was asked in, and replaces the old one on the question."""
    question = await _to_answer_again(question_id)
    if question is None:
        return
    if question.slack is None or not question.slack.thread_ts:
        logger.warning("Question %s was not asked in a Slack thread: not posted", question_id)
        return
    client = build_web_client()
    try:
        _not_past_the_last_attempt(context)
        await conversation.answer_in_thread(
            events.Asked(text=question.text, origin=question.slack, wants_summary=False),
            client=client,
            bot_id=await _bot_id(client),
            stored_id=question.id,
        )
    except Exception as error:
        if _runs_no_more(context, error):
            await _answered_again_gave_up(question_id, context=context, error=error)
            if not _shown(error):
                await conversation.tell_of_failure(question.slack, client=client)
        raise


@app.task(name="answer_question_again", retry=RETRY, pass_context=True)
async def answer_again_quietly(context: JobContext, *, question_id: int) -> None:
    """Answer a stored question again, for a bot owner in the admin, and store the new answer in
    place of the old one; nothing is posted anywhere."""
    question = await _to_answer_again(question_id)
    if question is None:
        return
    try:
        _not_past_the_last_attempt(context)
        await respond_to_user.respond_to_user(
            question=respond_to_user.IncomingQuestion(
                text=question.text,
                source=question.source,
                slack=question.slack,
                stored_id=question.id,
                settings=await channel_settings.settings_for(
                    channel_id=question.slack.channel_id if question.slack else ""
                ),
            ),
            chat=_Unseen(),
            now=timezone.now(),
        )
    except Exception as error:
        if _runs_no_more(context, error):
            await _answered_again_gave_up(question_id, context=context, error=error)
        raise


class _Unseen:
    """The chat of an answer nobody is shown: the stored question is where it is read."""

    async def show_status(self, *, text: str) -> None:
        pass

    def answer_writer(self) -> "_Unseen":
        return self

    async def append(self, *, text: str) -> None:
        pass

    async def finish(self, *, reply: ports.Reply) -> str:
        return ""

    async def fail(self, *, text: str) -> None:
        pass


async def _to_answer_again(question_id: int) -> records.Question | None:
    """The question, unless it was deleted before its job ran."""
    try:
        return await queries.get_question(question_id=question_id)
    except queries.QuestionNotFound:
        logger.warning("Question %s is gone: not answered again", question_id)
        return None


async def _answered_again_gave_up(
    question_id: int, *, context: JobContext, error: Exception
) -> None:
    reason = _gave_up_after(context, error)
    logger.error("Question %s, answered again: %s", question_id, reason)
    await _record_failure(question_id, reason)


@app.task(name="answer_slack_command", retry=RETRY_UNLESS_SHOWN, pass_context=True)
async def answer_command(
    context: JobContext, *, text: str, origin: dict[str, Any], response_url: str
) -> None:
    """Answer `/kraken <question>` where only the person who asked sees it."""
    try:
        _not_past_the_last_attempt(context)
        await conversation.answer_ephemerally(
            text, origin=records.SlackOrigin(**origin), response_url=response_url
        )
    except Exception as error:
        if _runs_no_more(context, error) and not _shown(error):
            await conversation.tell_privately_of_failure(response_url, respond_to_user.FAILURE_TEXT)
        raise


@app.task(name="share_slack_answer", retry=RETRY, pass_context=True)
async def share_answer(
    context: JobContext, *, question_id: int, user_id: str, response_url: str
) -> None:
    """Show a private answer to everyone in its thread, at its asker's click."""
    try:
        _not_past_the_last_attempt(context)
        await conversation.share_answer(
            question_id=question_id,
            user_id=user_id,
            response_url=response_url,
            client=build_web_client(),
        )
    except Exception as error:
        if _runs_no_more(context, error):
            await conversation.tell_privately_of_failure(response_url, conversation.NOT_SHARED)
        raise


async def answer_unfinished_events() -> int:
    """Defer again the answer of every question event not done: where jobs are kept in memory
    (SQLite), those of a process that stopped are gone. Returns how many."""
    unfinished = await queries.list_unfinished_events(event_types=QUESTION_EVENTS)
    for event in unfinished:
        await answer_event.defer_async(event_id=event.event_id)
    if unfinished:
        logger.info("Answering %s questions a stopped process left unanswered", len(unfinished))
    return len(unfinished)


def with_the_transaction(defer: Callable[[], object]) -> None:
    """Defer a job with the data it needs, called in the transaction that writes that data. Jobs
    kept in the database are written in that transaction: both are kept, or neither. Jobs kept in
    memory (on SQLite, where the serving process runs them) are deferred once it commits, so that
    the job finds what the transaction wrote."""
    if kept_in_the_database():
        defer()
    else:
        transaction.on_commit(defer)


def kept_in_the_database() -> bool:
    """Whether jobs are kept in the database (PostgreSQL), not in the serving process's memory."""
    return isinstance(app.connector, DjangoConnector)


def plain(origin: records.SlackOrigin) -> dict[str, Any]:
    """Where to answer, as a job's JSON argument."""
    return dataclasses.asdict(origin)


async def _bot_id(client: AsyncWebClient) -> str:
    """The bot's own id, from Slack, for a job not given it."""
    return str((await client.auth_test()).get("bot_id") or "")


async def _earlier_reply(
    event: records.InboundEvent, asked: events.Asked, *, bot_id: str, context: JobContext
) -> str | None:
    """The reply an earlier run for the event showed: the one it recorded, else, where a run got
    far enough to begin one (it ran before, or stored the question), one it did not record."""
    if event.reply_ts:
        return event.reply_ts
    if context.job.attempts == 0 and event.question_id is None:
        return None
    return await lost_reply.find_lost_reply(asked.origin, bot_id=bot_id)


async def _answered(event: records.InboundEvent) -> bool:
    """Whether the event's question is stored answered: a run can answer it and then fail to mark
    its event done."""
    if event.question_id is None:
        return False
    try:
        question = await queries.get_question(question_id=event.question_id)
    except queries.QuestionNotFound:
        return False
    return question.status == records.QuestionStatus.ANSWERED


def _runs_no_more(context: JobContext, error: Exception) -> bool:
    """Whether the job will not run again: this was its last attempt, or it failed in a way that
    no later attempt would get past (a bug: the log has it)."""
    return context.job.attempts >= RETRIES or not isinstance(error, PASSING_FAILURES)


async def _give_up(
    event_id: str,
    origin: records.SlackOrigin,
    *,
    client: AsyncWebClient,
    error: Exception,
    context: JobContext,
) -> None:
    """Tell the person, unless this run replied and only storing failed, and mark the question
    failed and the event done, where the database lets us: it may be what keeps failing."""
    reason = _gave_up_after(context, error)
    logger.error("Slack event %s: %s", event_id, reason)
    try:
        event = await queries.find_event(event_id=event_id)
    except DatabaseError:
        logger.warning("Unable to read Slack event %s", event_id, exc_info=True)
        event = None
    if not _shown(error):
        began = event.reply_ts if event is not None else ""
        await conversation.tell_of_failure(origin, client=client, replacing=began)
    try:
        if event is not None and event.question_id is not None:
            await _record_failure(event.question_id, reason)
        await operations.record_event_done(event_id=event_id, done_at=timezone.now())
    except DatabaseError:
        logger.warning("Unable to record that Slack event %s failed", event_id, exc_info=True)


def _shown(error: Exception) -> bool:
    """Whether the run failed only to store a reply it showed: no failure to tell of."""
    return isinstance(error, respond_to_user.QuestionNotStored)


def _gave_up_after(context: JobContext, error: Exception) -> str:
    """What a question that failed for good keeps as its error."""
    return f"Gave up after attempt {context.job.attempts + 1}: {type(error).__name__}"


async def _record_failure(question_id: int, reason: str) -> None:
    """Mark the question failed, where the database lets us: it may be what keeps failing."""
    try:
        await operations.record_failure(question_id=question_id, error=reason, timings_ms={})
    except (DatabaseError, queries.QuestionNotFound):
        logger.warning("Unable to record that question %s failed", question_id, exc_info=True)
