"""Factories for every model, usable from async tests (`acreate`) and sync ones (`create`)."""

import datetime as dt
import hashlib
from decimal import Decimal

import factory

from data import models
from tests.async_factory import AsyncDjangoModelFactory, AsyncSubFactory

_EPOCH = dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC)


def _minutes_after_epoch(n: int) -> dt.datetime:
    return _EPOCH + dt.timedelta(minutes=n)


class QuestionFactory(AsyncDjangoModelFactory):
    class Meta:
        model = models.Question

    source = models.QuestionSource.SLACK
    team_id = "T0001"
    channel_id = "C0001"
    user_id = factory.Sequence(lambda n: f"U{n:05d}")
    message_ts = factory.Sequence(lambda n: f"1767603600.{n:06d}")
    thread_ts = factory.SelfAttribute("message_ts")
    event_id = factory.Sequence(lambda n: f"Ev{n:08d}")
    text = factory.Sequence(lambda n: f"How do I rotate the database password? ({n})")
    created_at = factory.Sequence(_minutes_after_epoch)


class AnsweredQuestionFactory(QuestionFactory):
    """A question the bot answered, with a source, usage, cost and per-step timings."""

    category = "how-to"
    status = models.QuestionStatus.ANSWERED
    answer = "Rotate it with `vault rotate db`, then restart the workers [1]."
    sources = factory.LazyFunction(
        lambda: [
            {
                "passage_id": 1,
                "title": "Database runbook",
                "heading": "Rotating the password",
                "url": "https://docs.example.com/runbook.md",
            }
        ]
    )
    model_name = "openai:gpt-5"
    input_tokens = 1200
    output_tokens = 180
    cost = Decimal("0.0042")
    timings = factory.LazyFunction(
        lambda: {
            "status": 80.0,
            "store": 12.0,
            "classify": 450.0,
            "answer": 1900.0,
            "reply": 240.0,
            "total": 2150.0,
        }
    )
    total_ms = 2150.0
    answered_at = factory.LazyAttribute(lambda question: question.created_at)


class InboundEventFactory(AsyncDjangoModelFactory):
    class Meta:
        model = models.InboundEvent

    event_id = factory.Sequence(lambda n: f"EvInbox{n:08d}")
    team_id = "T0001"
    event_type = "app_mention"
    payload = factory.LazyAttribute(
        lambda event: {"event_id": event.event_id, "event": {"type": event.event_type}}
    )
    received_at = factory.Sequence(_minutes_after_epoch)


class FeedbackFactory(AsyncDjangoModelFactory):
    class Meta:
        model = models.Feedback

    question = AsyncSubFactory(QuestionFactory)
    user_id = factory.Sequence(lambda n: f"UF{n:04d}")
    score = models.FeedbackScore.UP
    created_at = factory.Sequence(_minutes_after_epoch)
    updated_at = factory.SelfAttribute("created_at")


class DocumentFactory(AsyncDjangoModelFactory):
    class Meta:
        model = models.Document

    collection = "handbook"
    path = factory.Sequence(lambda n: f"operations/page-{n}.md")
    url = factory.LazyAttribute(lambda document: f"https://docs.example.com/{document.path}")
    title = factory.Sequence(lambda n: f"Operations page {n}")
    checksum = factory.LazyAttribute(
        lambda document: hashlib.sha256(document.path.encode()).hexdigest()
    )
    indexed_at = factory.Sequence(_minutes_after_epoch)


class PassageFactory(AsyncDjangoModelFactory):
    class Meta:
        model = models.Passage

    document = AsyncSubFactory(DocumentFactory)
    position = factory.Sequence(lambda n: n)
    heading = "Deployment › Database › Rotating passwords"
    text = "Rotate the database password with the vault CLI, then restart the workers."
    checksum = factory.LazyAttribute(
        lambda passage: hashlib.sha256(passage.text.encode()).hexdigest()
    )
    indexed_at = factory.Sequence(_minutes_after_epoch)


class ReleaseNoteFactory(AsyncDjangoModelFactory):
    class Meta:
        model = models.ReleaseNote

    repository = "/srv/git/kraken-bot"
    from_ref = "v1.0.0"
    to_ref = "v1.1.0"
    from_sha = "a" * 40
    to_sha = "b" * 40
    commit_count = 12
    markdown = "## Features\n- Answers now cite their sources."
    created_at = factory.Sequence(_minutes_after_epoch)


class ChannelSettingsFactory(AsyncDjangoModelFactory):
    class Meta:
        model = models.ChannelSettings

    channel_id = "C0001"
    name = "general"
