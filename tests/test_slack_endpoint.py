"""The Slack endpoint in process: signed payloads through the real bolt app, the fake Web API."""

import json
import logging
from collections.abc import Callable
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.test import AsyncClient
from django.utils.module_loading import import_string
from procrastinate.exceptions import ConnectorException

from agents import docs_answerer
from application import metrics, respond_to_user, summarise_thread
from data import models
from domain import records
from fakes import slack_payloads as payloads
from fakes.openai import FakeOpenAI
from fakes.slack import FakeSlack
from slack import app as slack_app
from slack import conversation, jobs, rendering
from tests.databases import ON_POSTGRESQL
from tests.job_fixtures import job_context
from tests.slack_fixtures import all_jobs_done, post_signed
from tests.slack_support import markdown_of, streamed_text


async def test_a_mention_is_answered_in_its_thread_from_the_docs(
    slack: FakeSlack, indexed_docs: None
) -> None:
    event = payloads.app_mention("how do I rotate the database password?")

    response = await post_signed(payloads.event_callback(event))
    await all_jobs_done()

    assert response.status_code == 200
    [start] = slack.calls_to("chat.startStream")
    assert (start.args["channel"], start.args["thread_ts"]) == ("C0001", event["ts"])
    assert "vault rotate db" in streamed_text(slack)
    question = await models.Question.objects.aget(message_ts=event["ts"])
    assert question.status == models.QuestionStatus.ANSWERED
    assert question.source == models.QuestionSource.SLACK
    assert question.sources[0]["url"] == "https://docs.example.com/runbook.md#rotating-the-password"


async def test_a_retried_event_is_answered_once(slack: FakeSlack, indexed_docs: None) -> None:
    body = payloads.event_callback(payloads.app_mention("how do I rotate the password?"))

    responses = [await post_signed(body)]
    for retry in (1, 2):
        responses.append(
            await post_signed(
                body,
                headers={"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"},
            )
        )
    await all_jobs_done()

    assert [response.status_code for response in responses] == [200, 200, 200]
    assert len(slack.calls_to("chat.startStream")) == 1
    assert await models.Question.objects.acount() == 1


async def test_a_mention_also_delivered_as_a_message_is_answered_once(
    slack: FakeSlack, indexed_docs: None
) -> None:
    mention = payloads.app_mention("how do I rotate the password?", channel="D0001")
    message = {**mention, "type": "message", "channel_type": "im"}

    await post_signed(payloads.event_callback(mention))
    await post_signed(payloads.event_callback(message))
    await all_jobs_done()

    assert await models.Question.objects.acount() == 1


async def test_characters_no_database_stores_are_replaced_and_the_question_answered_and_stored(
    slack: FakeSlack, indexed_docs: None
) -> None:
    event = payloads.app_mention("how do I rotate\u0000 the database password\ud800?")

    response = await post_signed(payloads.event_callback(event))
    await all_jobs_done()

    assert response.status_code == 200
    question = await models.Question.objects.aget(message_ts=event["ts"])
    assert question.text == "how do I rotate\ufffd the database password\ufffd?"
    assert question.status == models.QuestionStatus.ANSWERED
    assert "vault rotate db" in streamed_text(slack)


async def test_a_direct_message_is_answered_in_a_thread_under_it(
    slack: FakeSlack, indexed_docs: None
) -> None:
    event = payloads.direct_message("rotate the database password")

    await post_signed(payloads.event_callback(event))
    await all_jobs_done()

    [start] = slack.calls_to("chat.startStream")
    assert (start.args["channel"], start.args["thread_ts"]) == ("D0001", event["ts"])


async def test_a_direct_message_with_a_file_is_answered_from_its_text(
    slack: FakeSlack, indexed_docs: None
) -> None:
    """Slack marks a message that shares a file with a subtype; it is still a person asking."""
    event = {
        **payloads.direct_message("rotate the database password"),
        "subtype": "file_share",
        "files": [{"id": "F0001", "name": "error.png"}],
    }

    await post_signed(payloads.event_callback(event))
    await all_jobs_done()

    question = await models.Question.objects.aget(message_ts=event["ts"])
    assert question.text == "rotate the database password"
    assert question.status == models.QuestionStatus.ANSWERED


@pytest.mark.parametrize(
    "event",
    [
        pytest.param(payloads.own_message("my own answer"), id="own-message"),
        pytest.param(payloads.bot_message("another app"), id="other-bot"),
        pytest.param(payloads.message_changed(), id="edit"),
        pytest.param(
            {"type": "member_joined_channel", "user": "U0001", "channel": "C0001"}, id="join"
        ),
        pytest.param({"type": "reaction_added", "user": "U0001"}, id="unknown-type"),
        # Found by the fuzzer: events without what an answer or a reply needs.
        pytest.param(
            {"type": "app_mention", "user": "U0001", "text": "<@UKRAKEN> hi", "ts": "1.000001"},
            id="mention-without-channel",
        ),
        pytest.param(
            {**payloads.app_mention("hi"), "ts": {"nested": True}}, id="mention-with-odd-ts"
        ),
        pytest.param({"type": "app_home_opened", "tab": "messages"}, id="tab-without-channel"),
        pytest.param({"type": "assistant_thread_started"}, id="assistant-without-thread"),
    ],
)
async def test_events_the_bot_ignores_are_acknowledged_and_nothing_is_done(
    slack: FakeSlack, event: dict[str, object]
) -> None:
    response = await post_signed(payloads.event_callback(event))
    await all_jobs_done()

    assert response.status_code == 200
    assert await models.InboundEvent.objects.acount() == 0
    assert [call.method for call in slack.calls if call.method != "auth.test"] == []


async def test_an_empty_mention_gets_a_one_line_hint(slack: FakeSlack) -> None:
    await post_signed(payloads.event_callback(payloads.app_mention("")))
    await all_jobs_done()

    [hint] = slack.calls_to("chat.postMessage")
    assert hint.args["text"] == conversation.EMPTY_MENTION_HINT
    assert await models.Question.objects.acount() == 0


async def test_a_direct_message_with_only_a_file_gets_a_hint_without_a_mention(
    slack: FakeSlack,
) -> None:
    message = {**payloads.direct_message(""), "subtype": "file_share", "files": [{"id": "F1"}]}

    await post_signed(payloads.event_callback(message))
    await all_jobs_done()

    [hint] = slack.calls_to("chat.postMessage")
    assert (hint.args["channel"], hint.args["text"]) == ("D0001", conversation.EMPTY_MESSAGE_HINT)


async def test_outside_the_allowed_channels_the_bot_answers_with_a_note(
    slack: FakeSlack, settings
) -> None:
    settings.SLACK_ALLOWED_CHANNELS = ["CALLOWED"]

    await post_signed(
        payloads.event_callback(payloads.app_mention("how do I deploy?", channel="COTHER"))
    )
    await all_jobs_done()

    [note] = slack.calls_to("chat.postEphemeral")
    assert note.args["text"] == conversation.NOT_ALLOWED_NOTE
    assert note.args["user"] == "U0001"
    assert slack.calls_to("chat.postMessage") == []
    assert await models.Question.objects.acount() == 0


async def test_url_verification_is_answered_with_the_challenge(slack: FakeSlack) -> None:
    body = json.dumps(
        {
            "token": "unused",
            "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P",
            "type": "url_verification",
        }
    )

    response = await post_signed(body)

    assert response.status_code == 200
    assert "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P" in response.content.decode()


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        pytest.param({"X-Slack-Signature": "v0=" + "0" * 64}, 401, id="bad-signature"),
        pytest.param({"X-Slack-Request-Timestamp": "1500000000"}, 401, id="stale-timestamp"),
        pytest.param({"X-Slack-Signature": ""}, 401, id="missing-signature"),
    ],
)
async def test_unsigned_or_stale_requests_are_refused_and_nothing_is_stored(
    slack: FakeSlack, headers: dict[str, str], status: int
) -> None:
    body = payloads.event_callback(payloads.app_mention("how do I deploy?"))

    response = await post_signed(body, headers=headers)

    assert response.status_code == status
    assert await models.InboundEvent.objects.acount() == 0


def _refused(reason: str) -> float:
    [family] = metrics.slack_requests_refused.collect()
    return sum(
        sample.value
        for sample in family.samples
        if sample.name.endswith("_total") and sample.labels == {"reason": reason}
    )


@pytest.mark.parametrize(
    "timestamp",
    [
        pytest.param("abc", id="letters"),
        pytest.param("", id="empty"),
        pytest.param("1e9", id="exponent"),
        pytest.param("1767600000.5", id="fraction"),
        pytest.param("9" * 5_000, id="too-many-digits-for-an-int"),
    ],
)
async def test_a_timestamp_that_is_not_a_whole_number_is_refused_and_counted(
    slack: FakeSlack, timestamp: str
) -> None:
    body = payloads.event_callback(payloads.app_mention("how do I deploy?"))
    refused_before = _refused("signature")

    response = await post_signed(body, headers={"X-Slack-Request-Timestamp": timestamp})

    assert response.status_code == 401
    assert _refused("signature") == refused_before + 1
    assert await models.InboundEvent.objects.acount() == 0


async def test_a_refused_request_logs_a_short_line_without_its_body(
    slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    body = payloads.event_callback(payloads.app_mention("forged\nINFO admin logged in " * 1_000))
    caplog.set_level(logging.DEBUG)

    response = await post_signed(body, headers={"X-Slack-Signature": "v0=" + "0" * 64})

    assert response.status_code == 401
    assert caplog.records
    assert all(len(record.getMessage()) < 300 for record in caplog.records)
    assert "forged" not in caplog.text


async def test_a_request_signed_with_another_secret_is_refused(slack: FakeSlack) -> None:
    body = payloads.event_callback(payloads.app_mention("how do I deploy?"))

    response = await AsyncClient().post(
        "/slack/events",
        data=body,
        content_type="application/json",
        headers=payloads.signed_headers(body, secret="wrong"),
    )

    assert response.status_code == 401


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        pytest.param("{not json", "application/json", id="malformed-json"),
        pytest.param(
            "payload=%7Bnot+json", "application/x-www-form-urlencoded", id="malformed-form"
        ),
        # Found by the fuzzer: JSON bolt's own parsing and middleware trip over.
        pytest.param("null", "application/json", id="json-null"),
        pytest.param("[1, 2]", "application/json", id="json-list"),
        pytest.param('{"event": null}', "application/json", id="event-not-an-object"),
        pytest.param(
            '{"type": "event_callback", "authorizations": {"": null}}',
            "application/json",
            id="authorizations-not-a-list",
        ),
        pytest.param(
            '{"type": "block_actions", "actions": null}', "application/json", id="actions-null"
        ),
        pytest.param(
            '{"type": "block_actions", "actions": [{"value": "1"}]}',
            "application/json",
            id="action-without-an-id",
        ),
        pytest.param(
            '{"type": "view_submission", "view": "callback_id"}',
            "application/json",
            id="view-not-an-object",
        ),
        pytest.param(
            '{"type": "view_submission", "view": {"callback_id": "feedback_comment"}}',
            "application/json",
            id="view-without-a-type",
        ),
    ],
)
async def test_signed_but_malformed_bodies_are_refused_and_nothing_is_stored(
    slack: FakeSlack, body: str, content_type: str
) -> None:
    response = await post_signed(body, content_type=content_type)

    assert response.status_code == 400
    assert await models.InboundEvent.objects.acount() == 0


if ON_POSTGRESQL:

    async def test_an_event_whose_job_the_database_refuses_is_not_recorded_and_comes_again(
        slack: FakeSlack, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """The event and its job are written in one transaction: neither is kept, and Slack is
        told to deliver the event again."""

        def refused(**_: object) -> int:
            raise ConnectorException("the database went away")

        monkeypatch.setattr(jobs.answer_event, "defer", refused)

        response = await post_signed(
            payloads.event_callback(payloads.app_mention("how do I deploy?"))
        )

        assert response.status_code == 503
        assert await models.InboundEvent.objects.acount() == 0


async def test_without_slack_settings_the_endpoint_says_what_to_set(settings) -> None:
    settings.SLACK_BOT_TOKEN = ""
    settings.SLACK_SIGNING_SECRET = ""

    response = await AsyncClient().post("/slack/events", data="{}", content_type="application/json")

    assert response.status_code == 503
    assert "SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET" in response.content.decode()


async def test_an_event_gets_the_security_headers_every_response_gets(
    slack: FakeSlack, settings
) -> None:
    settings.SECURE_HSTS_SECONDS = 3600
    body = payloads.event_callback(payloads.app_mention("how do I deploy?"))

    response = await post_signed(body, headers={"X-Forwarded-Proto": "https"})
    await all_jobs_done()

    assert response.status_code == 200
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Strict-Transport-Security"].startswith("max-age=3600")


async def test_an_event_is_acknowledged_without_a_session_or_a_cookie(slack: FakeSlack) -> None:
    body = payloads.event_callback(payloads.app_mention("how do I deploy?"))

    response = await post_signed(body)
    await all_jobs_done()

    assert response.status_code == 200
    assert not response.cookies
    assert "Vary" not in response.headers


def test_every_middleware_runs_in_the_event_loop_so_the_async_view_does_too() -> None:
    # A middleware that is only synchronous would make Django run what follows it, the events
    # view included, through async_to_sync on another thread.
    synchronous_only = [
        name
        for name in django_settings.MIDDLEWARE
        if not getattr(import_string(name), "async_capable", False)
    ]

    assert synchronous_only == []


async def test_an_event_over_plain_http_is_redirected_as_every_page_is(
    slack: FakeSlack, settings
) -> None:
    settings.SECURE_SSL_REDIRECT = True
    body = payloads.event_callback(payloads.app_mention("how do I deploy?"))

    response = await post_signed(body)

    assert response.status_code == 301
    assert response.headers["Location"] == "https://testserver/slack/events"
    assert await models.InboundEvent.objects.acount() == 0


async def test_an_event_for_a_host_not_allowed_is_refused(slack: FakeSlack) -> None:
    body = payloads.event_callback(payloads.app_mention("how do I deploy?"))

    response = await post_signed(body, headers={"Host": "kraken.evil.example"})

    assert response.status_code == 400
    assert await models.InboundEvent.objects.acount() == 0


async def test_only_posts_are_taken(slack: FakeSlack) -> None:
    response = await AsyncClient().get("/slack/events")

    assert response.status_code == 405


async def test_a_body_beyond_djangos_limit_is_refused_not_failed(
    slack: FakeSlack, settings, caplog: pytest.LogCaptureFixture
) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    body = payloads.event_callback(payloads.app_mention("x" * 2048))

    response = await post_signed(body)

    assert response.status_code == 400
    assert await models.InboundEvent.objects.acount() == 0
    assert [record.getMessage() for record in caplog.records if record.exc_info] == []


async def test_an_unexpected_error_is_a_500_so_slack_delivers_the_event_again(
    slack: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> None:
    def failing() -> None:
        raise RuntimeError("unexpected")

    monkeypatch.setattr(slack_app, "get_app", failing)
    body = payloads.event_callback(payloads.app_mention("how do I deploy?"))

    response = await AsyncClient(raise_request_exception=False).post(
        "/slack/events",
        data=body,
        content_type="application/json",
        headers=payloads.signed_headers(body),
    )

    assert response.status_code == 500


async def test_an_event_that_comes_while_slack_cannot_confirm_the_token_is_delivered_again(
    slack: FakeSlack, indexed_docs: None, caplog: pytest.LogCaptureFixture
) -> None:
    """The token is confirmed (`auth.test`) at a process's first request; a failure refuses the
    event, not acknowledges it, so that Slack's next delivery is answered."""
    slack.refuse("auth.test", "fatal_error")
    body = payloads.event_callback(payloads.app_mention("how do I rotate the password?"))

    refused = await post_signed(body)
    delivered_again = await post_signed(
        body, headers={"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_error"}
    )
    await all_jobs_done()

    assert refused.status_code == 500
    assert "auth.test failed (fatal_error)" in caplog.text
    assert delivered_again.status_code == 200
    assert len(slack.calls_to("chat.startStream")) == 1
    question = await models.Question.objects.aget()
    assert question.status == models.QuestionStatus.ANSWERED
    assert len(slack.calls_to("auth.test")) == 2


async def test_feedback_buttons_store_one_verdict_per_person_and_a_thumbs_down_asks_why(
    slack: FakeSlack,
) -> None:
    question = await _question_asked_in("C0001")

    first = await post_signed(
        payloads.block_action(rendering.FEEDBACK_UP, str(question.pk)),
        content_type="application/x-www-form-urlencoded",
    )
    second = await post_signed(
        payloads.block_action(rendering.FEEDBACK_DOWN, str(question.pk)),
        content_type="application/x-www-form-urlencoded",
    )
    comment = await post_signed(
        payloads.view_submission(
            "feedback_comment", private_metadata=str(question.pk), comment="The page is outdated"
        ),
        content_type="application/x-www-form-urlencoded",
    )

    assert [first.status_code, second.status_code, comment.status_code] == [200, 200, 200]
    feedback = await models.Feedback.objects.aget(question=question)
    assert (feedback.user_id, feedback.score, feedback.comment) == (
        "U0001",
        -1,
        "The page is outdated",
    )
    [modal] = await slack.wait_for("views.open")
    assert modal.args["view"]["private_metadata"] == str(question.pk)


async def _question_asked_in(channel_id: str) -> models.Question:
    return await models.Question.objects.acreate(
        text="q", source="slack", created_at="2026-01-01T00:00Z", channel_id=channel_id
    )


def _warnings_of_listeners(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        record.getMessage()
        for record in caplog.records
        if record.name == "slack.listeners" and record.levelno == logging.WARNING
    ]


@pytest.mark.parametrize(
    ("value", "user"),
    [
        pytest.param("abc", "U0001", id="letters"),
        pytest.param("", "U0001", id="empty"),
        pytest.param("1.5", "U0001", id="fraction"),
        pytest.param("9" * 40, "U0001", id="beyond-any-id"),
        pytest.param("999999999999999999", "U0001", id="no-such-question"),
        pytest.param(None, "U0001", id="no-value"),
        pytest.param("{question}", None, id="no-user"),
    ],
)
async def test_a_feedback_button_without_a_question_of_ours_or_a_person_is_refused_quietly(
    slack: FakeSlack, caplog: pytest.LogCaptureFixture, value: str | None, user: str | None
) -> None:
    question = await _question_asked_in("C0001")
    click = payloads.block_action(
        rendering.FEEDBACK_DOWN, value and value.format(question=question.pk), user=user
    )

    response = await post_signed(click, content_type="application/x-www-form-urlencoded")

    assert response.status_code == 200
    assert await models.Feedback.objects.acount() == 0
    assert slack.calls_to("views.open") == []
    assert len(_warnings_of_listeners(caplog)) == 1


async def test_feedback_from_another_channel_than_the_questions_is_refused_quietly(
    slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    question = await _question_asked_in("C0001")
    click = payloads.block_action(rendering.FEEDBACK_UP, str(question.pk), channel="C0002")

    response = await post_signed(click, content_type="application/x-www-form-urlencoded")

    assert response.status_code == 200
    assert await models.Feedback.objects.acount() == 0
    assert len(_warnings_of_listeners(caplog)) == 1


@pytest.mark.parametrize(
    "private_metadata",
    [
        pytest.param("abc", id="letters"),
        pytest.param("", id="empty"),
        pytest.param('{"question": 1}', id="json"),
        pytest.param("9" * 40, id="beyond-any-id"),
        pytest.param("999999999999999999", id="no-such-question"),
        pytest.param("{question}", id="a-question-the-person-gave-no-verdict-on"),
    ],
)
async def test_a_comment_without_a_verdict_of_the_person_to_go_with_is_refused_quietly(
    slack: FakeSlack, caplog: pytest.LogCaptureFixture, private_metadata: str
) -> None:
    question = await _question_asked_in("C0001")
    submission = payloads.view_submission(
        "feedback_comment",
        private_metadata=private_metadata.replace("{question}", str(question.pk)),
        comment="The page is outdated",
    )

    response = await post_signed(submission, content_type="application/x-www-form-urlencoded")

    assert response.status_code == 200
    assert await models.Feedback.objects.acount() == 0
    assert len(_warnings_of_listeners(caplog)) == 1


async def test_kraken_help_shows_the_usage_ephemerally(slack: FakeSlack) -> None:
    response = await post_signed(
        payloads.slash_command("help", response_url=slack.response_url("r1")),
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == 200
    body = json.loads(response.content)
    assert body["response_type"] == "ephemeral"
    assert "/kraken <question>" in body["text"]


async def test_kraken_with_a_question_answers_only_the_asker(
    slack: FakeSlack, indexed_docs: None
) -> None:
    response = await post_signed(
        payloads.slash_command(
            "how do I rotate the password?", response_url=slack.response_url("r2")
        ),
        content_type="application/x-www-form-urlencoded",
    )
    await all_jobs_done()

    assert json.loads(response.content)["text"] == "Finding a response…"
    [answer] = slack.calls_to("response_url")
    assert answer.args["response_type"] == "ephemeral"
    assert "vault rotate db" in markdown_of(answer.args)
    question = await models.Question.objects.aget()
    assert question.status == models.QuestionStatus.ANSWERED
    assert question.event_id == "command-1.2.3"


async def test_a_kraken_answer_has_the_feedback_buttons_and_a_click_on_them_counts(
    slack: FakeSlack, indexed_docs: None
) -> None:
    await post_signed(
        payloads.slash_command(
            "how do I rotate the password?", response_url=slack.response_url("r")
        ),
        content_type="application/x-www-form-urlencoded",
    )
    await all_jobs_done()
    [answer] = slack.calls_to("response_url")
    [buttons] = [block for block in answer.args["blocks"] if block["type"] == "actions"]
    [thumbs_up, _] = buttons["elements"]

    clicked = await post_signed(
        payloads.block_action(thumbs_up["action_id"], thumbs_up["value"]),
        content_type="application/x-www-form-urlencoded",
    )

    assert clicked.status_code == 200
    feedback = await models.Feedback.objects.aget()
    assert (feedback.question_id, feedback.score) == (int(thumbs_up["value"]), 1)


async def test_a_kraken_answer_the_response_url_refused_is_sent_by_the_next_run_to_one_question(
    slack: FakeSlack, indexed_docs: None
) -> None:
    origin = records.SlackOrigin(
        team_id="T1", channel_id="C0001", user_id="U1", event_id="command-1.2.3"
    )
    asked: dict[str, Any] = {
        "text": "how do I rotate the password?",
        "origin": jobs.plain(origin),
        "response_url": slack.response_url("r"),
    }
    slack.server_error("response_url")
    first = job_context(jobs.answer_command, attempts=0)

    with pytest.raises(respond_to_user.ReplyNotSent) as refused:
        await jobs.answer_command(first, **asked)
    assert jobs.answer_command.retry_strategy is not None
    assert jobs.answer_command.retry_strategy.get_retry_decision(
        exception=refused.value, job=first.job
    )
    failed = await models.Question.objects.aget()
    assert failed.status == models.QuestionStatus.FAILED

    await jobs.answer_command(job_context(jobs.answer_command, attempts=1), **asked)
    await jobs.answer_command(job_context(jobs.answer_command, attempts=2), **asked)

    [_, answer] = slack.calls_to("response_url")
    assert "vault rotate db" in markdown_of(answer.args)
    answered = await models.Question.objects.aget()
    assert (answered.pk, answered.status) == (failed.pk, models.QuestionStatus.ANSWERED)


async def test_opening_the_messages_tab_shows_suggested_prompts(slack: FakeSlack) -> None:
    await post_signed(payloads.event_callback(payloads.messages_tab_opened()))

    [prompts] = await slack.wait_for("assistant.threads.setSuggestedPrompts")
    assert prompts.args["channel_id"] == "D0001"
    assert len(prompts.args["prompts"]) == 3


async def test_the_first_words_reach_slack_well_before_the_last(
    slack: FakeSlack, indexed_docs: None, llm: FakeOpenAI
) -> None:
    text = "Rotate the database password with `vault rotate db`. " * 12
    llm.tool_call("search_docs", {"query": "rotate password"}, when_offered="search_docs")
    llm.tool_call(
        "final_result",
        {"text": text, "passage_ids": []},
        piece_delay_s=0.05,
        when_offered="search_docs",
    )
    llm.tool_call("final_result", {"category": "how-to"})

    await post_signed(payloads.event_callback(payloads.app_mention("how do I rotate it?")))
    await all_jobs_done()

    first = next(call for call in slack.calls if call.method == "chat.startStream")
    [stop] = slack.calls_to("chat.stopStream")
    assert stop.at - first.at > 0.5
    assert streamed_text(slack).startswith(text)


@pytest.mark.parametrize(
    ("fail", "reason"),
    [
        pytest.param(lambda llm: llm.error(500), "500", id="errors"),
        pytest.param(lambda llm: llm.slow(5), "timed out", id="times-out"),
    ],
)
async def test_when_the_llm_fails_the_person_gets_the_documentation_quoted_and_marked(
    slack: FakeSlack,
    indexed_docs: None,
    llm: FakeOpenAI,
    fail: Callable[[FakeOpenAI], None],
    reason: str,
) -> None:
    for _ in range(6):
        fail(llm)
    event = payloads.app_mention("how do I rotate it?")

    await post_signed(payloads.event_callback(event))
    await all_jobs_done()

    [shown] = [
        call.args["text"]
        for call in slack.calls
        if call.method in {"chat.postMessage", "chat.update"}
        and call.args["text"] != respond_to_user.STATUS_TEXT
    ]
    assert shown.startswith(docs_answerer.FALLBACK_INTRO)
    assert "vault rotate db" in shown
    question = await models.Question.objects.aget(message_ts=event["ts"])
    assert question.status == models.QuestionStatus.ANSWERED
    assert question.answered_by_fallback
    assert reason in question.error
    assert question.sources


async def test_a_rate_limited_reply_is_retried_and_arrives_once(
    slack: FakeSlack, indexed_docs: None
) -> None:
    slack.rate_limit("chat.startStream", retry_after_s=1)

    await post_signed(
        payloads.event_callback(payloads.app_mention("how do I rotate the password?"))
    )
    await all_jobs_done()

    assert len(slack.calls_to("chat.startStream")) == 2
    assert len(slack.calls_to("chat.stopStream")) == 1
    assert "vault rotate db" in streamed_text(slack)


THREAD_TS = "1767600000.000100"


def _thread(slack: FakeSlack) -> None:
    slack.threads[("C0001", THREAD_TS)] = [
        {"ts": THREAD_TS, "user": "U0002", "text": "Deploys fail since this morning."},
        {"ts": "1767600001.000100", "bot_id": "BKRAKEN", "text": "Check the release runbook [1]."},
        {
            "ts": "1767600002.000100",
            "bot_id": "BOTHER",
            "username": "ci-bot",
            "text": "Build 42 failed.",
        },
        {
            "ts": "1767600003.000100",
            "user": "U0002",
            "text": "We decided to roll back. Who owns the fix?",
        },
    ]


async def test_a_mention_in_a_thread_gives_the_thread_to_the_model_with_the_bots_own_turns_marked(
    slack: FakeSlack, indexed_docs: None, llm: FakeOpenAI
) -> None:
    _thread(slack)
    llm.tool_call(
        "final_result", {"text": "Roll back with the runbook."}, when_offered="search_docs"
    )
    llm.tool_call("final_result", {"category": "troubleshooting"})

    await post_signed(
        payloads.event_callback(payloads.app_mention("what now?", thread_ts=THREAD_TS))
    )
    await all_jobs_done()

    answerer_request = next(
        r
        for r in llm.requests
        if any(t["function"]["name"] == "search_docs" for t in r.get("tools", []))
    )
    turns = [
        (m["role"], m.get("content"))
        for m in answerer_request["messages"]
        if m["role"] in {"user", "assistant"}
    ]
    assert ("assistant", "Check the release runbook [1].") in turns
    assert ("user", "ci-bot: Build 42 failed.") in turns
    assert turns[-1][1].endswith("what now?")
    assert len(slack.calls_to("conversations.replies")) == 1


async def test_a_rate_limited_thread_read_still_gives_an_answer_with_a_note(
    slack: FakeSlack, indexed_docs: None
) -> None:
    slack.rate_limit("conversations.replies", retry_after_s=60)

    await post_signed(
        payloads.event_callback(
            payloads.app_mention("how do I rotate the password?", thread_ts="1767600500.000100")
        )
    )
    await all_jobs_done()

    assert "vault rotate db" in streamed_text(slack)
    assert "Slack limited how much of this thread I could read" in streamed_text(slack)


async def test_summarise_in_a_thread_posts_a_summary_with_decisions_and_open_questions(
    slack: FakeSlack,
) -> None:
    _thread(slack)

    await post_signed(
        payloads.event_callback(payloads.app_mention("summarise", thread_ts=THREAD_TS))
    )
    await all_jobs_done()

    [posted] = slack.calls_to("chat.postMessage")
    summary = markdown_of(posted.args)
    assert posted.args["thread_ts"] == THREAD_TS
    assert summary.startswith("**Summary**")
    assert "We decided to roll back." in summary
    assert "Who owns the fix?" in summary
    question = await models.Question.objects.aget()
    assert (question.category, question.status) == ("summary", models.QuestionStatus.ANSWERED)


async def test_the_summarise_thread_shortcut_posts_a_summary_in_the_thread(
    slack: FakeSlack,
) -> None:
    _thread(slack)

    response = await post_signed(
        payloads.message_shortcut("summarise_thread", channel="C0001", thread_ts=THREAD_TS),
        content_type="application/x-www-form-urlencoded",
    )
    await all_jobs_done()

    assert response.status_code == 200
    [posted] = slack.calls_to("chat.postMessage")
    assert posted.args["thread_ts"] == THREAD_TS
    summary = markdown_of(posted.args)
    assert summary.startswith("**Summary**")
    # The message the shortcut was used on is part of the thread it summarises.
    assert "We decided to roll back." in summary


async def test_the_shortcut_where_the_bot_is_not_tells_its_user_alone_and_is_not_run_again(
    slack: FakeSlack,
) -> None:
    slack.refuse("assistant.threads.setStatus", "not_in_channel")
    slack.refuse("chat.postMessage", "not_in_channel")

    await post_signed(
        payloads.message_shortcut(
            "summarise_thread",
            channel="C0001",
            thread_ts=THREAD_TS,
            response_url=slack.response_url("r"),
        ),
        content_type="application/x-www-form-urlencoded",
    )
    await all_jobs_done()

    [told] = slack.calls_to("response_url")
    assert told.args["text"] == conversation.NOT_IN_THE_CONVERSATION
    assert told.args["response_type"] == "ephemeral"
    question = await models.Question.objects.aget()
    assert (question.event_id, question.status) == ("shortcut-1.2.3", models.QuestionStatus.FAILED)
    assert "not_in_channel" in question.error
    assert len(slack.calls_to("chat.postMessage")) == 1, "not run again"


async def test_a_shortcut_summary_that_keeps_failing_is_one_failed_request_and_its_user_is_told(
    slack: FakeSlack,
) -> None:
    _thread(slack)
    origin = records.SlackOrigin(
        team_id="T1",
        channel_id="C0001",
        user_id="U0001",
        thread_ts=THREAD_TS,
        message_ts="1767600003.000100",
        event_id="shortcut-1.2.3",
    )
    asked: dict[str, Any] = {
        "origin": jobs.plain(origin),
        "bot_id": "BKRAKEN",
        "response_url": slack.response_url("r"),
    }
    slack.refuse("assistant.threads.setStatus", "not_allowed", times=2)
    slack.refuse("chat.postMessage", "fatal_error", times=2)

    for attempts in (0, jobs.RETRIES):
        with pytest.raises(Exception, match="fatal_error"):
            await jobs.summarise_thread(
                job_context(jobs.summarise_thread, attempts=attempts), **asked
            )

    [told] = slack.calls_to("response_url")
    assert told.args["text"] == summarise_thread.FAILURE_TEXT
    question = await models.Question.objects.aget()
    assert question.status == models.QuestionStatus.FAILED
    assert question.error == f"Gave up after attempt {jobs.RETRIES + 1}: SlackApiError"


async def test_the_summarise_thread_shortcut_on_a_threads_first_message_summarises_the_thread(
    slack: FakeSlack,
) -> None:
    _thread(slack)

    await post_signed(
        payloads.message_shortcut(
            "summarise_thread", channel="C0001", thread_ts=THREAD_TS, ts=THREAD_TS
        ),
        content_type="application/x-www-form-urlencoded",
    )
    await all_jobs_done()

    [posted] = slack.calls_to("chat.postMessage")
    assert posted.args["thread_ts"] == THREAD_TS
    summary = markdown_of(posted.args)
    assert "We decided to roll back." in summary
    assert "Who owns the fix?" in summary
