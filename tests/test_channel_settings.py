"""Each channel setting's effect on what the bot does with a mention, a channel message, a direct
message and `/kraken`, through the real endpoint, bolt app and jobs, with the fake Slack."""

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from django.db import OperationalError
from django.utils import timezone
from slack_sdk.errors import SlackApiError

from agents import docs_answerer
from application import channel_settings, index_documents, respond_to_user
from data import models
from domain import operations, records
from fakes import slack_payloads as payloads
from fakes.openai import FakeOpenAI
from fakes.polling import PATIENCE_S, until
from fakes.slack import FakeSlack
from slack import conversation, jobs, rendering
from slack.web_client import build_web_client
from tests.factories import ChannelSettingsFactory
from tests.job_fixtures import job_context
from tests.llm_fixtures import DocsModel
from tests.slack_fixtures import all_jobs_done, post_signed
from tests.slack_support import action_ids, markdown_of, streamed_text

QUESTION = "how do I rotate the database password?"
PLATFORM_RUNBOOK = "# Database\n\n## Rotating the password\n\nRun `vault rotate db` as platform.\n"
HR_PAGE = "# Leave\n\n## Rotating the password of the leave tool\n\nAsk HR to rotate it.\n"


@pytest.fixture
async def two_collections(tmp_path: Path) -> None:
    """The same question answered by a platform runbook and by an HR page."""
    for collection, text in (("platform", PLATFORM_RUNBOOK), ("hr", HR_PAGE)):
        folder = tmp_path / collection
        await asyncio.to_thread(folder.mkdir)
        await asyncio.to_thread((folder / f"{collection}.md").write_text, text)
        await index_documents.index_documents(
            root=folder,
            collection=collection,
            base_url=f"https://docs.example.com/{collection}",
            now=timezone.now(),
        )


async def _send(event: dict[str, Any]) -> None:
    response = await post_signed(payloads.event_callback(event))
    assert response.status_code == 200
    await all_jobs_done()


def _said(slack: FakeSlack) -> list[str]:
    """Every Slack method the bot called, but asking who it is."""
    return [call.method for call in slack.calls if call.method != "auth.test"]


async def test_a_closed_channel_that_stays_silent_says_nothing_and_stores_nothing(
    slack: FakeSlack, indexed_docs: None
) -> None:
    await ChannelSettingsFactory.acreate(
        channel_id="C0001", enabled=False, when_disabled=models.WhenDisabled.SILENT
    )

    await _send(payloads.app_mention(QUESTION, channel="C0001"))

    assert _said(slack) == []
    assert await models.Question.objects.acount() == 0
    assert (await models.InboundEvent.objects.aget()).done_at is not None


async def test_a_closed_channel_tells_only_the_asker_when_its_settings_say_so(
    slack: FakeSlack, indexed_docs: None
) -> None:
    await ChannelSettingsFactory.acreate(channel_id="C0001", enabled=False)

    await _send(payloads.app_mention(QUESTION, channel="C0001", user="U0042"))

    [note] = slack.calls_to("chat.postEphemeral")
    assert (note.args["user"], note.args["text"]) == ("U0042", conversation.NOT_ALLOWED_NOTE)
    assert _said(slack) == ["chat.postEphemeral"]


async def test_a_channel_of_its_own_is_answered_though_the_allow_list_leaves_it_out(
    slack: FakeSlack, settings, indexed_docs: None
) -> None:
    settings.SLACK_ALLOWED_CHANNELS = ["CALLOWED"]
    await ChannelSettingsFactory.acreate(channel_id="C0001")

    await _send(payloads.app_mention(QUESTION, channel="C0001"))

    assert "vault rotate db" in streamed_text(slack)


async def test_where_every_question_is_answered_a_question_posted_without_a_mention_is(
    slack: FakeSlack, indexed_docs: None
) -> None:
    await ChannelSettingsFactory.acreate(
        channel_id="C0001", answers=models.ChannelAnswers.EVERY_QUESTION
    )
    event = payloads.channel_message(QUESTION, channel="C0001")

    await _send(event)

    assert "vault rotate db" in streamed_text(slack)
    [start] = slack.calls_to("chat.startStream")
    assert start.args["thread_ts"] == event["ts"]
    question = await models.Question.objects.aget()
    assert (question.text, question.settings_channel_id) == (QUESTION, "C0001")


@pytest.mark.parametrize(
    "event",
    [
        pytest.param(payloads.channel_message("lunch is in the kitchen today"), id="no-question"),
        pytest.param(
            payloads.channel_message("Notes: <https://docs.example.com/d/1?usp=sharing>"),
            id="a-link-with-a-query",
        ),
        pytest.param(
            payloads.channel_message(QUESTION, thread_ts="1767600000.000001"), id="in-a-thread"
        ),
        pytest.param(
            {**payloads.channel_message(QUESTION), "bot_id": "BOTHER", "subtype": "bot_message"},
            id="from-a-bot",
        ),
    ],
)
async def test_where_every_question_is_answered_other_messages_are_left_alone(
    slack: FakeSlack, indexed_docs: None, event: dict[str, Any]
) -> None:
    await ChannelSettingsFactory.acreate(
        channel_id="C0001", answers=models.ChannelAnswers.EVERY_QUESTION
    )

    await _send(event)

    assert _said(slack) == []
    assert await models.InboundEvent.objects.acount() == 0


async def test_where_only_mentions_are_answered_a_question_posted_without_one_is_not(
    slack: FakeSlack, indexed_docs: None
) -> None:
    await _send(payloads.channel_message(QUESTION, channel="C0001"))

    assert _said(slack) == []
    assert await models.InboundEvent.objects.acount() == 0


async def test_a_question_that_mentions_the_bot_where_every_question_is_answered_is_answered_once(
    slack: FakeSlack, indexed_docs: None
) -> None:
    await ChannelSettingsFactory.acreate(
        channel_id="C0001", answers=models.ChannelAnswers.EVERY_QUESTION
    )
    mention = payloads.app_mention(QUESTION, channel="C0001")
    message = {**payloads.channel_message(QUESTION), "ts": mention["ts"], "text": mention["text"]}
    message_asking = {**message, "text": QUESTION}

    await _send(mention)
    await _send(message)
    await _send(message_asking)

    assert len(slack.calls_to("chat.startStream")) == 1
    assert await models.Question.objects.acount() == 1


async def test_direct_messages_follow_the_default_settings(
    slack: FakeSlack, indexed_docs: None
) -> None:
    await ChannelSettingsFactory.acreate(
        channel_id="", enabled=False, when_disabled=models.WhenDisabled.SILENT
    )

    await _send(payloads.direct_message(QUESTION))

    assert _said(slack) == []


async def test_a_channel_without_settings_follows_the_default(
    slack: FakeSlack, two_collections: None
) -> None:
    await ChannelSettingsFactory.acreate(channel_id="", collections=["hr"])

    await _send(payloads.app_mention(QUESTION, channel="CNEW"))

    question = await models.Question.objects.aget()
    assert (question.settings_channel_id, question.collections) == ("", ["hr"])
    assert {source["url"].split("/")[3] for source in question.sources} == {"hr"}


async def test_a_channel_s_collections_are_the_only_ones_its_answers_cite(
    slack: FakeSlack, two_collections: None
) -> None:
    await ChannelSettingsFactory.acreate(channel_id="C0001", collections=["platform"])

    await _send(payloads.app_mention(QUESTION, channel="C0001"))
    await _send(payloads.app_mention(QUESTION, channel="C0002"))

    in_platform, elsewhere = [
        question async for question in models.Question.objects.order_by("created_at", "id")
    ]
    assert {source["url"].split("/")[3] for source in in_platform.sources} == {"platform"}
    assert in_platform.collections == ["platform"]
    assert {source["url"].split("/")[3] for source in elsewhere.sources} == {"platform", "hr"}
    assert elsewhere.collections == []


async def test_a_channel_s_instructions_reach_the_model(
    slack: FakeSlack, llm: FakeOpenAI, indexed_docs: None
) -> None:
    llm.answer_with(DocsModel(llm))
    await ChannelSettingsFactory.acreate(
        channel_id="C0001", instructions="Answer in the voice of a pirate."
    )

    await _send(payloads.app_mention(QUESTION, channel="C0001"))
    await _send(payloads.app_mention(QUESTION, channel="C0002"))

    with_instructions, without = [
        [message["content"] for message in body["messages"] if message["role"] == "system"]
        for body in llm.requests
        if _from_the_answerer(body)
    ][::2]
    assert with_instructions[0] == docs_answerer.INSTRUCTIONS
    assert with_instructions[-1] == (
        f"{docs_answerer.CHANNEL_INSTRUCTIONS_INTRO}\nAnswer in the voice of a pirate."
    )
    assert without == with_instructions[:-1]


def _from_the_answerer(body: dict[str, Any]) -> bool:
    return any(tool["function"]["name"] == "search_docs" for tool in body.get("tools") or [])


async def test_a_channel_s_model_answers_its_questions(
    slack: FakeSlack, llm: FakeOpenAI, indexed_docs: None
) -> None:
    llm.answer_with(DocsModel(llm))
    await ChannelSettingsFactory.acreate(channel_id="C0001", model="openai:channel-model")

    await _send(payloads.app_mention(QUESTION, channel="C0001"))
    await _send(payloads.app_mention(QUESTION, channel="C0002"))

    answerers = {body["model"] for body in llm.requests if _from_the_answerer(body)}
    assert answerers == {"channel-model", "fake-model"}


async def test_kraken_in_a_closed_channel_always_gets_the_note(
    slack: FakeSlack, indexed_docs: None
) -> None:
    await ChannelSettingsFactory.acreate(
        channel_id="C0001", enabled=False, when_disabled=models.WhenDisabled.SILENT
    )

    await post_signed(
        payloads.slash_command(QUESTION, response_url=slack.response_url("r1"), channel="C0001"),
        content_type="application/x-www-form-urlencoded",
    )
    await all_jobs_done()

    [note] = slack.calls_to("response_url")
    assert note.args["text"] == conversation.NOT_ALLOWED_NOTE
    assert await models.Question.objects.acount() == 0


async def test_kraken_searches_only_the_channel_s_collections(
    slack: FakeSlack, two_collections: None
) -> None:
    await ChannelSettingsFactory.acreate(channel_id="C0001", collections=["hr"])

    await post_signed(
        payloads.slash_command(QUESTION, response_url=slack.response_url("r1"), channel="C0001"),
        content_type="application/x-www-form-urlencoded",
    )
    await all_jobs_done()

    question = await models.Question.objects.aget()
    assert {source["url"].split("/")[3] for source in question.sources} == {"hr"}


async def test_a_summary_asked_in_a_closed_channel_is_not_given(slack: FakeSlack) -> None:
    await ChannelSettingsFactory.acreate(
        channel_id="C0001", enabled=False, when_disabled=models.WhenDisabled.SILENT
    )

    await _send(payloads.app_mention("summarise", channel="C0001", thread_ts="1767600000.000001"))

    assert _said(slack) == []
    assert await models.Question.objects.acount() == 0


async def _answered_privately(slack: FakeSlack, *, user: str = "U0001") -> models.Question:
    await ChannelSettingsFactory.acreate(channel_id="C0001", private_answers=True)
    await _send(payloads.app_mention(QUESTION, channel="C0001", user=user))
    return await models.Question.objects.aget()


async def _click_share(slack: FakeSlack, question: models.Question, *, user: str) -> None:
    response = await post_signed(
        payloads.block_action(
            rendering.SHARE_ANSWER,
            str(question.pk),
            user=user,
            response_url=slack.response_url(f"share-{len(slack.calls)}"),
        ),
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    await all_jobs_done()


async def test_a_private_answer_is_shown_only_to_the_asker_with_a_button_to_share_it(
    slack: FakeSlack, indexed_docs: None
) -> None:
    question = await _answered_privately(slack, user="U0042")

    status, answer = slack.calls_to("chat.postEphemeral")
    assert status.args["text"] == "Finding a response…"
    assert {answer.args["user"], answer.args["thread_ts"]} == {"U0042", question.thread_ts}
    assert "vault rotate db" in markdown_of(answer.args)
    assert rendering.SHARE_ANSWER in action_ids(answer.args)
    assert slack.calls_to("chat.postMessage") == []
    assert slack.calls_to("chat.startStream") == []
    assert slack.calls_to("assistant.threads.setStatus") == []
    assert (question.status, question.answered_privately) == (
        models.QuestionStatus.ANSWERED,
        True,
    )


async def test_show_to_everyone_posts_the_answer_in_the_thread_once(
    slack: FakeSlack, indexed_docs: None
) -> None:
    question = await _answered_privately(slack, user="U0042")

    await _click_share(slack, question, user="U0042")
    await _click_share(slack, question, user="U0042")

    [shared] = slack.calls_to("chat.postMessage")
    assert shared.args["thread_ts"] == question.thread_ts
    assert "vault rotate db" in markdown_of(shared.args)
    assert "Sources" in markdown_of(shared.args)
    assert rendering.SHARE_ANSWER not in action_ids(shared.args)
    told = [call.args["text"] for call in slack.calls_to("response_url")]
    assert told == [conversation.SHARED, conversation.ALREADY_SHARED]
    assert (await models.Question.objects.aget()).shared_at is not None


async def test_show_to_everyone_clicked_before_the_answer_is_stored_waits_for_it(
    slack: FakeSlack, indexed_docs: None
) -> None:
    """The private answer and its button show before the question is stored answered (the
    classifier may still run): a click in between has no answer to show yet."""
    question = await _answered_privately(slack, user="U0042")
    await models.Question.objects.filter(pk=question.pk).aupdate(
        status=models.QuestionStatus.ANSWERING, answer=""
    )

    await _click_share(slack, question, user="U0042")

    assert slack.calls_to("chat.postMessage") == []
    [told] = slack.calls_to("response_url")
    assert told.args["text"] == conversation.NOT_STORED_YET
    assert (await models.Question.objects.aget()).shared_at is None


async def test_show_to_everyone_clicked_by_someone_else_is_refused(
    slack: FakeSlack, indexed_docs: None
) -> None:
    question = await _answered_privately(slack, user="U0042")

    await _click_share(slack, question, user="U0666")

    assert slack.calls_to("chat.postMessage") == []
    [told] = slack.calls_to("response_url")
    assert told.args["text"] == conversation.ONLY_THE_ASKER
    assert (await models.Question.objects.aget()).shared_at is None


async def test_a_share_that_slack_refuses_can_be_tried_again(
    slack: FakeSlack, indexed_docs: None
) -> None:
    question = await _answered_privately(slack)
    slack.refuse("chat.postMessage", "fatal_error")

    def share() -> Any:
        return conversation.share_answer(
            question_id=question.pk,
            user_id=question.user_id,
            response_url=slack.response_url("share"),
            client=build_web_client(),
        )

    with pytest.raises(SlackApiError):
        await share()
    refused = await models.Question.objects.aget()
    await share()

    assert refused.shared_at is None
    assert len(slack.calls_to("chat.postMessage")) == 2
    assert [call.args["text"] for call in slack.calls_to("response_url")] == [conversation.SHARED]


async def test_a_share_slack_refuses_to_its_last_attempt_tells_the_asker(
    slack: FakeSlack, indexed_docs: None
) -> None:
    question = await _answered_privately(slack)
    slack.refuse("chat.postMessage", "fatal_error")

    with pytest.raises(SlackApiError):
        await jobs.share_answer(
            job_context(jobs.share_answer, attempts=jobs.RETRIES),
            question_id=question.pk,
            user_id=question.user_id,
            response_url=slack.response_url("share"),
        )

    assert [call.args["text"] for call in slack.calls_to("response_url")] == [
        conversation.NOT_SHARED
    ]
    assert (await models.Question.objects.aget()).shared_at is None


async def test_a_kraken_answer_failing_to_its_last_attempt_tells_the_asker(
    slack: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def unreachable(**_: object) -> None:
        raise OperationalError("the database is gone")

    monkeypatch.setattr(channel_settings, "settings_for", unreachable)

    with pytest.raises(OperationalError):
        await jobs.answer_command(
            job_context(jobs.answer_command, attempts=jobs.RETRIES),
            text=QUESTION,
            origin=jobs.plain(records.SlackOrigin(team_id="T1", channel_id="C0001", user_id="U1")),
            response_url=slack.response_url("r1"),
        )

    [told] = slack.calls_to("response_url")
    assert told.args["text"] == respond_to_user.FAILURE_TEXT


@pytest.mark.parametrize("attempts", [0, jobs.RETRIES], ids=["first", "last"])
async def test_a_kraken_answer_shown_but_not_stored_is_not_run_again_to_answer_twice(
    slack: FakeSlack, indexed_docs: None, monkeypatch: pytest.MonkeyPatch, attempts: int
) -> None:
    async def unstorable(**_: object) -> None:
        raise OperationalError("database is locked")

    monkeypatch.setattr(operations, "record_question", unstorable)
    run = job_context(jobs.answer_command, attempts=attempts)

    with pytest.raises(respond_to_user.QuestionNotStored) as failed:
        await jobs.answer_command(
            run,
            text=QUESTION,
            origin=jobs.plain(records.SlackOrigin(team_id="T1", channel_id="C0001", user_id="U1")),
            response_url=slack.response_url("r1"),
        )

    assert jobs.answer_command.retry_strategy is not None
    assert (
        jobs.answer_command.retry_strategy.get_retry_decision(exception=failed.value, job=run.job)
        is None
    )
    [answer] = slack.calls_to("response_url")
    assert "vault rotate db" in answer.args["text"]


async def test_a_kraken_answer_past_its_last_attempt_tells_the_asker(
    slack: FakeSlack, indexed_docs: None
) -> None:
    with pytest.raises(jobs.RunPastItsLastAttempt):
        await jobs.answer_command(
            job_context(jobs.answer_command, attempts=jobs.RETRIES + 1),
            text=QUESTION,
            origin=jobs.plain(records.SlackOrigin(team_id="T1", channel_id="C0001", user_id="U1")),
            response_url=slack.response_url("r1"),
        )

    [told] = slack.calls_to("response_url")
    assert told.args["text"] == respond_to_user.FAILURE_TEXT
    assert await models.Question.objects.acount() == 0


async def test_settings_saved_in_this_process_apply_to_the_next_question_at_once(
    slack: FakeSlack, indexed_docs: None
) -> None:
    row = await ChannelSettingsFactory.acreate(channel_id="C0001")
    await channel_settings.settings_for(channel_id="C0001")

    row.enabled = False
    row.when_disabled = models.WhenDisabled.SILENT
    await row.asave()
    await _send(payloads.app_mention(QUESTION, channel="C0001"))

    assert _said(slack) == []


async def test_settings_are_read_once_and_held_for_a_while() -> None:
    await ChannelSettingsFactory.acreate(channel_id="C0001", private_answers=True)
    await channel_settings.settings_for(channel_id="C0001")

    await models.ChannelSettings.objects.filter(channel_id="C0001").aupdate(private_answers=False)
    held = await channel_settings.settings_for(channel_id="C0001")

    assert held.private_answers is True


async def test_a_setting_row_deleted_mid_answer_does_not_break_the_answer(
    slack: FakeSlack, llm: FakeOpenAI, indexed_docs: None
) -> None:
    model = DocsModel(llm, delay_s=0.5)
    llm.answer_with(model)
    await ChannelSettingsFactory.acreate(channel_id="C0001", collections=["handbook"])

    await post_signed(payloads.event_callback(payloads.app_mention(QUESTION, channel="C0001")))
    await until(_answer_begun(model), within_s=PATIENCE_S)
    await models.ChannelSettings.objects.all().adelete()
    await all_jobs_done()

    question = await models.Question.objects.aget()
    assert question.status == models.QuestionStatus.ANSWERED
    assert "vault rotate db" in question.answer
    assert (question.settings_channel_id, question.collections) == ("C0001", ["handbook"])


def _answer_begun(model: DocsModel) -> Callable[[], Awaitable[bool]]:
    async def begun() -> bool:
        return model.answers_started() >= 1

    return begun


async def test_an_answer_given_again_from_the_admin_follows_the_channel_s_settings(
    slack: FakeSlack, two_collections: None
) -> None:
    await _send(payloads.app_mention(QUESTION, channel="C0001"))
    await ChannelSettingsFactory.acreate(channel_id="C0001", collections=["hr"])
    asked = await models.Question.objects.aget()

    await jobs.answer_again_quietly(
        job_context(jobs.answer_again_quietly, attempts=0), question_id=asked.pk
    )

    again = await models.Question.objects.aget()
    assert {source["url"].split("/")[3] for source in asked.sources} == {"platform", "hr"}
    assert {source["url"].split("/")[3] for source in again.sources} == {"hr"}
    assert again.collections == ["hr"]


async def test_a_closed_channel_leaves_its_questions_alone_though_it_answers_every_question(
    slack: FakeSlack, indexed_docs: None
) -> None:
    await ChannelSettingsFactory.acreate(
        channel_id="C0001", enabled=False, answers=models.ChannelAnswers.EVERY_QUESTION
    )

    await _send(payloads.channel_message(QUESTION, channel="C0001"))

    assert _said(slack) == []
    assert await models.InboundEvent.objects.acount() == 0


@pytest.mark.parametrize(
    "event",
    [
        pytest.param(payloads.channel_message(QUESTION, channel="C0001"), id="channel-question"),
        pytest.param(payloads.direct_message(QUESTION), id="direct-message"),
    ],
)
async def test_private_answers_apply_to_channel_questions_and_direct_messages(
    slack: FakeSlack, indexed_docs: None, event: dict[str, Any]
) -> None:
    await ChannelSettingsFactory.acreate(
        channel_id="C0001", answers=models.ChannelAnswers.EVERY_QUESTION, private_answers=True
    )
    await ChannelSettingsFactory.acreate(channel_id="", private_answers=True)

    await _send(event)

    _, answer = slack.calls_to("chat.postEphemeral")
    assert "vault rotate db" in markdown_of(answer.args)
    assert slack.calls_to("chat.postMessage") == slack.calls_to("chat.startStream") == []
    assert (await models.Question.objects.aget()).answered_privately
