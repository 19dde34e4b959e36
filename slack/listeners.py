"""The bolt listeners: each turns a Slack payload into plain values and makes one call.

A question's answer job is deferred by the inbox as it records the event; its listener, which bolt
runs after the ack, only shows the status. Actions, commands and shortcuts are acknowledged by the
listener, within Slack's three seconds, and their work deferred as a job.
"""

import logging
from typing import Any

from django.utils import timezone
from slack_bolt.async_app import (
    AsyncAck,
    AsyncApp,
    AsyncAssistant,
    AsyncSay,
    AsyncSetSuggestedPrompts,
)
from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from application import respond_to_user
from domain import operations, queries, records
from slack import conversation, events, feedback, inbox, jobs, rendering, storable_payload

logger = logging.getLogger(__name__)

SUGGESTED_PROMPTS = [
    {"title": "Configure the LLM", "message": "How do I configure the LLM?"},
    {"title": "Ask from a terminal", "message": "How do I ask a question from a terminal?"},
    {"title": "Run in production", "message": "How do I run Kraken Bot in production?"},
]
GREETING = "Hi! Ask me anything about our documentation; I'll answer with my sources."
FEEDBACK_MODAL = "feedback_comment"
SUMMARISE_SHORTCUT = "summarise_thread"


def register(app: AsyncApp) -> None:
    """Attach every listener; the HTTP endpoint and Socket Mode share this one app."""
    app.use(storable_payload.make_storable)
    app.use(inbox.record_in_inbox)
    assistant = AsyncAssistant()
    assistant.thread_started(on_assistant_thread_started)
    app.assistant(assistant)
    app.event("app_mention")(on_question)
    app.event("message")(on_question)
    app.event("app_home_opened")(on_messages_tab_opened)
    app.action(rendering.FEEDBACK_UP)(on_feedback)
    app.action(rendering.FEEDBACK_DOWN)(on_feedback)
    app.action(rendering.SHARE_ANSWER)(on_share)
    app.view(FEEDBACK_MODAL)(on_feedback_comment)
    app.command("/kraken")(on_command)
    app.shortcut(SUMMARISE_SHORTCUT)(on_summarise_shortcut)


async def on_question(body: dict[str, Any], client: AsyncWebClient) -> None:
    await conversation.show_status(events.asked(body), client=client)


async def on_summarise_shortcut(
    ack: AsyncAck, shortcut: dict[str, Any], context: AsyncBoltContext
) -> None:
    message = shortcut.get("message") or {}
    origin = records.SlackOrigin(
        team_id=str((shortcut.get("team") or {}).get("id", "")),
        channel_id=str((shortcut.get("channel") or {}).get("id", "")),
        user_id=str((shortcut.get("user") or {}).get("id", "")),
        thread_ts=str(message.get("thread_ts") or message.get("ts", "")),
        message_ts=str(message.get("ts", "")),
        event_id=_use_id("shortcut", shortcut.get("trigger_id")),
    )
    await jobs.summarise_thread.defer_async(
        origin=jobs.plain(origin),
        bot_id=context.bot_id or "",
        response_url=str(shortcut.get("response_url", "")),
    )
    await ack()


async def on_messages_tab_opened(set_suggested_prompts: AsyncSetSuggestedPrompts) -> None:
    await set_suggested_prompts(prompts=SUGGESTED_PROMPTS, title="Try asking")


async def on_assistant_thread_started(
    say: AsyncSay, set_suggested_prompts: AsyncSetSuggestedPrompts
) -> None:
    await say(GREETING)
    await set_suggested_prompts(prompts=SUGGESTED_PROMPTS, title="Try asking")


async def on_feedback(
    ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient
) -> None:
    """Store the verdict, acknowledge, and for a 👎 offer to say what was wrong."""
    verdict = await _stored_verdict(body, action)
    await ack()
    if verdict is not None and verdict.score < 0 and verdict.trigger_id:
        await client.views_open(
            trigger_id=verdict.trigger_id,
            view=rendering.feedback_modal(question_id=verdict.question_id),
        )


async def on_share(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any]) -> None:
    """Acknowledge, and show the private answer to everyone in a job."""
    try:
        click = feedback.share(body, action)
    except feedback.UnreadableFeedback:
        logger.warning("Share refused: the click does not say which answer, whose, or where")
    else:
        await jobs.share_answer.defer_async(
            question_id=click.question_id, user_id=click.user_id, response_url=click.response_url
        )
    await ack()


async def _stored_verdict(body: dict[str, Any], action: dict[str, Any]) -> feedback.Verdict | None:
    """The verdict, once stored; None when it was refused."""
    try:
        verdict = feedback.verdict(body, action)
    except feedback.UnreadableFeedback:
        logger.warning(
            "Feedback refused: the click does not say on which question, from whom, where"
        )
        return None
    try:
        await operations.record_feedback(
            question_id=verdict.question_id,
            user_id=verdict.user_id,
            channel_id=verdict.channel_id,
            score=verdict.score,
            now=timezone.now(),
        )
    except queries.QuestionNotFound:
        logger.warning(
            "Feedback on question %s refused: no such question in channel %s",
            verdict.question_id,
            verdict.channel_id,
        )
        return None
    return verdict


async def on_feedback_comment(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]) -> None:
    try:
        comment = feedback.comment(body, view)
        if comment.text:
            await operations.record_feedback_comment(
                question_id=comment.question_id,
                user_id=comment.user_id,
                comment=comment.text,
                now=timezone.now(),
            )
    except feedback.UnreadableFeedback:
        logger.warning(
            "Feedback comment refused: the form does not say on which question, or whose"
        )
    except operations.FeedbackNotFound as missing:
        logger.warning(
            "Feedback comment refused: %s gave no verdict on question %s",
            missing.user_id,
            missing.question_id,
        )
    await ack()


async def on_command(ack: AsyncAck, command: dict[str, Any]) -> None:
    text = str(command.get("text", "")).strip()
    if not text or text.lower() == "help":
        await ack(text=conversation.USAGE, response_type="ephemeral")
        return
    origin = records.SlackOrigin(
        team_id=str(command.get("team_id", "")),
        channel_id=str(command.get("channel_id", "")),
        user_id=str(command.get("user_id", "")),
        event_id=_use_id("command", command.get("trigger_id")),
    )
    await jobs.answer_command.defer_async(
        text=text, origin=jobs.plain(origin), response_url=str(command["response_url"])
    )
    await ack(text=respond_to_user.STATUS_TEXT, response_type="ephemeral")


def _use_id(kind: str, trigger_id: object) -> str | None:
    """What a request made with `/kraken` or the shortcut keeps as its event's id: Slack's id of
    that use of it, by which a run again of its job finds the request an earlier run stored."""
    return f"{kind}-{trigger_id}" if isinstance(trigger_id, str) and trigger_id else None
