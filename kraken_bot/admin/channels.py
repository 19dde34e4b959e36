"""Per-channel settings in the admin: whether the bot answers in a channel, on mentions or every
question, from which collections, privately, with which instructions and model. The row with an
empty channel id is the default, for channels without settings of their own and for direct
messages.

The form refuses what would otherwise fail later, when someone asks in the channel: an id that is
not a channel's, a channel Slack does not know or the bot is not in (Slack is asked, through
`slack.channel_names`, and the channel's name kept), a collection that was never indexed, a model
pydantic-ai cannot build. An unchanged id is not asked about again, so a channel's settings can
still be changed (the bot turned off there) while Slack is down; "Refresh names from Slack" reads
the names again. Saving makes the bot read the settings afresh (a signal, in `kraken_bot.apps`).
"""

import re
from typing import TYPE_CHECKING, Any, ClassVar, cast

from asgiref.sync import async_to_sync
from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.defaultfilters import pluralize

from data import models

if TYPE_CHECKING:
    from slack import channel_names

# Slack's ids of channels (C…) and of older private ones (G…); a direct message (D…) takes the
# default's settings.
CHANNEL_ID = re.compile(r"[CG][A-Z0-9]{2,}")
NOT_CONFIGURED = "Slack is not configured (no SLACK_BOT_TOKEN)"


class CollectionsField(forms.MultipleChoiceField):
    """Collections ticked on the form. Any name passes the field: the form says which are not
    indexed, and how to go on."""

    def valid_value(self, value: Any) -> bool:
        return True


class ChannelSettingsForm(forms.ModelForm[models.ChannelSettings]):
    collections = CollectionsField(
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="The documentation collections answers come from. None ticked: all of them.",
    )

    class Meta:
        model = models.ChannelSettings
        fields = (
            "channel_id",
            "enabled",
            "when_disabled",
            "answers",
            "private_answers",
            "collections",
            "instructions",
            "model",
        )
        widgets: ClassVar[dict[str, forms.Widget]] = {
            "instructions": forms.Textarea(attrs={"rows": 5})
        }
        labels: ClassVar[dict[str, str]] = {"channel_id": "Channel id"}
        help_texts: ClassVar[dict[str, str]] = {
            "channel_id": "The channel's id (C0123ABCD), at the bottom of the channel's details "
            "in Slack. Empty: the default, for channels without settings of their own and for "
            "direct messages.",
            "enabled": "Off, the bot does not answer here.",
            "when_disabled": "What someone who asks here hears while the bot is off.",
            "private_answers": "Only the asker sees the answer, with a button to show it in the "
            "thread.",
            "instructions": "Added to the answerer's own instructions here, e.g. "
            "“Answer in French”.",
            "model": "A pydantic-ai model string (openai:gpt-5, anthropic:claude-sonnet-4-5, "
            "offline). Empty: LLM_MODEL.",
        }
        error_messages: ClassVar[dict[str, dict[str, str]]] = {
            "channel_id": {
                "unique": "There are settings for this channel already (for an empty id, the "
                "default's): change those."
            }
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Kept without asking Slack, which is not configured: the page says so once saved.
        self.unchecked = False
        self._indexed = set(
            models.Document.objects.order_by().values_list("collection", flat=True).distinct()
        )
        # A stored collection no longer indexed is listed too, so that it can be unticked.
        listed = sorted({*self._indexed, *self.instance.collections})
        field = cast(CollectionsField, self.fields["collections"])
        field.choices = [(name, name) for name in listed]

    def clean_channel_id(self) -> str:
        channel_id = str(self.cleaned_data["channel_id"])
        if "channel_id" not in self.changed_data:
            return channel_id
        if channel_id and not CHANNEL_ID.fullmatch(channel_id):
            raise forms.ValidationError(
                f"{channel_id} is not a Slack channel id: one looks like C0123ABCD, and is at the "
                "bottom of the channel's details in Slack (click the channel's name)."
            )
        self.instance.name = self._name_in_slack(channel_id) if channel_id else ""
        return channel_id

    def clean_collections(self) -> list[str]:
        chosen = [str(name) for name in self.cleaned_data["collections"]]
        unknown = [name for name in chosen if name not in self._indexed]
        if unknown:
            raise forms.ValidationError(
                [
                    f"No documentation collection named '{name}': index it first, or leave it out."
                    for name in unknown
                ]
            )
        return chosen

    def clean_model(self) -> str:
        name = str(self.cleaned_data["model"])
        if not name:
            return name
        # pydantic-ai takes seconds to import: only this form's checks pay for it.
        from agents import models as llm_models

        try:
            llm_models.check_model_name(name=name)
        except llm_models.InvalidModelConfiguration as error:
            raise forms.ValidationError(str(error)) from None
        return name

    def _name_in_slack(self, channel_id: str) -> str:
        """The channel's name, once Slack says the bot is in it; none when Slack is not
        configured, and the id is kept unchecked."""
        if not _slack_configured():
            self.unchecked = True
            return ""
        from slack import channel_names

        try:
            channel = _read_channel(channel_id)
        except channel_names.ChannelNotFound:
            raise forms.ValidationError(
                f"Slack has no channel {channel_id} in this workspace (or it is private and the "
                "bot is not in it)."
            ) from None
        except channel_names.UnableToAskSlack as error:
            raise forms.ValidationError(
                f"{error}, so the channel could not be checked: try again in a moment."
            ) from None
        if not channel.bot_is_member:
            raise forms.ValidationError(_not_a_member(channel.name))
        return channel.name


def _slack_configured() -> bool:
    # Imported here, not with the admin: mypy's Django plugin loads the admin with site-packages
    # first on the path, where slack_sdk's deprecated `slack` would be found.
    from slack import app

    return not app.missing_settings(("SLACK_BOT_TOKEN",))


def _read_channel(channel_id: str) -> "channel_names.SlackChannel":
    """What Slack says of the channel, asked from the admin's synchronous view.

    Raises: channel_names.ChannelNotFound, channel_names.UnableToAskSlack.
    """
    from slack import channel_names

    return async_to_sync(channel_names.read_channel)(channel_id=channel_id)


def _not_a_member(name: str) -> str:
    return f"Kraken Bot is not in #{name}: invite it first (/invite @Kraken)."


@admin.action(description="Refresh names from Slack", permissions=["change"])
def refresh_names(
    modeladmin: admin.ModelAdmin[models.ChannelSettings],
    request: HttpRequest,
    queryset: QuerySet[models.ChannelSettings],
) -> None:
    """Read each selected channel's name again (channels get renamed), and say which channels
    Slack no longer knows or the bot has left."""
    if not _slack_configured():
        modeladmin.message_user(request, f"{NOT_CONFIGURED}: no names to read.", messages.ERROR)
        return
    from slack import channel_names

    refreshed = 0
    for row in queryset.exclude(channel_id="").order_by("channel_id"):
        try:
            channel = _read_channel(row.channel_id)
        except channel_names.ChannelNotFound:
            modeladmin.message_user(
                request,
                f"Slack no longer knows {row} (or it is private and the bot is not in it): "
                "delete its settings, or invite the bot.",
                messages.WARNING,
            )
            continue
        except channel_names.UnableToAskSlack as error:
            modeladmin.message_user(
                request, f"{error}: no more names were read. Try again in a moment.", messages.ERROR
            )
            break
        row.name = channel.name
        row.save(update_fields=["name"])
        refreshed += 1
        if not channel.bot_is_member:
            modeladmin.message_user(request, _not_a_member(channel.name), messages.WARNING)
    if refreshed:
        modeladmin.message_user(
            request,
            f"Read the names of {refreshed} channel{pluralize(refreshed)} from Slack.",
            messages.SUCCESS,
        )


@admin.register(models.ChannelSettings)
class ChannelSettingsAdmin(admin.ModelAdmin[models.ChannelSettings]):
    form = ChannelSettingsForm
    list_display = (
        "channel",
        "enabled",
        "answers",
        "collections_searched",
        "private_answers",
        "model_used",
        "updated_at",
    )
    search_fields = ("channel_id", "name")
    ordering = ("channel_id",)
    actions = (refresh_names,)
    fieldsets = (
        (None, {"fields": ("channel_id", "name_in_slack")}),
        ("When it answers", {"fields": ("enabled", "when_disabled", "answers", "private_answers")}),
        ("How it answers", {"fields": ("collections", "instructions", "model")}),
    )
    readonly_fields = ("name_in_slack",)

    def save_model(
        self,
        request: HttpRequest,
        obj: models.ChannelSettings,
        form: Any,
        change: bool,
    ) -> None:
        super().save_model(request, obj, form, change)
        if isinstance(form, ChannelSettingsForm) and form.unchecked:
            messages.warning(
                request,
                f"{NOT_CONFIGURED}, so channel {obj.channel_id} could not be checked: make sure "
                "the id is right and the bot is in the channel.",
            )

    @admin.display(description="channel", ordering="channel_id")
    def channel(self, settings: models.ChannelSettings) -> str:
        return str(settings)

    @admin.display(description="collections")
    def collections_searched(self, settings: models.ChannelSettings) -> str:
        return ", ".join(settings.collections) or "all"

    @admin.display(description="model", ordering="model")
    def model_used(self, settings: models.ChannelSettings) -> str:
        return settings.model or "LLM_MODEL"

    @admin.display(description="name in Slack")
    def name_in_slack(self, settings: models.ChannelSettings) -> str:
        return f"#{settings.name}" if settings.name else "–"
