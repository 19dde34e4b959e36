"""Answers from a real model: llama.cpp's server with SmolLM2-135M-Instruct, in each output mode.

A model this small rarely writes a usable structured answer, and its chat template has no tools:
what is checked is what a person is promised whatever the model does. Every question ends within
the answer's deadline in the model's answer or in the documentation quoted and marked, cites only
passages that exist, records the model's usage, and leaves nothing running. The answer's output
tokens are capped lower than the default here, so that the run stays short on two cores.
"""

import io
import json
import time
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from pydantic_ai.models import override_allow_model_requests

from agents import docs_answerer, limits
from application import respond_to_user
from data import models
from fakes import slack_payloads as payloads
from fakes.slack import FakeSlack
from tests.slack_fixtures import all_jobs_done, post_signed
from tests.slack_support import streamed_text

pytestmark = pytest.mark.real_model

PROJECT_DOCS = Path(__file__).resolve().parent.parent / "docs"
MODES = ["tool", "native", "prompted"]
IN_THE_DOCS = [
    "How do I configure the language model?",
    "How do I index the documentation?",
    "What does the admin dashboard show?",
    "How do I run the tests on PostgreSQL?",
]
NOT_IN_THE_DOCS = "Which football club won the 1998 cup final?"
DEADLINE_S = limits.RUN_LIMITS["answer"].deadline_s
# Some seconds over the deadline: the classifier, the search and storing the answer.
WITHIN_S = DEADLINE_S + 15
# Enough for a short answer with its passage ids; few enough that a run that loops ends soon.
RUN_LIMITS = f"answer={DEADLINE_S:g}/300"


@pytest.fixture
def on_the_model_server(settings, model_server: str) -> None:
    settings.LLM_MODEL = "openai:smollm2"
    settings.LLM_BASE_URL = model_server
    settings.LLM_RUN_LIMITS = RUN_LIMITS


@pytest.fixture
def project_docs_indexed() -> None:
    call_command(
        "index_docs", str(PROJECT_DOCS), "--collection", "kraken-bot", stdout=io.StringIO()
    )


def _ask(question: str) -> tuple[dict[str, Any], float]:
    out = io.StringIO()
    started = time.monotonic()
    with override_allow_model_requests(True):
        call_command("ask", question, "--json", stdout=out, stderr=io.StringIO())
    return json.loads(out.getvalue()), time.monotonic() - started


@pytest.mark.usefixtures("on_the_model_server", "project_docs_indexed")
@pytest.mark.parametrize("mode", MODES)
def test_each_kind_of_question_ends_in_an_answer_or_the_cited_docs(settings, mode: str) -> None:
    settings.LLM_OUTPUT_MODE = mode
    passages = set(models.Passage.objects.values_list("pk", flat=True))

    for question in [*IN_THE_DOCS, NOT_IN_THE_DOCS]:
        stored, took_s = _ask(question)

        assert took_s < WITHIN_S, (question, took_s)
        assert stored["status"] == "answered", stored
        assert {citation["passage_id"] for citation in stored["citations"]} <= passages
        assert stored["usage"]["model_name"] == "smollm2"
        if question == NOT_IN_THE_DOCS:
            assert "could not find anything" in stored["answer"], stored
            assert stored["citations"] == []
            continue
        assert stored["usage"]["input_tokens"], stored
        if stored["answered_by_fallback"]:
            assert stored["error"].startswith("Unable to answer the question: "), stored
            assert stored["answer"].startswith(docs_answerer.FALLBACK_INTRO), stored
            assert stored["citations"], stored


@pytest.mark.usefixtures("on_the_model_server", "project_docs_indexed")
@pytest.mark.parametrize("mode", MODES)
async def test_a_mention_is_answered_in_its_thread(settings, slack: FakeSlack, mode: str) -> None:
    settings.LLM_OUTPUT_MODE = mode
    event = payloads.app_mention(IN_THE_DOCS[0])

    started = time.monotonic()
    with override_allow_model_requests(True):
        await post_signed(payloads.event_callback(event))
        # Waited for as long as the answer may take, so that the bound below says how long it took.
        await all_jobs_done(within_s=WITHIN_S)

    assert time.monotonic() - started < WITHIN_S
    question = await models.Question.objects.aget(message_ts=event["ts"])
    assert question.status == models.QuestionStatus.ANSWERED
    passages = {pk async for pk in models.Passage.objects.values_list("pk", flat=True)}
    assert {source["passage_id"] for source in question.sources} <= passages
    assert question.model_name == "smollm2"
    posted = [
        call.args["text"]
        for call in slack.calls
        if call.method in {"chat.postMessage", "chat.update"}
    ]
    if question.answered_by_fallback:
        assert question.sources
        # The stream is finished with the fallback where it begins with what was streamed.
        shown = [*posted, streamed_text(slack)]
        assert any(text.startswith(docs_answerer.FALLBACK_INTRO) for text in shown), shown
    else:
        assert streamed_text(slack) or posted[-1] != respond_to_user.STATUS_TEXT
