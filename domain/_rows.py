"""Conversions from ORM rows to the domain's dataclasses; the one place rows become values."""

from data import models
from domain import records


def question(row: models.Question) -> records.Question:
    return records.Question(
        id=row.pk,
        source=records.QuestionSource(row.source),
        text=row.text,
        status=records.QuestionStatus(row.status),
        created_at=row.created_at,
        slack=_slack_origin(row),
        category=row.category,
        answer=row.answer,
        citations=tuple(records.Citation(**citation) for citation in row.sources),
        usage=records.Usage(
            model_name=row.model_name,
            input_tokens=row.input_tokens,
            output_tokens=row.output_tokens,
            cost=row.cost,
        ),
        timings_ms=dict(row.timings),
        error=row.error,
        answered_by_fallback=row.answered_by_fallback,
        reply_ts=row.reply_ts,
        answered_at=row.answered_at,
        settings=records.ChannelSettings(
            channel_id=row.settings_channel_id,
            collections=tuple(row.collections),
            private_answers=row.answered_privately,
        ),
        shared_at=row.shared_at,
    )


def inbound_event(row: models.InboundEvent) -> records.InboundEvent:
    return records.InboundEvent(
        id=row.pk,
        event_id=row.event_id,
        team_id=row.team_id,
        event_type=row.event_type,
        payload=row.payload,
        received_at=row.received_at,
        # Read with `queries`, which add it; a row just recorded has no question yet.
        question_id=getattr(row, "question_id", None),
        reply_ts=row.reply_ts,
        done_at=row.done_at,
    )


def feedback(row: models.Feedback) -> records.Feedback:
    return records.Feedback(
        question_id=row.question_id,
        user_id=row.user_id,
        score=row.score,
        comment=row.comment,
        updated_at=row.updated_at,
    )


def _slack_origin(row: models.Question) -> records.SlackOrigin | None:
    if row.source != models.Question.Source.SLACK:
        return None
    return records.SlackOrigin(
        team_id=row.team_id,
        channel_id=row.channel_id,
        user_id=row.user_id,
        thread_ts=row.thread_ts,
        message_ts=row.message_ts,
        event_id=row.event_id,
    )


def document(row: models.Document) -> records.Document:
    return records.Document(
        id=row.pk,
        collection=row.collection,
        path=row.path,
        url=row.url,
        title=row.title,
        checksum=row.checksum,
        indexed_at=row.indexed_at,
        source_id=row.source_id,
    )


def release_note(row: models.ReleaseNote) -> records.ReleaseNote:
    return records.ReleaseNote(
        id=row.pk,
        repository=row.repository,
        from_ref=row.from_ref,
        to_ref=row.to_ref,
        from_sha=row.from_sha,
        to_sha=row.to_sha,
        commit_count=row.commit_count,
        markdown=row.markdown,
        model_name=row.model_name,
        warnings=tuple(row.warnings),
        llm_error=row.llm_error,
        posted_channel=row.posted_channel,
        posted_ts=row.posted_ts,
        created_at=row.created_at,
    )


def channel_settings(row: models.ChannelSettings) -> records.ChannelSettings:
    return records.ChannelSettings(
        channel_id=row.channel_id,
        enabled=row.enabled,
        note_when_disabled=row.when_disabled == models.WhenDisabled.NOTE,
        answers=records.ChannelAnswers(row.answers),
        collections=tuple(row.collections),
        private_answers=row.private_answers,
        instructions=row.instructions,
        model=row.model,
    )


def source(row: models.Source) -> records.Source:
    return records.Source(
        id=row.pk,
        name=row.name,
        kind=records.SourceKind(row.kind),
        collection=row.collection,
        location=row.location,
        options=dict(row.options),
        credentials={str(role): str(name) for role, name in row.credentials.items()},
        every_minutes=row.every_minutes,
        outcome=records.SyncOutcome(row.outcome),
        sync_started_at=row.sync_started_at,
        sync_finished_at=row.sync_finished_at,
        progress=row.progress,
        last_error=row.last_error,
    )
