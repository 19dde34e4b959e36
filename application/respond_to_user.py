"""Answering one question: the bot's main use case.

The four steps are independent, so they run at once with `asyncio.TaskGroup`: tell the person the
bot is working, store the question, classify it, answer it. The reply is finished as soon as the
answer is ready, the status shown and the question stored (its id goes on the feedback buttons):
the category is for the admin's statistics, so a slow classifier never holds the reply back; it
is awaited only to be stored with the answer. Each step's failure is caught inside its own task,
so a failed status update never cancels the answer and a failed agent never loses the stored
question. The answer's text reaches the chat through a relay, so a slow chat never slows the
model's stream down.
"""

import asyncio
import dataclasses
import datetime as dt
import functools
import logging
import time
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Generic, TypeVar

from django.conf import settings

from agents import classifier, docs_answerer, embeddings, usage
from application import answer_relay, log_context, metrics, ports, thread_context
from domain import operations, records, search

logger = logging.getLogger(__name__)

STATUS_TEXT = "Finding a response…"
FAILURE_TEXT = (
    "Sorry, I couldn't answer that just now. Your question is saved, and the people who run "
    "Kraken Bot can see what went wrong."
)

T = TypeVar("T")

# How much of a thread goes to the model with a question asked in it.
THREAD_BUDGET_TOKENS = 3_000


@dataclass(frozen=True, kw_only=True)
class IncomingQuestion:
    """A question to answer. `stored_id` names one already stored (answered again on recovery);
    `thread` gives the messages of the thread it was asked in, as context; `settings` are those
    of the channel it was asked in (which collections to search, the answerer's instructions and
    model), stored with it."""

    text: str
    source: records.QuestionSource
    slack: records.SlackOrigin | None = None
    stored_id: int | None = None
    thread: ports.ThreadReplies | None = None
    settings: records.ChannelSettings = dataclasses.field(default_factory=records.ChannelSettings)


class QuestionNotStored(Exception):
    """The question, or its answer, could not be stored (the database failed); the person still
    got a reply."""


class ReplyNotSent(Exception):
    """The chat refused the reply (its cause says how); the question is stored as failed, and a
    later run may answer it again."""


@dataclass(frozen=True, kw_only=True)
class _Outcome(Generic[T]):
    """One step's result or failure, and how long it took."""

    value: T | None
    error: Exception | None
    elapsed_ms: float


@dataclass(frozen=True, kw_only=True)
class _FanOut:
    status: _Outcome[None]
    stored: _Outcome[records.Question]
    classified: _Outcome[classifier.ClassifiedQuestion]
    answered: _Outcome[docs_answerer.AnsweredQuestion]

    def timings(self) -> dict[str, float]:
        return {
            "status": self.status.elapsed_ms,
            "store": self.stored.elapsed_ms,
            "classify": self.classified.elapsed_ms,
            "answer": self.answered.elapsed_ms,
        }


async def respond_to_user(
    *, question: IncomingQuestion, chat: ports.ChatPort, now: dt.datetime
) -> records.Question:
    """Answer the question through the chat port and store everything about the answer.

    Raises: QuestionNotStored; ReplyNotSent, once the failure is stored.
    """
    writer = answer_relay.RelayedWriter(chat.answer_writer(), every_s=answer_relay.APPEND_EVERY_S)
    steps, delivered, total_ms = await _fan_out(question, chat=chat, writer=writer, now=now)
    timings = steps.timings() | {"reply": delivered.elapsed_ms, "total": total_ms}
    if steps.stored.value is None:
        metrics.count_failed(reason="store", timings_ms=timings)
        raise QuestionNotStored("The question was replied to but could not be stored")
    log_context.question_id.set(steps.stored.value.id)
    try:
        recorded = await _record(
            steps,
            question_id=steps.stored.value.id,
            delivered=delivered,
            timings=timings,
            answered_at=now + dt.timedelta(milliseconds=timings["total"]),
        )
    except Exception as error:
        if delivered.error is None:
            raise QuestionNotStored("The question was replied to but not stored as such") from error
        raise
    if delivered.error is not None:
        raise ReplyNotSent(f"Question {recorded.id} was not sent") from delivered.error
    return recorded


async def _fan_out(
    question: IncomingQuestion,
    *,
    chat: ports.ChatPort,
    writer: ports.AnswerWriter,
    now: dt.datetime,
) -> tuple[_FanOut, _Outcome[str], float]:
    """The four steps' outcomes, the reply's, and the time until the reply was finished (ms)."""
    started = time.perf_counter()
    async with asyncio.TaskGroup() as group:
        status = group.create_task(_timed(chat.show_status(text=STATUS_TEXT)))
        stored = group.create_task(_timed(store_question(question, now=now)))
        classified = group.create_task(
            _timed(
                classifier.classify_question(
                    question=question.text, categories=settings.QUESTION_CATEGORIES
                )
            )
        )
        answered = group.create_task(_timed(_answer(question, writer=writer)))
        # A status shown after the reply would stay under it: the reply waits for the status too.
        await status
        delivered = await _deliver(await answered, await stored, writer=writer)
        total_ms = _elapsed_ms(started)
    steps = _FanOut(
        status=status.result(),
        stored=stored.result(),
        classified=classified.result(),
        answered=answered.result(),
    )
    for name, outcome in (
        ("show the status", steps.status),
        ("store the question", steps.stored),
        ("classify the question", steps.classified),
    ):
        if outcome.error is not None:
            logger.warning("Unable to %s: %s", name, _describe(outcome.error))
    return steps, delivered, total_ms


async def _answer(
    question: IncomingQuestion, *, writer: ports.AnswerWriter
) -> docs_answerer.AnsweredQuestion:
    context = thread_context.ThreadContext(messages=())
    if question.slack is not None and question.slack.thread_ts != question.slack.message_ts:
        context = await thread_context.thread_context(
            origin=question.slack, replies=question.thread, budget_tokens=THREAD_BUDGET_TOKENS
        )
    answered = await docs_answerer.answer_question(
        question=question.text,
        search=functools.partial(
            search.search_passages,
            collections=question.settings.collections,
            embedder=embeddings.configured_embedder(on_usage=metrics.count_embedding_usage),
        ),
        history=context.messages,
        on_text=_sink(writer),
        instructions=question.settings.instructions,
        model_name=question.settings.model or None,
    )
    if not context.note:
        return answered
    return dataclasses.replace(answered, text=f"{answered.text.rstrip()}\n\n_{context.note}_")


async def store_question(question: IncomingQuestion, *, now: dt.datetime) -> records.Question:
    """Store the question, or mark the one stored by an earlier run as being answered again."""
    if question.stored_id is not None:
        return await operations.start_answering(
            question_id=question.stored_id, settings=question.settings
        )
    return await operations.record_question(
        text=question.text,
        source=question.source,
        received_at=now,
        slack=question.slack,
        settings=question.settings,
    )


def _sink(writer: ports.AnswerWriter) -> docs_answerer.TextSink:
    async def append(text: str) -> None:
        await writer.append(text=text)

    return append


async def _deliver(
    answered: _Outcome[docs_answerer.AnsweredQuestion],
    stored: _Outcome[records.Question],
    *,
    writer: ports.AnswerWriter,
) -> _Outcome[str]:
    answer = answered.value
    if answer is None:
        return await _timed(_send_failure(writer))
    reply = ports.Reply(
        question_id=stored.value.id if stored.value else None,
        text=answer.text,
        citations=answer.citations,
    )
    return await _timed(writer.finish(reply=reply))


async def _send_failure(writer: ports.AnswerWriter) -> str:
    await writer.fail(text=FAILURE_TEXT)
    return ""


async def _record(
    steps: _FanOut,
    *,
    question_id: int,
    delivered: _Outcome[str],
    timings: dict[str, float],
    answered_at: dt.datetime,
) -> records.Question:
    answer = steps.answered.value
    if answer is None or delivered.error is not None:
        reason, error = _failure(steps, delivered)
        logger.warning("Question %s failed (%s): %s", question_id, reason, error)
        metrics.count_failed(reason=reason, timings_ms=timings)
        return await operations.record_failure(
            question_id=question_id, error=error, timings_ms=timings
        )
    classified = steps.classified.value
    recorded = await operations.record_answer(
        question_id=question_id,
        answer=records.Answer(
            text=answer.text,
            citations=answer.citations,
            category=classified.category if classified else "",
            usage=usage.add_usage(classified.usage, answer.usage) if classified else answer.usage,
            timings_ms=timings,
            reply_ts=delivered.value or "",
            model_error=answer.model_error,
        ),
        answered_at=answered_at,
    )
    how = " by quoting the documentation" if answer.model_error else ""
    logger.info("Question %s answered%s in %.0f ms", question_id, how, timings["total"])
    metrics.count_answered(recorded)
    return recorded


def _failure(steps: _FanOut, delivered: _Outcome[str]) -> tuple[str, str]:
    """Why a question failed, as a metric's reason and as the error stored with it."""
    failed = steps.answered.error
    if failed is not None:
        return "unexpected", _describe(failed)
    return "reply", f"Unable to send the answer: {_describe(delivered.error)}"


async def _timed(step: Awaitable[T]) -> _Outcome[T]:
    """Run one step and keep its result or its failure, so one step never cancels the others."""
    started = time.perf_counter()
    try:
        value = await step
    except Exception as error:
        logger.exception("Unexpected failure while answering a question")
        return _Outcome(value=None, error=error, elapsed_ms=_elapsed_ms(started))
    return _Outcome(value=value, error=None, elapsed_ms=_elapsed_ms(started))


def _describe(error: Exception | None) -> str:
    return f"Unexpected error: {type(error).__name__}"


def _elapsed_ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 1)
