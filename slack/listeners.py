"""The bolt listeners: each turns a Slack payload into plain values and starts one job.

Events are acknowledged by bolt as soon as the inbox has recorded them; the work runs afterwards,
questions in the answer process (`answer_process`), the rest as a background job in its own
context. Actions, commands and shortcuts are acknowledged by the
listener, within Slack's three seconds.
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

from application.background import jobs
from domain import operations, queries, records
from slack import conversation, events, inbox, rendering
from slack.answer_process import answer_process

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
    app.use(inbox.record_in_inbox)
    assistant = AsyncAssistant()
    assistant.thread_started(on_assistant_thread_started)
    app.assistant(assistant)
    app.event("app_mention")(on_question)
    app.event("message")(on_question)
    app.event("app_home_opened")(on_messages_tab_opened)
    app.action(rendering.FEEDBACK_UP)(on_feedback)
    app.action(rendering.FEEDBACK_DOWN)(on_feedback)
    app.view(FEEDBACK_MODAL)(on_feedback_comment)
    app.command("/kraken")(on_command)
    app.shortcut(SUMMARISE_SHORTCUT)(on_summarise_shortcut)


async def on_question(
    body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
) -> None:
    answer_process.answer(events.asked(body), client=client, bot_id=context.bot_id or "")


async def on_summarise_shortcut(
    ack: AsyncAck, shortcut: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
) -> None:
    await ack()
    message = shortcut.get("message") or {}
    origin = records.SlackOrigin(
        team_id=str((shortcut.get("team") or {}).get("id", "")),
        channel_id=str((shortcut.get("channel") or {}).get("id", "")),
        user_id=str((shortcut.get("user") or {}).get("id", "")),
        thread_ts=str(message.get("thread_ts") or message.get("ts", "")),
        message_ts=str(message.get("ts", "")),
    )
    bot_id = context.bot_id or ""
    jobs.start(
        f"summarise thread {origin.thread_ts}",
        lambda: conversation.summarise_from_shortcut(origin, client=client, bot_id=bot_id),
    )


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
    score = 1 if action["action_id"] == rendering.FEEDBACK_UP else -1
    question_id = int(action["value"])
    try:
        await operations.record_feedback(
            question_id=question_id, user_id=body["user"]["id"], score=score, now=timezone.now()
        )
    except queries.QuestionNotFound:
        logger.warning("Feedback on question %s, which no longer exists", question_id)
    await ack()
    if score < 0:
        await client.views_open(
            trigger_id=body["trigger_id"], view=rendering.feedback_modal(question_id=question_id)
        )


async def on_feedback_comment(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]) -> None:
    comment = rendering.feedback_comment(view)
    question_id = int(view["private_metadata"])
    if comment:
        await operations.record_feedback(
            question_id=question_id,
            user_id=body["user"]["id"],
            score=-1,
            comment=comment,
            now=timezone.now(),
        )
    await ack()


async def on_command(ack: AsyncAck, command: dict[str, Any]) -> None:
    text = str(command.get("text", "")).strip()
    if not text or text.lower() == "help":
        await ack(text=conversation.USAGE, response_type="ephemeral")
        return
    await ack(text="Finding a response…", response_type="ephemeral")
    origin = records.SlackOrigin(
        team_id=str(command.get("team_id", "")),
        channel_id=str(command.get("channel_id", "")),
        user_id=str(command.get("user_id", "")),
    )
    response_url = str(command["response_url"])
    jobs.start(
        f"answer /kraken from {origin.user_id}",
        lambda: conversation.answer_ephemerally(text, origin=origin, response_url=response_url),
    )
