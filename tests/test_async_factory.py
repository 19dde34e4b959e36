import pytest

from data import models
from tests.async_factory import SyncCreateInEventLoop
from tests.factories import FeedbackFactory, PassageFactory, QuestionFactory


async def test_acreate_inserts_the_row() -> None:
    question = await QuestionFactory.acreate(text="Where is the runbook?")

    stored = await models.Question.objects.aget(pk=question.pk)
    assert stored.text == "Where is the runbook?"


async def test_acreate_creates_the_related_rows_of_async_sub_factories_first() -> None:
    feedback = await FeedbackFactory.acreate()

    assert feedback.question.pk is not None
    assert await models.Question.objects.filter(pk=feedback.question.pk).aexists()


async def test_acreate_passes_prefixed_fields_to_the_related_row() -> None:
    passage = await PassageFactory.acreate(document__title="Deploying", document__collection="ops")

    document = await models.Document.objects.aget(pk=passage.document_id)
    assert (document.title, document.collection) == ("Deploying", "ops")


async def test_acreate_uses_a_related_row_that_is_given() -> None:
    question = await QuestionFactory.acreate()

    feedback = await FeedbackFactory.acreate(question=question)

    assert feedback.question_id == question.pk
    assert await models.Question.objects.acount() == 1


async def test_acreate_batch_inserts_distinct_rows() -> None:
    questions = await QuestionFactory.acreate_batch(3)

    ids = [question.pk for question in questions]
    assert await models.Question.objects.filter(pk__in=ids).acount() == 3


async def test_sync_create_inside_a_running_event_loop_fails_with_a_clear_message() -> None:
    with pytest.raises(SyncCreateInEventLoop, match=r"use `await QuestionFactory.acreate\(...\)`"):
        QuestionFactory.create()


def test_sync_create_works_outside_an_event_loop() -> None:
    feedback = FeedbackFactory.create()

    assert models.Feedback.objects.filter(pk=feedback.pk, question=feedback.question).exists()
