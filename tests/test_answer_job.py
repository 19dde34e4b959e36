"""The answer job: run again for any reason, it gives each question exactly one visible answer."""

import asyncio
import json
from typing import Any

import pytest
from django.db import OperationalError
from django.utils import timezone
from procrastinate import JobContext
from procrastinate.tasks import Task

from application import respond_to_user
from data import models
from domain import operations, queries, records
from fakes import slack_payloads as payloads
from fakes.slack import FakeSlack, slack_ts
from slack import conversation, jobs
from tests.factories import ChannelSettingsFactory, InboundEventFactory, QuestionFactory
from tests.job_fixtures import job_context
from tests.slack_fixtures import all_jobs_done, post_signed
from tests.slack_support import markdown_of, streamed_text

QUESTION = "how do I rotate the database password?"


async def _event_left_unanswered(
    *, stored: bool, reply_ts: str = "", text: str = QUESTION, thread_ts: str | None = None
) -> models.InboundEvent:
    """An event in the inbox whose job stopped part-way (its worker was killed)."""
    event = payloads.app_mention(text, thread_ts=thread_ts)
    body = json.loads(payloads.event_callback(event))
    if stored:
        await QuestionFactory.acreate(
            event_id=body["event_id"],
            message_ts=event["ts"],
            thread_ts=thread_ts or event["ts"],
            channel_id="C0001",
            text=text,
        )
    left: models.InboundEvent = await InboundEventFactory.acreate(
        event_id=body["event_id"], payload=body, reply_ts=reply_ts
    )
    return left


async def test_a_job_run_again_answers_the_question_it_had_stored_once(
    slack: FakeSlack, indexed_docs: None
) -> None:
    left = await _event_left_unanswered(stored=True)

    await jobs.answer_event.defer_async(event_id=left.event_id, bot_id="BKRAKEN")
    await all_jobs_done()

    assert "vault rotate db" in streamed_text(slack)
    question = await models.Question.objects.aget(event_id=left.event_id)
    assert question.status == models.QuestionStatus.ANSWERED
    assert await models.Question.objects.acount() == 1


async def test_a_job_run_again_answers_an_event_whose_question_was_never_stored(
    slack: FakeSlack, indexed_docs: None
) -> None:
    left = await _event_left_unanswered(stored=False)

    await jobs.answer_event.defer_async(event_id=left.event_id, bot_id="BKRAKEN")
    await all_jobs_done()

    question = await models.Question.objects.aget(event_id=left.event_id)
    assert question.status == models.QuestionStatus.ANSWERED
    linked = await queries.find_event(event_id=left.event_id)
    assert linked is not None
    assert linked.question_id == question.pk


async def test_a_job_run_again_replaces_the_reply_it_had_begun_instead_of_adding_one(
    slack: FakeSlack, indexed_docs: None
) -> None:
    left = await _event_left_unanswered(stored=True, reply_ts="1767600000.000001")

    await jobs.answer_event.defer_async(event_id=left.event_id, bot_id="BKRAKEN")
    await all_jobs_done()

    assert slack.calls_to("chat.startStream") == []
    assert slack.calls_to("chat.postMessage") == []
    updates = slack.calls_to("chat.update")
    assert {call.args["ts"] for call in updates} == {"1767600000.000001"}
    assert "vault rotate db" in markdown_of(updates[-1].args)
    assert "Sources" in markdown_of(updates[-1].args)
    question = await models.Question.objects.aget(event_id=left.event_id)
    assert question.status == models.QuestionStatus.ANSWERED
    assert question.reply_ts == "1767600000.000001"


async def test_a_job_run_again_replaces_the_reply_it_had_begun_but_not_recorded(
    slack: FakeSlack, indexed_docs: None
) -> None:
    left = await _event_left_unanswered(stored=True)
    begun = _bot_message_in_the_thread_of(left, slack)

    await jobs.answer_event.defer_async(event_id=left.event_id, bot_id="BKRAKEN")
    await all_jobs_done()

    assert slack.calls_to("chat.startStream") == []
    assert {call.args["ts"] for call in slack.calls_to("chat.update")} == {begun}
    question = await models.Question.objects.aget(event_id=left.event_id)
    assert question.status == models.QuestionStatus.ANSWERED
    assert question.reply_ts == begun


async def test_a_bots_message_after_someone_elses_is_not_taken_for_the_reply_begun(
    slack: FakeSlack, indexed_docs: None
) -> None:
    left = await _event_left_unanswered(stored=True)
    thread = slack.threads.setdefault(("C0001", left.payload["event"]["ts"]), [])
    thread.append({"ts": slack_ts(), "user": "U0002", "text": "Me too: and the API key?"})
    _bot_message_in_the_thread_of(left, slack)

    await jobs.answer_event.defer_async(event_id=left.event_id, bot_id="BKRAKEN")
    await all_jobs_done()

    assert slack.calls_to("conversations.replies")
    assert len(slack.calls_to("chat.startStream")) == 1
    assert slack.calls_to("chat.update") == []


async def test_a_bots_message_recorded_as_another_events_reply_is_not_taken_for_this_one(
    slack: FakeSlack, indexed_docs: None
) -> None:
    left = await _event_left_unanswered(stored=True)
    await InboundEventFactory.acreate(reply_ts=_bot_message_in_the_thread_of(left, slack))

    await jobs.answer_event.defer_async(event_id=left.event_id, bot_id="BKRAKEN")
    await all_jobs_done()

    assert len(slack.calls_to("chat.startStream")) == 1
    assert slack.calls_to("chat.update") == []


async def test_the_first_run_of_a_job_does_not_look_for_a_reply_begun(
    slack: FakeSlack, indexed_docs: None
) -> None:
    await post_signed(payloads.event_callback(payloads.app_mention(QUESTION)))
    await all_jobs_done()

    assert len(slack.calls_to("chat.startStream")) == 1
    assert slack.calls_to("conversations.replies") == []


def _bot_message_in_the_thread_of(event: models.InboundEvent, slack: FakeSlack) -> str:
    """A message of the bot's after the event's question, as a run killed early leaves it."""
    ts = slack_ts()
    thread = slack.threads.setdefault(("C0001", event.payload["event"]["ts"]), [])
    thread.append({"ts": ts, "bot_id": "BKRAKEN", "text": "Rotate the pass"})
    return ts


async def test_a_job_without_the_bots_id_asks_slack_for_it(
    slack: FakeSlack, indexed_docs: None
) -> None:
    left = await _event_left_unanswered(stored=False)

    await jobs.answer_event.defer_async(event_id=left.event_id)
    await all_jobs_done()

    assert slack.calls_to("auth.test")
    question = await models.Question.objects.aget(event_id=left.event_id)
    assert question.status == models.QuestionStatus.ANSWERED


async def test_the_job_of_an_event_already_answered_does_nothing(
    slack: FakeSlack, indexed_docs: None
) -> None:
    await post_signed(payloads.event_callback(payloads.app_mention(QUESTION)))
    await all_jobs_done()
    event = await models.InboundEvent.objects.aget()
    calls_before = len(slack.calls)

    await jobs.answer_event.defer_async(event_id=event.event_id, bot_id="BKRAKEN")
    await all_jobs_done()

    assert len(slack.calls) == calls_before
    assert await models.Question.objects.acount() == 1


async def test_the_job_of_an_event_answered_but_not_marked_done_marks_it_and_answers_nothing(
    slack: FakeSlack, indexed_docs: None
) -> None:
    left = await _event_left_unanswered(stored=True)
    await models.Question.objects.filter(event_id=left.event_id).aupdate(
        status=models.QuestionStatus.ANSWERED,
        answer="Rotate it with `vault rotate db`.",
        answered_at=timezone.now(),
    )

    await jobs.answer_event(_run(1), event_id=left.event_id, bot_id="BKRAKEN")

    assert slack.calls == []
    assert (await models.InboundEvent.objects.aget(pk=left.pk)).done_at is not None


async def test_the_job_of_an_event_not_in_the_inbox_does_nothing_and_says_so(
    slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    await jobs.answer_event.defer_async(event_id="EvGone", bot_id="BKRAKEN")
    await all_jobs_done()

    assert slack.calls == []
    assert "Slack event EvGone is not in the inbox" in caplog.text


@pytest.mark.parametrize(
    ("event", "reply"),
    [
        pytest.param(
            payloads.app_mention("", channel="CALLOWED"),
            conversation.EMPTY_MENTION_HINT,
            id="empty",
        ),
        pytest.param(
            payloads.app_mention("how do I deploy?", channel="COTHER"),
            conversation.NOT_ALLOWED_NOTE,
            id="not-allowed",
        ),
    ],
)
async def test_a_mention_given_a_one_line_reply_is_done_and_its_job_run_again_says_nothing(
    slack: FakeSlack, settings, event: dict[str, object], reply: str
) -> None:
    settings.SLACK_ALLOWED_CHANNELS = ["CALLOWED"]
    await post_signed(payloads.event_callback(event))
    await all_jobs_done()
    recorded = await models.InboundEvent.objects.aget()

    await jobs.answer_event.defer_async(event_id=recorded.event_id, bot_id="BKRAKEN")
    await all_jobs_done()

    assert recorded.done_at is not None
    said = slack.calls_to("chat.postMessage") + slack.calls_to("chat.postEphemeral")
    assert [call.args["text"] for call in said] == [reply]


async def test_after_its_last_attempt_a_failing_job_tells_the_person_and_is_done(
    slack: FakeSlack,
) -> None:
    left = await _event_left_unanswered(stored=False)
    left.payload["event"]["text"] = "<@UKRAKEN>"
    await left.asave()
    slack.refuse("chat.postMessage", "internal_error")

    with pytest.raises(jobs.PASSING_FAILURES):
        await jobs.answer_event(
            _run(jobs.RETRIES),
            event_id=left.event_id,
            bot_id="BKRAKEN",
        )

    told = [call.args.get("text") for call in slack.calls_to("chat.postMessage")]
    assert told == [conversation.EMPTY_MENTION_HINT, respond_to_user.FAILURE_TEXT]
    assert (await models.InboundEvent.objects.aget(pk=left.pk)).done_at is not None


async def test_a_last_attempt_that_replied_but_could_not_store_adds_no_apology(
    slack: FakeSlack, indexed_docs: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    left = await _event_left_unanswered(stored=False)

    _database_fails(monkeypatch, "record_question")

    with pytest.raises(respond_to_user.QuestionNotStored):
        await jobs.answer_event(_run(jobs.RETRIES), event_id=left.event_id, bot_id="BKRAKEN")

    assert "vault rotate db" in streamed_text(slack)
    assert slack.calls_to("chat.postMessage") == []
    assert (await models.InboundEvent.objects.aget(pk=left.pk)).done_at is not None


async def test_a_run_again_replaces_the_streamed_answer_not_the_placeholder_it_deleted(
    slack: FakeSlack, indexed_docs: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    left = await _event_left_unanswered(stored=False)
    slack.refuse("assistant.threads.setStatus", "not_allowed", times=2)
    record_answer = operations.record_answer
    blips = [OperationalError("database is locked")]

    async def unstorable_once(**arguments: Any) -> records.Question:
        if blips:
            raise blips.pop()
        return await record_answer(**arguments)

    monkeypatch.setattr(operations, "record_answer", unstorable_once)

    with pytest.raises(respond_to_user.QuestionNotStored):
        await jobs.answer_event(_run(0), event_id=left.event_id, bot_id="BKRAKEN")
    await jobs.answer_event(_run(1), event_id=left.event_id, bot_id="BKRAKEN")

    [placeholder] = [ts for ts, call in slack.posted.items() if call.method == "chat.postMessage"]
    [streamed] = [ts for ts, call in slack.posted.items() if call.method == "chat.startStream"]
    assert slack.deleted == {placeholder}
    assert {call.args["ts"] for call in slack.calls_to("chat.update")} == {streamed}
    assert "vault rotate db" in markdown_of(slack.calls_to("chat.update")[-1].args)
    question = await models.Question.objects.aget(event_id=left.event_id)
    assert (question.status, question.reply_ts) == (models.QuestionStatus.ANSWERED, streamed)


async def test_a_reply_slack_refused_is_sent_by_the_next_run_of_its_job(
    slack: FakeSlack, indexed_docs: None
) -> None:
    left = await _event_left_unanswered(stored=False)
    # The stream refused as it starts and as it stops, and the whole answer refused after it.
    slack.refuse("chat.startStream", "internal_error", times=2)
    slack.refuse("chat.postMessage", "internal_error")

    with pytest.raises(respond_to_user.ReplyNotSent) as refused:
        await jobs.answer_event(_run(0), event_id=left.event_id, bot_id="BKRAKEN")
    assert jobs.RETRY.get_retry_decision(exception=refused.value, job=_run(0).job)
    failed = await models.Question.objects.aget(event_id=left.event_id)
    assert failed.status == models.QuestionStatus.FAILED
    assert (await models.InboundEvent.objects.aget(pk=left.pk)).done_at is None

    await jobs.answer_event(_run(1), event_id=left.event_id, bot_id="BKRAKEN")

    assert "vault rotate db" in streamed_text(slack)
    answered = await models.Question.objects.aget(event_id=left.event_id)
    assert (answered.pk, answered.status) == (failed.pk, models.QuestionStatus.ANSWERED)
    assert (await models.InboundEvent.objects.aget(pk=left.pk)).done_at is not None


async def test_a_job_that_fails_as_no_later_run_would_get_past_tells_the_person_at_once(
    slack: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> None:
    left = await _event_left_unanswered(stored=True)

    async def broken(**_: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(respond_to_user, "respond_to_user", broken)

    with pytest.raises(RuntimeError) as failed:
        await jobs.answer_event(_run(0), event_id=left.event_id, bot_id="BKRAKEN")

    assert jobs.RETRY.get_retry_decision(exception=failed.value, job=_run(0).job) is None
    await _told_and_failed(slack, left, error="Gave up after attempt 1: RuntimeError")


async def test_a_job_run_again_after_its_worker_died_in_its_last_attempt_tells_the_person(
    slack: FakeSlack, indexed_docs: None
) -> None:
    left = await _event_left_unanswered(stored=True)

    with pytest.raises(jobs.RunPastItsLastAttempt) as stopped:
        await jobs.answer_event(_run(jobs.RETRIES + 1), event_id=left.event_id, bot_id="BKRAKEN")

    assert jobs.RETRY.get_retry_decision(exception=stopped.value, job=_run(0).job) is None
    assert streamed_text(slack) == ""
    await _told_and_failed(slack, left, error="Gave up after attempt 5: RunPastItsLastAttempt")


async def test_giving_up_says_so_in_the_reply_a_run_began_instead_of_under_it(
    slack: FakeSlack, indexed_docs: None
) -> None:
    left = await _event_left_unanswered(stored=True, reply_ts="1767600000.000001")

    with pytest.raises(jobs.RunPastItsLastAttempt):
        await jobs.answer_event(_run(jobs.RETRIES + 1), event_id=left.event_id, bot_id="BKRAKEN")

    assert slack.calls_to("chat.postMessage") == []
    [told] = slack.calls_to("chat.update")
    assert (told.args["ts"], told.args["text"]) == (
        "1767600000.000001",
        respond_to_user.FAILURE_TEXT,
    )


async def test_giving_up_in_a_channel_of_private_answers_tells_the_asker_alone(
    slack: FakeSlack, indexed_docs: None
) -> None:
    await ChannelSettingsFactory.acreate(channel_id="C0001", private_answers=True)
    left = await _event_left_unanswered(stored=True)

    with pytest.raises(jobs.RunPastItsLastAttempt):
        await jobs.answer_event(_run(jobs.RETRIES + 1), event_id=left.event_id, bot_id="BKRAKEN")

    assert slack.calls_to("chat.postMessage") == []
    [told] = slack.calls_to("chat.postEphemeral")
    assert (told.args["channel"], told.args["user"], told.args["text"]) == (
        "C0001",
        left.payload["event"]["user"],
        respond_to_user.FAILURE_TEXT,
    )


async def test_an_answer_again_in_a_thread_past_its_last_attempt_tells_the_thread(
    slack: FakeSlack, indexed_docs: None
) -> None:
    question = await QuestionFactory.acreate(
        channel_id="C0001", message_ts="1767600000.000100", thread_ts="1767600000.000100"
    )
    run = job_context(jobs.answer_again_in_thread, attempts=jobs.RETRIES + 1)

    with pytest.raises(jobs.RunPastItsLastAttempt):
        await jobs.answer_again_in_thread(run, question_id=question.pk)

    assert streamed_text(slack) == ""
    [told] = slack.calls_to("chat.postMessage")
    assert (told.args["thread_ts"], told.args["text"]) == (
        "1767600000.000100",
        respond_to_user.FAILURE_TEXT,
    )
    await question.arefresh_from_db()
    assert question.status == models.QuestionStatus.FAILED
    assert question.error == "Gave up after attempt 5: RunPastItsLastAttempt"


async def test_an_answer_again_in_a_thread_shown_but_not_stored_is_not_run_again_to_post_twice(
    slack: FakeSlack, indexed_docs: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    question = await QuestionFactory.acreate(
        channel_id="C0001", message_ts="1767600000.000100", thread_ts="1767600000.000100"
    )

    _database_fails(monkeypatch, "record_answer")
    run = job_context(jobs.answer_again_in_thread, attempts=0)

    with pytest.raises(respond_to_user.QuestionNotStored) as failed:
        await jobs.answer_again_in_thread(run, question_id=question.pk)

    assert "vault rotate db" in streamed_text(slack)
    assert not _runs_again(jobs.answer_again_in_thread, failed.value, run)


async def test_an_answer_again_not_posted_that_the_database_fails_runs_again(
    slack: FakeSlack, indexed_docs: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    question = await QuestionFactory.acreate()

    _database_fails(monkeypatch, "record_answer")
    run = job_context(jobs.answer_again_quietly, attempts=0)

    with pytest.raises(respond_to_user.QuestionNotStored) as failed:
        await jobs.answer_again_quietly(run, question_id=question.pk)

    assert _runs_again(jobs.answer_again_quietly, failed.value, run)
    assert slack.calls == []


async def test_an_answer_again_not_posted_past_its_last_attempt_marks_the_question_failed(
    slack: FakeSlack, indexed_docs: None
) -> None:
    question = await QuestionFactory.acreate()
    run = job_context(jobs.answer_again_quietly, attempts=jobs.RETRIES + 1)

    with pytest.raises(jobs.RunPastItsLastAttempt):
        await jobs.answer_again_quietly(run, question_id=question.pk)

    assert slack.calls == []
    await question.arefresh_from_db()
    assert question.status == models.QuestionStatus.FAILED
    assert question.error == "Gave up after attempt 5: RunPastItsLastAttempt"


def test_a_run_a_shutdown_stopped_runs_again_at_once_even_after_its_last_attempt() -> None:
    for attempts in (0, jobs.RETRIES):
        decision = jobs.RETRY.get_retry_decision(
            exception=asyncio.CancelledError(), job=_run(attempts).job
        )

        assert decision is not None
        assert decision.retry_at is not None
        assert decision.retry_at <= timezone.now()


async def test_a_summary_whose_job_runs_again_replaces_the_reply_it_had_begun(
    slack: FakeSlack,
) -> None:
    thread_ts = "1767600000.000100"
    slack.threads[("C0001", thread_ts)] = [
        {"ts": thread_ts, "user": "U0002", "text": "Deploys fail since this morning."},
        {"ts": "1767600003.000100", "user": "U0002", "text": "We decided to roll back."},
    ]
    left = await _event_left_unanswered(
        stored=True, reply_ts="1767600009.000001", text="summarise", thread_ts=thread_ts
    )

    await jobs.answer_event.defer_async(event_id=left.event_id, bot_id="BKRAKEN")
    await all_jobs_done()

    [update] = slack.calls_to("chat.update")
    assert update.args["ts"] == "1767600009.000001"
    assert markdown_of(update.args).startswith("**Summary**")
    question = await models.Question.objects.aget(event_id=left.event_id)
    assert (question.category, question.status) == ("summary", models.QuestionStatus.ANSWERED)
    assert (await models.InboundEvent.objects.aget(pk=left.pk)).done_at is not None


@pytest.mark.parametrize("attempts", [0, jobs.RETRIES], ids=["first", "last"])
async def test_a_shortcut_summary_shown_but_not_stored_is_not_run_again_to_summarise_twice(
    slack: FakeSlack, monkeypatch: pytest.MonkeyPatch, attempts: int
) -> None:
    thread_ts = "1767600000.000100"
    slack.threads[("C0001", thread_ts)] = [
        {"ts": thread_ts, "user": "U0002", "text": "Deploys fail since this morning."},
        {"ts": "1767600003.000100", "user": "U0002", "text": "We decided to roll back."},
    ]

    _database_fails(monkeypatch, "record_answer")
    run = job_context(jobs.summarise_thread, attempts=attempts)
    origin = records.SlackOrigin(
        team_id="T1",
        channel_id="C0001",
        user_id="U0002",
        thread_ts=thread_ts,
        message_ts="1767600003.000100",
    )

    with pytest.raises(respond_to_user.QuestionNotStored) as failed:
        await jobs.summarise_thread(run, origin=jobs.plain(origin), bot_id="BKRAKEN")

    assert not _runs_again(jobs.summarise_thread, failed.value, run)
    [posted] = slack.calls_to("chat.postMessage")
    assert markdown_of(posted.args).startswith("**Summary**")


@pytest.mark.parametrize(
    "again", [jobs.answer_again_in_thread, jobs.answer_again_quietly], ids=["posted", "not-posted"]
)
async def test_a_question_deleted_before_its_answer_again_runs_is_left_and_the_log_says_so(
    slack: FakeSlack, caplog: pytest.LogCaptureFixture, again: Task[Any, Any, Any]
) -> None:
    await again.defer_async(question_id=999_999)
    await all_jobs_done()

    assert slack.calls == []
    assert "Question 999999 is gone: not answered again" in caplog.text


async def _told_and_failed(slack: FakeSlack, left: models.InboundEvent, *, error: str) -> None:
    """The person was told that no answer is coming, the question failed, and the event is done."""
    told = [call.args.get("text") for call in slack.calls_to("chat.postMessage")]
    assert told == [respond_to_user.FAILURE_TEXT]
    question = await models.Question.objects.aget(event_id=left.event_id)
    assert question.status == models.QuestionStatus.FAILED
    assert question.error == error
    assert (await models.InboundEvent.objects.aget(pk=left.pk)).done_at is not None


def _database_fails(monkeypatch: pytest.MonkeyPatch, operation: str) -> None:
    """Every call of the operation fails as a locked database does."""

    async def unstorable(**_: object) -> None:
        raise OperationalError("database is locked")

    monkeypatch.setattr(operations, operation, unstorable)


def _runs_again(task: Task[Any, Any, Any], error: BaseException, run: JobContext) -> bool:
    assert task.retry_strategy is not None
    return task.retry_strategy.get_retry_decision(exception=error, job=run.job) is not None


def _run(attempts: int) -> JobContext:
    """The context of an answer job's run after `attempts` earlier ones."""
    return job_context(jobs.answer_event, attempts=attempts)
