"""The "Answer again" actions: re-run the bot's use case on stored questions, after the
documentation was fixed or the model changed, as jobs (the request does not wait for answers).

"Answer again" answers through a chat port that shows nothing, and stores the new answer on the
question; nothing reaches Slack (`slack.jobs.answer_again_quietly`). "Answer again and post to the
thread" answers in the thread the question was asked in
(`slack.jobs.answer_again_in_thread`). Either way it is `application.respond_to_user`, with the
stored question's id so that the question is updated, not copied. A thread's summary is not
answered again (its text asks for a summary, not for documentation), nor posted where the question
was not asked in a thread: a `/kraken` question's answer was for its asker alone.
"""

from collections import Counter

from django.contrib import admin, messages
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest

from data import models
from domain import records

# A slip of "select all" must not post hundreds of old threads again.
MOST_AT_ONCE = 20
A_SUMMARY = "asked for a summary"
NOT_IN_A_THREAD = "not asked in a Slack thread"


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
    selected = list(queryset.order_by("created_at", "id")[: MOST_AT_ONCE + 1])
    if len(selected) > MOST_AT_ONCE:
        modeladmin.message_user(
            request,
            f"Select at most {MOST_AT_ONCE} questions to answer again at once.",
            messages.ERROR,
        )
        return
    reasons = {question.pk: _not_answered_again(question, post=post) for question in selected}
    queued = [question for question in selected if not reasons[question.pk]]
    skipped = Counter(reason for reason in reasons.values() if reason)
    with transaction.atomic():
        for question in queued:
            _defer(question.pk, post=post)
    where = "and post to their threads" if post else "(not posted to Slack)"
    message = f"Answering {len(queued)} again {where}: each shows its new answer when done."
    if skipped:
        why = ", ".join(f"{count} {reason}" for reason, count in skipped.items())
        modeladmin.message_user(request, f"{message} Not answered: {why}.", messages.WARNING)
        return
    modeladmin.message_user(request, message, messages.SUCCESS)


def _not_answered_again(question: models.Question, *, post: bool) -> str:
    """Why the question is not answered again, if it is not."""
    if question.category == records.SUMMARY:
        return A_SUMMARY
    if post and not (question.channel_id and question.thread_ts):
        return NOT_IN_A_THREAD
    return ""


def _defer(question_id: int, *, post: bool) -> None:
    # Imported here, not with the admin: mypy's Django plugin loads the admin with site-packages
    # first on the path, where slack_sdk's deprecated `slack` would be found.
    from slack import jobs

    if post:
        jobs.with_the_transaction(
            lambda: jobs.answer_again_in_thread.defer(question_id=question_id)
        )
    else:
        jobs.with_the_transaction(lambda: jobs.answer_again_quietly.defer(question_id=question_id))
