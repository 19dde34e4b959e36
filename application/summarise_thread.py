"""Summarising a Slack thread on request ("@Kraken summarise", or the message shortcut).

The request is stored like a question (category `summary`), so the bot's owners see it with its
cost; the thread comes from the chat with what the bot stored as the fallback.
"""

import dataclasses
import datetime as dt
import logging
from collections.abc import Awaitable

from agents import errors, summariser
from application import metrics, ports, respond_to_user, thread_context
from domain import operations, records

logger = logging.getLogger(__name__)

SUMMARY_BUDGET_TOKENS = 12_000
STATUS_TEXT = "Summarising the thread…"
FAILURE_TEXT = "Sorry, I couldn't summarise this thread just now."
EMPTY_TEXT = "There is nothing in this thread to summarise yet."


@dataclasses.dataclass(frozen=True, kw_only=True)
class SummaryRequest:
    """A thread to summarise, with the settings of its channel (whose model summarises it);
    `stored_id` names the request an earlier run stored."""

    text: str
    origin: records.SlackOrigin
    thread: ports.ThreadReplies | None
    settings: records.ChannelSettings = dataclasses.field(default_factory=records.ChannelSettings)
    stored_id: int | None = None


async def summarise_thread(
    *, request: SummaryRequest, chat: ports.ChatPort, now: dt.datetime
) -> records.Question:
    """Post a summary of the thread (decisions and open questions) and store it.

    Raises: QuestionNotStored, when the thread got its reply but storing it failed.
    """
    stored = await respond_to_user.store_question(
        respond_to_user.IncomingQuestion(
            text=request.text,
            source=records.QuestionSource.SLACK,
            slack=request.origin,
            stored_id=request.stored_id,
            settings=request.settings,
        ),
        now=now,
    )
    await chat.show_status(text=STATUS_TEXT)
    writer = chat.answer_writer()
    context = await thread_context.thread_context(
        origin=request.origin, replies=request.thread, budget_tokens=SUMMARY_BUDGET_TOKENS
    )
    if not context.messages:
        await writer.finish(reply=ports.Reply(question_id=stored.id, text=EMPTY_TEXT))
        return await _kept(operations.record_failure(question_id=stored.id, error="Empty thread"))
    try:
        summarised = await summariser.summarise_thread(
            messages=context.messages, model_name=request.settings.model or None
        )
    except errors.UnableToAnswer as error:
        await writer.fail(text=FAILURE_TEXT)
        return await _kept(operations.record_failure(question_id=stored.id, error=str(error)))
    metrics.count_usage(summarised.usage)
    text = render_summary(summarised.summary, note=context.note)
    reply_ts = await writer.finish(reply=ports.Reply(question_id=stored.id, text=text))
    return await _kept(
        operations.record_answer(
            question_id=stored.id,
            answer=records.Answer(
                text=text, category=records.SUMMARY, usage=summarised.usage, reply_ts=reply_ts
            ),
            answered_at=now,
        )
    )


async def _kept(recording: Awaitable[records.Question]) -> records.Question:
    """The request as stored once its reply is shown: a failure from then on is the store's
    alone, which a run again must not mend by showing a second reply where it cannot replace the
    first."""
    try:
        return await recording
    except Exception as error:
        raise respond_to_user.QuestionNotStored(
            "The thread got its reply, which could not be stored"
        ) from error


def render_summary(summary: summariser.ThreadSummary, *, note: str = "") -> str:
    """The summary as Markdown: what the thread is about, then decisions and open questions."""
    parts = [f"**Summary**\n{summary.summary}"]
    if summary.decisions:
        parts.append("**Decisions**\n" + "\n".join(f"- {item}" for item in summary.decisions))
    if summary.open_questions:
        parts.append(
            "**Open questions**\n" + "\n".join(f"- {item}" for item in summary.open_questions)
        )
    if note:
        parts.append(f"_{note}_")
    return "\n\n".join(parts)
