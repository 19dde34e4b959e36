import pytest
from pydantic_ai import capture_run_messages
from pydantic_ai.models.test import TestModel

from agents import summariser
from domain import records

THREAD = [
    records.ThreadMessage(author="ana", text="The nightly export is failing again."),
    records.ThreadMessage(author="bo", text="Should we move it to 03:00? It clashes with backups."),
    records.ThreadMessage(author="ana", text="Agreed, we will move it to 03:00 from Monday."),
]


async def test_the_offline_summariser_picks_out_decisions_and_open_questions() -> None:
    summarised = await summariser.summarise_thread(messages=THREAD)

    assert "3 messages from 2 people" in summarised.summary.summary
    assert summarised.summary.decisions == ["Agreed, we will move it to 03:00 from Monday."]
    assert summarised.summary.open_questions == ["Should we move it to 03:00?"]


async def test_the_summariser_gives_the_model_the_messages_and_returns_its_structured_summary() -> (
    None
):
    model = TestModel(
        custom_output_args={"summary": "Export moves to 03:00.", "decisions": ["Move to 03:00"]}
    )

    with capture_run_messages() as messages, summariser.summariser.override(model=model):
        summarised = await summariser.summarise_thread(messages=THREAD)

    assert summarised.summary == summariser.ThreadSummary(
        summary="Export moves to 03:00.", decisions=["Move to 03:00"], open_questions=[]
    )
    assert "It clashes with backups" in str(messages[0])


async def test_a_channel_model_that_can_no_longer_be_built_gives_way_to_the_configured_one(
    caplog: pytest.LogCaptureFixture,
) -> None:
    summarised = await summariser.summarise_thread(
        messages=THREAD, model_name="nosuchprovider:model"
    )

    assert summarised.usage.model_name == "offline"
    assert summarised.summary.decisions == ["Agreed, we will move it to 03:00 from Monday."]
    assert "nosuchprovider:model" in caplog.text
