"""The inbox in the admin: the Slack events received, as they were recorded."""

from django.contrib import admin

from data import models
from kraken_bot.admin.read_only import RecordAdmin


@admin.register(models.InboundEvent)
class InboundEventAdmin(RecordAdmin, admin.ModelAdmin[models.InboundEvent]):
    list_display = ("event_id", "event_type", "team_id", "received_at", "question")
    list_filter = ("event_type",)
    search_fields = ("event_id",)
    ordering = ("-received_at", "-id")
    list_select_related = ("question",)
    readonly_fields = ("event_id", "team_id", "event_type", "payload", "received_at", "question")
