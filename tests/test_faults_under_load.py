"""Many questions at once while the LLM and Slack misbehave: every question still ends answered
or failed with a message to its asker, none is left half-done, none is answered twice."""

import asyncio
from collections import Counter

from application import respond_to_user
from data import models
from fakes import slack_payloads as payloads
from fakes.openai import FakeOpenAI
from fakes.slack import FakeSlack
from tests.llm_fixtures import DocsModel
from tests.slack_fixtures import all_jobs_done, post_signed

QUESTIONS = 30
# The LLM's time limit in the `llm` fixture is 0.5 s; a "timeout" answers long after it.
LLM_LATE_S = 2.0


def _shown_in(slack: FakeSlack, thread_ts: str) -> list[str]:
    """The messages the bot started in a thread (streams and posts), status placeholders and
    calls refused with a 429 aside."""
    return [
        call.method
        for call in slack.calls
        if call.method in {"chat.startStream", "chat.postMessage"}
        and call not in slack.rate_limited
        and call.args.get("thread_ts") == thread_ts
        and call.args.get("text") != respond_to_user.STATUS_TEXT
    ]


async def test_with_failing_llm_calls_and_slack_rate_limits_every_question_ends_once(
    llm: FakeOpenAI, slack: FakeSlack, indexed_docs: None
) -> None:
    llm.answer_with(DocsModel(llm))
    llm.fail_at_random(errors=0.2, timeouts=0.1, timeout_s=LLM_LATE_S)
    slack.rate_limit_at_random(0.1)
    events = [
        payloads.app_mention(f"how do I rotate the password? ({n})") for n in range(QUESTIONS)
    ]

    responses = await asyncio.gather(
        *(post_signed(payloads.event_callback(event)) for event in events)
    )
    await all_jobs_done()

    assert [response.status_code for response in responses] == [200] * QUESTIONS
    assert llm.faults is not None
    assert llm.faults.injected["error"] > 0
    assert llm.faults.injected["timeout"] > 0
    assert slack.rate_limited
    questions = [question async for question in models.Question.objects.order_by("id")]
    assert sorted(question.message_ts for question in questions) == sorted(
        event["ts"] for event in events
    )
    outcomes = Counter(question.status for question in questions)
    assert set(outcomes) <= {models.QuestionStatus.ANSWERED, models.QuestionStatus.FAILED}
    assert outcomes[models.QuestionStatus.ANSWERED] > 0
    for question in questions:
        assert len(_shown_in(slack, question.thread_ts)) == 1, question
        if question.status == models.QuestionStatus.FAILED:
            assert question.error, question
    failure_messages = [
        call
        for call in slack.calls
        if call.method in {"chat.postMessage", "chat.update"}
        and call not in slack.rate_limited
        and respond_to_user.FAILURE_TEXT in call.args.get("text", "")
    ]
    assert len(failure_messages) == outcomes[models.QuestionStatus.FAILED]
