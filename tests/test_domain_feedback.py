import datetime as dt

import pytest

from data import models
from domain import operations, queries
from tests.factories import QuestionFactory

MORNING = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
NOON = dt.datetime(2026, 3, 2, 12, 0, tzinfo=dt.UTC)
EVENING = dt.datetime(2026, 3, 2, 18, 0, tzinfo=dt.UTC)


async def test_feedback_is_stored_once_per_user_and_a_second_click_changes_it() -> None:
    question = await QuestionFactory.acreate()

    await operations.record_feedback(
        question_id=question.pk, user_id="U7", channel_id="C0001", score=1, now=MORNING
    )
    await operations.record_feedback(
        question_id=question.pk, user_id="U7", channel_id="C0001", score=-1, now=NOON
    )
    changed = await operations.record_feedback_comment(
        question_id=question.pk, user_id="U7", comment="Outdated page", now=EVENING
    )

    assert await queries.list_feedback(question_id=question.pk) == [changed]
    assert (changed.score, changed.comment, changed.updated_at) == (-1, "Outdated page", EVENING)
    row = await models.Feedback.objects.aget(question_id=question.pk, user_id="U7")
    assert row.created_at == MORNING


async def test_feedback_from_different_users_is_kept_apart() -> None:
    question = await QuestionFactory.acreate()

    await operations.record_feedback(
        question_id=question.pk, user_id="U1", channel_id="C0001", score=1, now=MORNING
    )
    await operations.record_feedback(
        question_id=question.pk, user_id="U2", channel_id="C0001", score=-1, now=EVENING
    )

    feedback = await queries.list_feedback(question_id=question.pk)
    assert [(item.user_id, item.score) for item in feedback] == [("U1", 1), ("U2", -1)]


async def test_a_score_other_than_plus_or_minus_one_is_refused() -> None:
    question = await QuestionFactory.acreate()

    with pytest.raises(operations.InvalidFeedback):
        await operations.record_feedback(
            question_id=question.pk, user_id="U1", channel_id="C0001", score=5, now=MORNING
        )


async def test_feedback_on_an_unknown_question_says_which_one() -> None:
    with pytest.raises(queries.QuestionNotFound, match="999999"):
        await operations.record_feedback(
            question_id=999999, user_id="U1", channel_id="C0001", score=1, now=MORNING
        )


async def test_feedback_given_in_another_channel_than_the_questions_is_refused() -> None:
    question = await QuestionFactory.acreate(channel_id="C0001")

    with pytest.raises(queries.QuestionNotFound):
        await operations.record_feedback(
            question_id=question.pk, user_id="U1", channel_id="C0002", score=1, now=MORNING
        )

    assert await queries.list_feedback(question_id=question.pk) == []


async def test_a_comment_without_a_verdict_to_go_with_is_refused() -> None:
    question = await QuestionFactory.acreate()

    with pytest.raises(operations.FeedbackNotFound):
        await operations.record_feedback_comment(
            question_id=question.pk, user_id="U1", comment="Outdated page", now=MORNING
        )

    assert await queries.list_feedback(question_id=question.pk) == []
