import io
import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from agents import docs_answerer
from data import models
from fakes.failing_model import failing_model

PROJECT_DOCS = Path(__file__).resolve().parent.parent / "docs"


def _ask(*arguments: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("ask", *arguments, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.fixture
def project_docs_indexed() -> None:
    call_command(
        "index_docs", str(PROJECT_DOCS), "--collection", "kraken-bot", stdout=io.StringIO()
    )


def test_ask_answers_offline_from_the_projects_docs_with_numbered_sources(
    project_docs_indexed: None,
) -> None:
    out, err = _ask("how do I configure the LLM?")

    assert err.startswith("Finding a response…")
    assert "LLM_MODEL" in out
    assert "Sources:\n  [1] Configuring the language model (LLM)" in out
    question = models.Question.objects.get()
    assert question.source == models.QuestionSource.CONSOLE
    assert question.status == models.QuestionStatus.ANSWERED
    assert question.sources[0]["title"] == "Configuring the language model (LLM)"


def test_ask_json_prints_the_stored_question(project_docs_indexed: None) -> None:
    out, _ = _ask("how do I run the tests on PostgreSQL?", "--json")

    stored = json.loads(out)
    assert stored["status"] == "answered"
    assert stored["source"] == "console"
    assert stored["citations"]
    assert set(stored["timings_ms"]) == {"status", "store", "classify", "answer", "reply", "total"}
    assert stored["usage"]["model_name"] == "offline"


def test_ask_says_plainly_when_the_docs_have_nothing(project_docs_indexed: None) -> None:
    out, _ = _ask("zebra xylophone quokka")

    assert "could not find anything" in out


def test_ask_quotes_the_docs_and_prints_the_models_error_when_the_model_fails(
    project_docs_indexed: None,
) -> None:
    with docs_answerer.docs_answerer.override(model=failing_model(500, body="model not loaded")):
        out, err = _ask("how do I configure the LLM?")

    assert out.startswith(docs_answerer.FALLBACK_INTRO)
    assert "Sources:\n  [1] Configuring the language model (LLM)" in out
    assert err.endswith(
        "Answered by quoting the documentation: Unable to answer the question: "
        "the model's server answered HTTP 500: model not loaded\n"
    )
    assert models.Question.objects.get().answered_by_fallback


def test_ask_refuses_an_empty_question() -> None:
    with pytest.raises(CommandError, match="Ask a question"):
        _ask("   ")


def test_ask_with_a_channel_answers_with_that_channel_s_settings(
    project_docs_indexed: None,
) -> None:
    models.ChannelSettings.objects.create(channel_id="C0001", collections=["handbook"])

    out, _ = _ask("how do I configure the LLM?", "--channel", "C0001")
    _ask("how do I configure the LLM?")

    in_channel, by_default = models.Question.objects.order_by("id")
    assert "could not find anything" in out
    assert (in_channel.settings_channel_id, in_channel.collections) == ("C0001", ["handbook"])
    assert (by_default.settings_channel_id, by_default.collections) == ("", [])
    assert by_default.sources
