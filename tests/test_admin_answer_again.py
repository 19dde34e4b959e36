import pytest

from data import models
from domain import records
from fakes.slack import FakeSlack
from kraken_bot.admin import question_actions
from tests.admin_support import alogged_in
from tests.factories import AnsweredQuestionFactory, QuestionFactory
from tests.job_fixtures import all_jobs_done

QUESTIONS = "/admin/data/question/"


async def _run(action: str, ids: list[int]) -> str:
    client = await alogged_in()
    response = await client.post(
        QUESTIONS,
        {"action": action, "_selected_action": [str(pk) for pk in ids]},
        follow=True,
    )
    assert response.status_code == 200
    return response.content.decode()


async def _failed_slack_question(**fields) -> models.Question:
    question: models.Question = await QuestionFactory.acreate(
        text="how do I rotate the database password?",
        status=models.QuestionStatus.FAILED,
        error="Unable to answer: the model did not answer in time",
        **fields,
    )
    return question


async def test_answering_again_stores_the_new_answer_on_the_question_and_posts_nothing(
    slack: FakeSlack, indexed_docs: None
) -> None:
    question = await _failed_slack_question()

    page = await _run("answer_again", [question.pk])
    await all_jobs_done()

    await question.arefresh_from_db()
    assert question.status == models.QuestionStatus.ANSWERED
    assert "vault rotate db" in question.answer
    assert question.error == ""
    assert question.sources[0]["title"] == "Database runbook"
    assert question.total_ms is not None
    assert await models.Question.objects.acount() == 1
    assert slack.calls == []
    assert "Answering 1 again (not posted to Slack)" in page


async def test_answering_again_and_posting_answers_in_the_thread_the_question_was_asked_in(
    slack: FakeSlack, indexed_docs: None
) -> None:
    question = await _failed_slack_question(
        channel_id="C0OPS", message_ts="1767603600.000100", thread_ts="1767603600.000100"
    )

    page = await _run("answer_again_and_post", [question.pk])
    await all_jobs_done()

    await question.arefresh_from_db()
    [start] = slack.calls_to("chat.startStream")
    assert (start.args["channel"], start.args["thread_ts"]) == ("C0OPS", "1767603600.000100")
    assert question.status == models.QuestionStatus.ANSWERED
    assert "vault rotate db" in question.answer
    assert question.reply_ts in slack.posted  # a message the fake Slack posted
    assert "Answering 1 again and post to their threads" in page


async def test_a_question_not_asked_in_slack_is_not_answered_again_to_post_and_the_page_says_so(
    slack: FakeSlack, indexed_docs: None
) -> None:
    question = await _failed_slack_question(
        source=models.QuestionSource.CONSOLE, team_id="", channel_id="", event_id=None
    )

    page = await _run("answer_again_and_post", [question.pk])
    await all_jobs_done()

    await question.arefresh_from_db()
    assert question.status == models.QuestionStatus.FAILED
    assert slack.calls == []
    assert "Answering 0 again and post to their threads" in page
    assert f"Not answered: 1 {question_actions.NOT_IN_A_THREAD}." in page


async def test_a_kraken_question_is_not_posted_to_its_channel_for_it_was_asked_in_no_thread(
    slack: FakeSlack, indexed_docs: None
) -> None:
    question = await _failed_slack_question(
        channel_id="C0OPS", message_ts="", thread_ts="", event_id="command-1.2.3"
    )

    page = await _run("answer_again_and_post", [question.pk])
    await all_jobs_done()

    assert slack.calls == []
    assert f"Not answered: 1 {question_actions.NOT_IN_A_THREAD}." in page


@pytest.mark.parametrize("action", ["answer_again", "answer_again_and_post"])
async def test_a_threads_summary_is_not_answered_again_as_a_question_of_documentation(
    slack: FakeSlack, indexed_docs: None, action: str
) -> None:
    summary = await AnsweredQuestionFactory.acreate(
        text="summarise",
        category=records.SUMMARY,
        answer="**Summary**\nThe deploy failed; we rolled back.",
        sources=[],
        channel_id="C0OPS",
        message_ts="1767603600.000200",
        thread_ts="1767603600.000100",
    )

    page = await _run(action, [summary.pk])
    await all_jobs_done()

    await summary.arefresh_from_db()
    assert summary.answer == "**Summary**\nThe deploy failed; we rolled back."
    assert slack.calls == []
    assert f"Not answered: 1 {question_actions.A_SUMMARY}." in page


async def test_too_many_questions_at_once_are_refused_before_any_is_answered(
    slack: FakeSlack,
) -> None:
    questions = await QuestionFactory.acreate_batch(question_actions.MOST_AT_ONCE + 1)

    page = await _run("answer_again", [question.pk for question in questions])
    await all_jobs_done()

    assert f"Select at most {question_actions.MOST_AT_ONCE} questions" in page
    assert not await models.Question.objects.exclude(
        status=models.QuestionStatus.RECEIVED
    ).aexists()
