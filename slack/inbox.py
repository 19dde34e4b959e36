"""Recording each Slack event before it is acknowledged, so nothing is answered twice or lost.

A bolt middleware, after the signature check: an event the bot acts on is recorded in the inbox
under its event id (and its message) before the listener runs and bolt answers 200; a question's
answer job is deferred in the same transaction, so a question is never recorded without its job,
nor its job queued twice. On SQLite, whose jobs the serving process keeps in memory, the job is
deferred once the event is recorded; what a stop loses from memory, the start-up pass answers.

A retry of an event already recorded, here or by another process, is acknowledged and dropped; a
retry of one that never reached us is recorded like a first delivery. When the event cannot be
recorded (the database is down), Slack gets a 503 and delivers it again later. Events the bot
ignores are acknowledged without being recorded, and so are channel messages where the channel's
settings do not ask for every question to be answered.

Each retry is counted by Slack's reason: an `http_timeout` is an ack that reached Slack later than
3 s, seen from Slack's side, which no timing taken inside the service sees whole (the wait before a
request reaches the view is not in the ack's timing).
"""

import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from django.db import DatabaseError
from django.utils import timezone
from procrastinate.exceptions import ConnectorException
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse

from application import channel_settings, log_context, metrics
from domain import operations, records
from slack import events, jobs

logger = logging.getLogger(__name__)


async def record_in_inbox(
    body: dict[str, Any],
    context: AsyncBoltContext,
    req: AsyncBoltRequest,
    next: Callable[[], Awaitable[None]],
) -> BoltResponse | None:
    if body.get("type") != "event_callback":
        await next()
        return None
    _count_retry(req.headers)
    kind = events.kind_of(body, bot_user_id=context.bot_user_id)
    try:
        ignored = kind is events.EventKind.IGNORED or (
            kind is events.EventKind.CHANNEL_QUESTION and not await _every_question_answered(body)
        )
    except DatabaseError:
        metrics.slack_events.labels(outcome="unrecorded").inc()
        logger.exception("Unable to read the channel's settings: Slack will deliver it again")
        return BoltResponse(status=503, body="")
    if ignored:
        metrics.slack_events.labels(outcome="ignored").inc()
        return BoltResponse(status=200, body="")
    event_id = str(body.get("event_id", ""))
    log_context.event_id.set(event_id)
    try:
        await _record(body, kind, event_id=event_id, bot_id=context.bot_id or "")
    except operations.EventAlreadyRecorded:
        metrics.slack_events.labels(outcome="duplicate").inc()
        logger.info(
            "Slack event %s was already recorded: acknowledged, not handled again", event_id
        )
        return BoltResponse(status=200, body="")
    except (DatabaseError, ConnectorException):  # the latter: deferring its job failed
        metrics.slack_events.labels(outcome="unrecorded").inc()
        logger.exception("Unable to record Slack event %s: Slack will deliver it again", event_id)
        return BoltResponse(status=503, body="")
    metrics.slack_events.labels(outcome="recorded").inc()
    logger.info("Slack event %s recorded (%s)", event_id, kind)
    await next()
    return None


async def _record(
    body: dict[str, Any], kind: events.EventKind, *, event_id: str, bot_id: str
) -> None:
    """Record the event and, for a question, defer its answer: in the transaction that records
    the event where jobs are kept in the database; where they are kept in memory (SQLite), right
    after it, so that recording takes one statement."""
    question = kind in _QUESTIONS

    def defer_the_answer() -> None:
        jobs.answer_event.defer(event_id=event_id, bot_id=bot_id)

    await operations.record_event(
        event_id=event_id,
        team_id=str(body.get("team_id", "")),
        event_type=str(body["event"].get("type", "")),
        payload=body,
        received_at=timezone.now(),
        message_key=events.message_key(body) if question else None,
        then=defer_the_answer if question else lambda: None,
        in_one_transaction=question and jobs.kept_in_the_database(),
    )


def _count_retry(headers: dict[str, Sequence[str]]) -> None:
    """Count a delivery Slack retries (bolt puts Socket Mode's retries in the same headers, with
    attempt 0 on a first delivery)."""
    if (headers.get("x-slack-retry-num") or ["0"])[0] == "0":
        return
    reason = (headers.get("x-slack-retry-reason") or [""])[0]
    metrics.slack_retries.labels(reason=reason if reason in _RETRY_REASONS else "other").inc()


# The reasons Slack's Events API gives for delivering an event again over HTTP; any other is
# counted as `other`, so the metric's labels stay a fixed set.
_RETRY_REASONS = frozenset(
    {
        "http_timeout",
        "too_many_redirects",
        "connection_failed",
        "ssl_error",
        "http_error",
        "unknown_error",
    }
)


async def _every_question_answered(body: dict[str, Any]) -> bool:
    found = await channel_settings.settings_for(channel_id=str(body["event"]["channel"]))
    return found.enabled and found.answers == records.ChannelAnswers.EVERY_QUESTION


_QUESTIONS = {
    events.EventKind.MENTION,
    events.EventKind.DIRECT_MESSAGE,
    events.EventKind.CHANNEL_QUESTION,
}
