"""The "Answer again" actions: re-run the bot's use case on stored questions, after the
documentation was fixed or the model changed.

"Answer again" answers through the console's chat port, writing to nowhere, and stores the new
answer on the question; nothing reaches Slack. "Answer again and post to the thread" answers
through Slack's chat port, in the thread the question was asked in. Either way it is
`application.respond_to_user`, with the stored question's id so that the question is updated, not
copied.
"""

import io
from collections import Counter

from asgiref.sync import async_to_sync
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from application import respond_to_user
from data import models
from domain import queries, records
from kraken_bot.console import ConsolePort

# Each answer takes as long as the model does; the request waits for them all.
MOST_AT_ONCE = 20
NOT_IN_SLACK = "not asked in Slack"


@admin.action(description="Answer again (stored here, not posted to Slack)", permissions=["answer"])
def answer_again(
    modeladmin: admin.ModelAdmin[models.Question],
    request: HttpRequest,
    queryset: QuerySet[models.Question],
) -> None:
    _answer_selected(modeladmin, request, queryset, post=False)


@admin.action(description="Answer again and post to the thread", permissions=["answer"])
def answer_again_and_post(
    modeladmin: admin.ModelAdmin[models.Question],
    request: HttpRequest,
    queryset: QuerySet[models.Question],
) -> None:
    _answer_selected(modeladmin, request, queryset, post=True)


def _answer_selected(
    modeladmin: admin.ModelAdmin[models.Question],
    request: HttpRequest,
    queryset: QuerySet[models.Question],
    *,
    post: bool,
) -> None:
    ids = list(
        queryset.order_by("created_at", "id").values_list("pk", flat=True)[: MOST_AT_ONCE + 1]
    )
    if len(ids) > MOST_AT_ONCE:
        modeladmin.message_user(
            request,
            f"Select at most {MOST_AT_ONCE} questions to answer again at once.",
            messages.ERROR,
        )
        return
    outcomes = async_to_sync(_answer_all)(ids, post=post)
    summary = ", ".join(f"{count} {outcome}" for outcome, count in sorted(outcomes.items()))
    level = messages.SUCCESS if set(outcomes) == {"answered"} else messages.WARNING
    where = "and posted to their threads" if post else "(not posted to Slack)"
    modeladmin.message_user(request, f"Answered again {where}: {summary}.", level)


async def _answer_all(ids: list[int], *, post: bool) -> Counter[str]:
    outcomes: Counter[str] = Counter()
    for question_id in ids:
        outcomes[await _answer_one(question_id, post=post)] += 1
    return outcomes


async def _answer_one(question_id: int, *, post: bool) -> str:
    """Answer one question again; return what became of it."""
    question = await queries.get_question(question_id=question_id)
    if post:
        if question.slack is None:
            return NOT_IN_SLACK
        # Imported here, not with the admin: mypy's Django plugin loads the admin with
        # site-packages first on the path, where slack_sdk's deprecated `slack` would be found.
        from slack import chat, recovery

        try:
            await recovery.answer_again_in_thread(question, origin=question.slack)
        except chat.SLACK_FAILURES as error:
            return f"not posted ({chat.failure_reason(error)})"
    else:
        await respond_to_user.respond_to_user(
            question=respond_to_user.IncomingQuestion(
                text=question.text,
                source=question.source,
                slack=question.slack,
                stored_id=question.id,
            ),
            chat=ConsolePort(out=io.StringIO(), err=io.StringIO(), show_answer=False),
            now=timezone.now(),
        )
    answered = await queries.get_question(question_id=question_id)
    return "answered" if answered.status is records.QuestionStatus.ANSWERED else "failed"
