"""Feedback in the admin: every 👍 and 👎 with its comment, read-only."""

from django.contrib import admin

from data import models
from kraken_bot.admin.read_only import RecordAdmin


@admin.register(models.Feedback)
class FeedbackAdmin(RecordAdmin, admin.ModelAdmin[models.Feedback]):
    list_display = ("question", "user_id", "score", "comment", "updated_at")
    list_filter = ("score",)
    search_fields = ("comment",)
    ordering = ("-updated_at", "-id")
    list_select_related = ("question",)
    readonly_fields = ("question", "user_id", "score", "comment", "created_at", "updated_at")
