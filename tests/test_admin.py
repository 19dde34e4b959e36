import datetime as dt

from django.db import connection
from django.test import AsyncClient, Client
from django.test.utils import CaptureQueriesContext

from data import models
from tests.admin_support import bot_owner, logged_in, staff_user
from tests.factories import (
    AnsweredQuestionFactory,
    FeedbackFactory,
    InboundEventFactory,
    QuestionFactory,
)

QUESTIONS = "/admin/data/question/"
INBOX = "/admin/data/inboundevent/"


async def test_the_admin_gets_sessions_csrf_and_the_security_headers() -> None:
    response = await AsyncClient().get("/admin/login/")

    assert response.status_code == 200
    assert "csrftoken" in response.cookies
    assert "csrfmiddlewaretoken" in response.content.decode()
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Vary"] == "Cookie"


def test_the_admin_sends_anonymous_visitors_to_the_login_page() -> None:
    response = Client().get(QUESTIONS)

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_the_admin_refuses_people_who_are_not_staff() -> None:
    user = staff_user()
    user.is_staff = False
    user.save()

    response = logged_in(user).get(QUESTIONS)

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_the_list_shows_each_question_with_its_status_feedback_model_time_and_cost() -> None:
    question = AnsweredQuestionFactory.create(
        text="How do I rotate the database password?", channel_id="C0OPS", user_id="U0ASKER"
    )
    FeedbackFactory.create(question=question, score=models.FeedbackScore.UP)
    FeedbackFactory.create(question=question, score=models.FeedbackScore.UP)
    FeedbackFactory.create(question=question, score=models.FeedbackScore.DOWN)

    listing = logged_in().get(QUESTIONS)

    assert listing.status_code == 200
    for shown in (
        "How do I rotate the database password?",
        "C0OPS",
        "U0ASKER",
        "how-to",
        "kraken-status-answered",
        "👍 2 · 👎 1",
        "openai:gpt-5",
        "2.1 s",
        "$0.0042",
    ):
        assert shown in listing.text


def test_the_list_is_newest_first_and_cuts_long_questions_short() -> None:
    older = QuestionFactory.create(text="older question")
    newer = QuestionFactory.create(text="newer question " + "x" * 100)

    listing = logged_in().get(QUESTIONS)

    assert older.created_at < newer.created_at
    assert listing.text.index("newer question") < listing.text.index("older question")
    assert "newer question " + "x" * 64 + "…" in listing.text


def test_failed_questions_are_found_by_status() -> None:
    AnsweredQuestionFactory.create(text="answered fine")
    QuestionFactory.create(text="went wrong", status=models.QuestionStatus.FAILED)

    listing = logged_in().get(QUESTIONS, {"status__exact": "failed"})

    assert "went wrong" in listing.text
    assert "answered fine" not in listing.text


def test_questions_are_found_by_their_feedback() -> None:
    liked = QuestionFactory.create(text="helpful answer")
    disliked = QuestionFactory.create(text="poor answer")
    QuestionFactory.create(text="nobody voted")
    FeedbackFactory.create(question=liked, score=models.FeedbackScore.UP)
    FeedbackFactory.create(question=disliked, score=models.FeedbackScore.DOWN)
    client = logged_in()

    shown = {
        value: client.get(QUESTIONS, {"feedback": value}).text for value in ("up", "down", "none")
    }

    assert "helpful answer" in shown["up"]
    assert "poor answer" not in shown["up"]
    assert "poor answer" in shown["down"]
    assert "helpful answer" not in shown["down"]
    assert "nobody voted" in shown["none"]
    assert "helpful answer" not in shown["none"]


def test_answers_without_sources_are_found_as_documentation_gaps() -> None:
    AnsweredQuestionFactory.create(text="answer with a source")
    AnsweredQuestionFactory.create(text="answer from nowhere", sources=[])
    QuestionFactory.create(text="still waiting", status=models.QuestionStatus.RECEIVED)

    listing = logged_in().get(QUESTIONS, {"without_sources": "yes"})

    assert "answer from nowhere" in listing.text
    assert "answer with a source" not in listing.text
    assert "still waiting" not in listing.text


def test_questions_are_found_by_channel_and_by_words_of_their_answer() -> None:
    AnsweredQuestionFactory.create(text="in ops", channel_id="C0OPS", answer="use the vault CLI")
    AnsweredQuestionFactory.create(text="in sales", channel_id="C0SALES", answer="ask finance")
    client = logged_in()

    by_channel = client.get(QUESTIONS, {"channel_id": "C0OPS"})
    by_answer = client.get(QUESTIONS, {"q": "finance"})

    assert "in ops" in by_channel.text
    assert "in sales" not in by_channel.text
    assert "in sales" in by_answer.text
    assert "in ops" not in by_answer.text


def test_the_channel_filter_names_channels_as_their_settings_do_and_others_by_id() -> None:
    models.ChannelSettings.objects.create(channel_id="C0OPS", name="ops")
    models.ChannelSettings.objects.create(channel_id="C0HUSH", name="hush")
    AnsweredQuestionFactory.create(text="in ops", channel_id="C0OPS")
    AnsweredQuestionFactory.create(text="in sales", channel_id="C0SALES")

    listing = logged_in().get(QUESTIONS)

    assert '<a href="?channel_id=C0OPS">#ops (C0OPS)</a>' in listing.text
    assert '<a href="?channel_id=C0SALES">C0SALES</a>' in listing.text
    assert "C0HUSH" not in listing.text  # no question was asked there


def test_questions_answered_privately_are_found_by_a_filter() -> None:
    AnsweredQuestionFactory.create(text="only the asker saw it", answered_privately=True)
    AnsweredQuestionFactory.create(text="everyone saw it")
    client = logged_in()

    private = client.get(QUESTIONS, {"answered_privately__exact": "1"})
    public = client.get(QUESTIONS, {"answered_privately__exact": "0"})

    assert "only the asker saw it" in private.text
    assert "everyone saw it" not in private.text
    assert "everyone saw it" in public.text
    assert "only the asker saw it" not in public.text


def test_a_filter_on_a_character_no_database_stores_finds_nothing_rather_than_failing() -> None:
    AnsweredQuestionFactory.create(text="in ops", channel_id="C0OPS")

    listing = logged_in().get(QUESTIONS, {"channel_id": "C0OPS\u0000"})

    assert listing.status_code == 200
    assert "in ops" not in listing.text


def test_a_page_of_questions_takes_the_same_queries_however_many_questions_and_votes() -> None:
    client = logged_in()

    def queries_for_first_page() -> int:
        with CaptureQueriesContext(connection) as captured:
            response = client.get(QUESTIONS)
        assert response.status_code == 200
        assert response.text.count('class="action-select"') == 100
        return len(captured)

    for question in AnsweredQuestionFactory.create_batch(100):
        FeedbackFactory.create(question=question, score=models.FeedbackScore.UP)
    with_100 = queries_for_first_page()
    for question in AnsweredQuestionFactory.create_batch(100):
        FeedbackFactory.create(question=question, score=models.FeedbackScore.DOWN)
        FeedbackFactory.create(question=question, score=models.FeedbackScore.UP)
    with_200 = queries_for_first_page()

    assert with_100 == with_200
    assert with_200 <= 12


def test_a_question_shows_its_answer_sources_timings_usage_feedback_and_slack_thread() -> None:
    question = AnsweredQuestionFactory.create(
        team_id="T0ACME", channel_id="C0OPS", message_ts="1767603600.000100"
    )
    FeedbackFactory.create(question=question, comment="Spot on", score=models.FeedbackScore.UP)

    page = logged_in().get(f"{QUESTIONS}{question.pk}/change/")

    assert page.status_code == 200
    assert "Rotate it with `vault rotate db`" in page.text
    assert '<a href="https://docs.example.com/runbook.md"' in page.text
    assert "Database runbook › Rotating the password" in page.text
    for step in ("status", "store", "classify", "answer", "reply"):
        assert f"<title>{step}: " in page.text
    assert "1.9 s" in page.text  # the answer step
    assert "1200" in page.text
    assert "180" in page.text
    assert "$0.0042" in page.text
    assert "Spot on" in page.text
    assert "https://app.slack.com/client/T0ACME/C0OPS/thread/C0OPS-1767603600.000100" in page.text


def test_a_question_shows_the_channel_settings_it_was_answered_with() -> None:
    models.ChannelSettings.objects.create(channel_id="C0OPS", name="ops")
    in_ops = AnsweredQuestionFactory.create(
        channel_id="C0OPS",
        settings_channel_id="C0OPS",
        collections=["handbook", "runbooks"],
        answered_privately=True,
        shared_at=dt.datetime(2026, 1, 5, 9, 30, tzinfo=dt.UTC),
    )
    by_default = AnsweredQuestionFactory.create(channel_id="C0SALES")
    client = logged_in()

    ops_page = client.get(f"{QUESTIONS}{in_ops.pk}/change/")
    default_page = client.get(f"{QUESTIONS}{by_default.pk}/change/")

    assert "Channel settings it was answered with" in ops_page.text
    assert '<div class="readonly">#ops (C0OPS)</div>' in ops_page.text
    assert '<div class="readonly">handbook, runbooks</div>' in ops_page.text
    assert '<div class="readonly">Jan. 5, 2026, 9:30 a.m.</div>' in ops_page.text
    assert (
        '<div class="readonly">Default (other channels and direct messages)</div>'
        in default_page.text
    )
    assert '<div class="readonly">all</div>' in default_page.text


def test_answers_by_the_fallback_are_marked_and_filtered_with_the_models_error() -> None:
    AnsweredQuestionFactory.create(text="answered by the model")
    AnsweredQuestionFactory.create(
        text="answered by quoting the docs",
        answered_by_fallback=True,
        error="Unable to answer the question: the model's server answered HTTP 500: boom",
    )

    client = logged_in()
    listing = client.get(QUESTIONS, {"answered_by_fallback__exact": "1"})

    assert "answered by quoting the docs" in listing.text
    assert "answered by the model" not in listing.text
    assert "Answered by fallback" in listing.text
    [question] = models.Question.objects.filter(answered_by_fallback=True)
    page = client.get(f"{QUESTIONS}{question.pk}/change/")
    assert "the model&#x27;s server answered HTTP 500: boom" in page.text


def test_a_failed_question_shows_its_error_and_has_no_sources_or_timings_to_show() -> None:
    question = QuestionFactory.create(
        source=models.QuestionSource.CONSOLE,
        team_id="",
        channel_id="",
        status=models.QuestionStatus.FAILED,
        error="Unable to answer: the model did not answer in time",
    )

    page = logged_in().get(f"{QUESTIONS}{question.pk}/change/")

    assert "the model did not answer in time" in page.text
    assert "kraken-status-failed" in page.text
    assert "not timed" in page.text
    assert "not asked in Slack" in page.text


def test_what_came_from_slack_cannot_be_edited_in_the_admin() -> None:
    question = AnsweredQuestionFactory.create(text="original text")
    client = logged_in()

    page = client.get(f"{QUESTIONS}{question.pk}/change/")
    posted = client.post(f"{QUESTIONS}{question.pk}/change/", {"text": "rewritten"})

    assert 'name="_save"' not in page.text
    assert posted.status_code == 403
    question.refresh_from_db()
    assert question.text == "original text"


def test_the_inbox_shows_each_event_with_a_link_to_its_question_if_one_was_stored() -> None:
    question = AnsweredQuestionFactory.create(text="how do I deploy?", event_id="EvAnswered")
    InboundEventFactory.create(event_id="EvAnswered")
    InboundEventFactory.create(event_id="EvIgnored")
    client = logged_in()

    listed = client.get(INBOX)
    [answered] = models.InboundEvent.objects.filter(event_id="EvAnswered")
    shown = client.get(f"{INBOX}{answered.pk}/change/")

    link = (
        f'<a href="{QUESTIONS}{question.pk}/change/">Question {question.pk}: how do I deploy?</a>'
    )
    assert listed.status_code == 200
    assert listed.text.count(link) == 1
    assert "EvIgnored" in listed.text
    assert link in shown.text


def test_bot_owners_see_questions_and_feedback_but_cannot_delete_or_answer_again() -> None:
    question = AnsweredQuestionFactory.create(text="what owners review")
    FeedbackFactory.create(question=question, comment="helpful")
    client = logged_in(bot_owner())

    listing = client.get(QUESTIONS)
    feedback = client.get("/admin/data/feedback/")
    delete = client.post(f"{QUESTIONS}{question.pk}/delete/", {"post": "yes"})
    documents = client.get("/admin/data/document/")

    assert listing.status_code == 200
    assert "what owners review" in listing.text
    assert "Export as CSV" in listing.text
    assert "delete_selected" not in listing.text
    assert "answer_again" not in listing.text
    assert feedback.status_code == 200
    assert "helpful" in feedback.text
    assert delete.status_code == 403
    assert models.Question.objects.filter(pk=question.pk).exists()
    assert documents.status_code == 403


def test_admin_pages_carry_no_secrets(settings) -> None:
    settings.SLACK_BOT_TOKEN = "xoxb-admin-secret"
    settings.SLACK_SIGNING_SECRET = "signing-admin-secret"
    question = AnsweredQuestionFactory.create()
    client = logged_in()

    pages = [
        client.get(path).text
        for path in ("/admin/", QUESTIONS, f"{QUESTIONS}{question.pk}/change/", "/admin/dashboard/")
    ]

    for text in pages:
        assert "xoxb-admin-secret" not in text
        assert "signing-admin-secret" not in text
        assert settings.SECRET_KEY not in text
