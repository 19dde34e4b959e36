import html

import pytest

from application import channel_settings
from data import models
from domain import records
from fakes.servers import free_port
from fakes.slack import FakeSlack
from slack import web_client
from tests.admin_support import alogged_in
from tests.factories import ChannelSettingsFactory, DocumentFactory

CHANNELS = "/admin/data/channelsettings/"
ADD = f"{CHANNELS}add/"


def _form(**changes: object) -> dict[str, object]:
    """The add form as a browser posts it: the bot on, on mentions, nothing else set."""
    return {
        "channel_id": "C0001",
        "enabled": "on",
        "when_disabled": models.WhenDisabled.NOTE,
        "answers": models.ChannelAnswers.MENTIONS,
        "instructions": "",
        "model": "",
        **changes,
    }


def _text(page: bytes) -> str:
    """A page's text, its entities unescaped, as the reader sees it."""
    return html.unescape(page.decode())


async def test_a_channel_is_saved_with_its_name_from_slack_and_listed(slack: FakeSlack) -> None:
    await DocumentFactory.acreate(collection="handbook")
    await DocumentFactory.acreate(collection="runbooks")
    client = await alogged_in()

    saved = await client.post(
        ADD,
        _form(answers=models.ChannelAnswers.EVERY_QUESTION, collections=["handbook"]),
        follow=True,
    )

    row = await models.ChannelSettings.objects.aget()
    assert (row.channel_id, row.name, row.collections) == ("C0001", "general", ["handbook"])
    assert row.answers == models.ChannelAnswers.EVERY_QUESTION
    [asked] = slack.calls_to("conversations.info")
    assert asked.args["channel"] == "C0001"
    for shown in ("#general (C0001)", "Every question posted in the channel", "handbook"):
        assert shown in _text(saved.content)


async def test_the_list_says_all_collections_and_the_llm_model_where_none_is_chosen(
    slack: FakeSlack,
) -> None:
    await ChannelSettingsFactory.acreate(collections=[], model="")
    client = await alogged_in()

    listing = await client.get(CHANNELS)

    assert '<td class="field-collections_searched">all</td>' in listing.content.decode()
    assert '<td class="field-model_used">LLM_MODEL</td>' in listing.content.decode()


async def test_a_channel_slack_does_not_know_is_refused(slack: FakeSlack) -> None:
    client = await alogged_in()

    refused = await client.post(ADD, _form(channel_id="C0404"))

    assert (
        "Slack has no channel C0404 in this workspace (or it is private and the bot is not in it)."
        in _text(refused.content)
    )
    assert not await models.ChannelSettings.objects.aexists()


async def test_a_channel_the_bot_is_not_in_is_refused_with_how_to_invite_it(
    slack: FakeSlack,
) -> None:
    slack.channels["C0PRIV"] = {"id": "C0PRIV", "name": "ops-private", "is_member": False}
    client = await alogged_in()

    refused = await client.post(ADD, _form(channel_id="C0PRIV"))

    shown = _text(refused.content)
    assert "Kraken Bot is not in #ops-private: invite it first (/invite @Kraken)." in shown
    assert not await models.ChannelSettings.objects.aexists()


@pytest.mark.parametrize("channel_id", ["general", "#general", "D0123ABCD", "c0001", "C0"])
async def test_an_id_that_is_not_a_channels_is_refused_with_where_to_find_one(
    slack: FakeSlack, channel_id: str
) -> None:
    client = await alogged_in()

    refused = await client.post(ADD, _form(channel_id=channel_id))

    assert (
        f"{channel_id} is not a Slack channel id: one looks like C0123ABCD, and is at the bottom "
        "of the channel's details in Slack" in _text(refused.content)
    )
    assert not slack.calls_to("conversations.info")
    assert not await models.ChannelSettings.objects.aexists()


async def test_a_collection_that_was_never_indexed_is_refused(slack: FakeSlack) -> None:
    await DocumentFactory.acreate(collection="handbook")
    client = await alogged_in()

    refused = await client.post(ADD, _form(collections=["handbook", "nowhere"]))

    shown = _text(refused.content)
    assert "No documentation collection named 'nowhere': index it first, or leave it out." in shown
    assert not await models.ChannelSettings.objects.aexists()


async def test_a_stored_collection_no_longer_indexed_is_shown_and_refused_until_unticked(
    slack: FakeSlack,
) -> None:
    await DocumentFactory.acreate(collection="handbook")
    row = await ChannelSettingsFactory.acreate(collections=["handbook", "retired"])
    client = await alogged_in()
    change = f"{CHANNELS}{row.pk}/change/"

    page = await client.get(change)
    kept = await client.post(change, _form(collections=["handbook", "retired"]))
    unticked = await client.post(change, _form(collections=["handbook"]), follow=True)

    assert 'value="retired" id="id_collections_1" checked' in page.content.decode()
    assert "No documentation collection named 'retired'" in _text(kept.content)
    assert unticked.status_code == 200
    await row.arefresh_from_db()
    assert row.collections == ["handbook"]


async def test_instructions_longer_than_the_limit_are_refused(slack: FakeSlack) -> None:
    client = await alogged_in()

    refused = await client.post(ADD, _form(instructions="x" * 100_000))

    assert (
        f"Ensure this value has at most {models.CHANNEL_INSTRUCTIONS_LENGTH} characters "
        "(it has 100000)." in _text(refused.content)
    )
    assert not await models.ChannelSettings.objects.aexists()


@pytest.mark.parametrize(
    ("model", "reason"),
    [
        ("nosuchprovider:model", "Unknown model: nosuchprovider:model"),
        ("mistral:mistral-large-latest", "Please install the `mistral` package"),
    ],
)
async def test_a_model_pydantic_ai_cannot_build_is_refused_with_its_reason(
    slack: FakeSlack, model: str, reason: str
) -> None:
    client = await alogged_in()

    refused = await client.post(ADD, _form(model=model))

    assert reason in _text(refused.content)
    assert not await models.ChannelSettings.objects.aexists()


async def test_the_offline_model_is_accepted(slack: FakeSlack) -> None:
    client = await alogged_in()

    await client.post(ADD, _form(model="offline"))

    assert (await models.ChannelSettings.objects.aget()).model == "offline"


async def test_the_default_is_saved_with_an_empty_id_without_asking_slack(slack: FakeSlack) -> None:
    client = await alogged_in()

    saved = await client.post(ADD, _form(channel_id="", private_answers="on"), follow=True)

    row = await models.ChannelSettings.objects.aget()
    assert (row.channel_id, row.name, row.private_answers) == ("", "", True)
    assert "Default (other channels and direct messages)" in _text(saved.content)
    assert not slack.calls_to("conversations.info")


async def test_a_second_set_of_settings_for_one_channel_is_refused(slack: FakeSlack) -> None:
    await ChannelSettingsFactory.acreate()
    client = await alogged_in()

    refused = await client.post(ADD, _form())

    assert "There are settings for this channel already" in _text(refused.content)
    assert await models.ChannelSettings.objects.acount() == 1


async def test_settings_saved_in_the_admin_apply_to_the_next_question_at_once(
    slack: FakeSlack,
) -> None:
    await DocumentFactory.acreate(collection="handbook")
    held = await channel_settings.settings_for(channel_id="C0001")
    client = await alogged_in()

    await client.post(
        ADD,
        _form(
            answers=models.ChannelAnswers.EVERY_QUESTION,
            collections=["handbook"],
            instructions="Answer in French.",
        ),
    )
    applied = await channel_settings.settings_for(channel_id="C0001")

    assert held == records.ChannelSettings()
    assert applied.channel_id == "C0001"
    assert applied.answers == records.ChannelAnswers.EVERY_QUESTION
    assert (applied.collections, applied.instructions) == (("handbook",), "Answer in French.")


async def test_an_unchanged_id_is_not_asked_about_again_so_slack_being_down_does_not_stop_a_change(
    slack: FakeSlack,
) -> None:
    row = await ChannelSettingsFactory.acreate()
    slack.server_error("conversations.info", times=10)
    client = await alogged_in()

    await client.post(f"{CHANNELS}{row.pk}/change/", _form(enabled=""))

    await row.arefresh_from_db()
    assert (row.enabled, row.name) == (False, "general")
    assert not slack.calls_to("conversations.info")


async def test_without_slack_configured_the_id_is_kept_unchecked_with_a_warning(settings) -> None:
    settings.SLACK_BOT_TOKEN = ""
    client = await alogged_in()

    saved = await client.post(ADD, _form(channel_id="C0999"), follow=True)

    row = await models.ChannelSettings.objects.aget()
    assert (row.channel_id, row.name) == ("C0999", "")
    assert (
        "Slack is not configured (no SLACK_BOT_TOKEN), so channel C0999 could not be checked: "
        "make sure the id is right and the bot is in the channel." in _text(saved.content)
    )


async def test_when_slack_cannot_be_reached_the_channel_is_refused_until_tried_again(
    settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.SLACK_BOT_TOKEN = "xoxb-test-token"
    settings.SLACK_API_URL = f"http://127.0.0.1:{free_port()}/api/"
    # Nothing listens there: the client would try three more times, seconds apart.
    monkeypatch.setattr(web_client, "RETRIES", 0)
    client = await alogged_in()

    refused = await client.post(ADD, _form())

    assert (
        "Slack could not be reached (ClientConnectorError), so the channel could not be checked: "
        "try again in a moment." in _text(refused.content)
    )
    assert not await models.ChannelSettings.objects.aexists()


async def test_when_slack_refuses_to_say_its_reason_is_given(slack: FakeSlack) -> None:
    slack.refuse("conversations.info", "missing_scope")
    client = await alogged_in()

    refused = await client.post(ADD, _form())

    shown = _text(refused.content)
    assert "Slack refused to say (missing_scope), so the channel could not be checked" in shown
    assert not await models.ChannelSettings.objects.aexists()


async def test_refreshing_names_renames_channels_and_says_which_slack_no_longer_knows(
    slack: FakeSlack,
) -> None:
    slack.channels["C0PRIV"] = {"id": "C0PRIV", "name": "ops-private", "is_member": False}
    general = await ChannelSettingsFactory.acreate(channel_id="C0001", name="old-general")
    private = await ChannelSettingsFactory.acreate(channel_id="C0PRIV", name="ops")
    gone = await ChannelSettingsFactory.acreate(channel_id="C0GONE", name="archived")
    default = await ChannelSettingsFactory.acreate(channel_id="", name="")
    client = await alogged_in()

    done = await client.post(
        CHANNELS,
        {
            "action": "refresh_names",
            "_selected_action": [str(row.pk) for row in (general, private, gone, default)],
        },
        follow=True,
    )

    names = {
        row.channel_id: row.name async for row in models.ChannelSettings.objects.order_by("pk")
    }
    assert names == {"C0001": "general", "C0PRIV": "ops-private", "C0GONE": "archived", "": ""}
    assert len(slack.calls_to("conversations.info")) == 3
    assert "Read the names of 2 channels from Slack." in _text(done.content)
    assert "Kraken Bot is not in #ops-private: invite it first" in _text(done.content)
    assert "Slack no longer knows #archived (C0GONE)" in _text(done.content)
