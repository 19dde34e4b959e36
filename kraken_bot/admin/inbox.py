"""The inbox in the admin: the Slack events received, as they were recorded."""

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from data import models
from kraken_bot.admin.read_only import RecordAdmin


@admin.register(models.InboundEvent)
class InboundEventAdmin(RecordAdmin, admin.ModelAdmin[models.InboundEvent]):
    list_display = ("event_id", "event_type", "team_id", "received_at", "question")
    list_filter = ("event_type",)
    search_fields = ("event_id",)
    ordering = ("-received_at", "-id")
    readonly_fields = ("event_id", "team_id", "event_type", "payload", "received_at", "question")

    def get_queryset(self, request: HttpRequest) -> QuerySet[models.InboundEvent]:
        return (
            super()
            .get_queryset(request)
            .annotate(
                question_pk=models.field_of_its_question("pk"),
                question_text=models.field_of_its_question("text"),
            )
        )

    @admin.display(description="question")
    def question(self, event: models.InboundEvent) -> str:
        """The question stored for the event, a link to it."""
        pk = getattr(event, "question_pk", None)
        if pk is None:
            return self.get_empty_value_display()
        return format_html(
            '<a href="{}">Question {}: {}</a>',
            reverse("admin:data_question_change", args=[pk]),
            pk,
            str(getattr(event, "question_text", ""))[:60],
        )
