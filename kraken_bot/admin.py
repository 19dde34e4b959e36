"""The admin site's registrations: stored questions and the rest of the data, staff only.

The admin reads models as Django's admin does; it is the one place besides `domain` that imports
`data.models`. Data that came from Slack is shown read-only.
"""

from django.contrib import admin

from data import models

admin.site.site_header = "Kraken Bot"
admin.site.site_title = "Kraken Bot admin"
admin.site.index_title = "Questions, documents and release notes"


class FeedbackInline(admin.TabularInline[models.Feedback, models.Question]):
    model = models.Feedback
    extra = 0
    can_delete = False
    fields = ("user_id", "score", "comment", "updated_at")
    readonly_fields = fields


@admin.register(models.Question)
class QuestionAdmin(admin.ModelAdmin[models.Question]):
    list_display = ("id", "created_at", "short_text", "source", "channel_id", "category", "status")
    list_filter = ("status", "category", "source")
    search_fields = ("text", "answer")
    ordering = ("-created_at", "-id")
    date_hierarchy = "created_at"
    show_full_result_count = False
    readonly_fields = (
        "source",
        "team_id",
        "channel_id",
        "user_id",
        "thread_ts",
        "message_ts",
        "event_id",
        "text",
        "category",
        "status",
        "answer",
        "sources",
        "model_name",
        "input_tokens",
        "output_tokens",
        "cost",
        "timings",
        "error",
        "reply_ts",
        "created_at",
        "answered_at",
    )
    inlines = (FeedbackInline,)

    @admin.display(description="question")
    def short_text(self, question: models.Question) -> str:
        return question.text if len(question.text) <= 80 else f"{question.text[:79]}…"


@admin.register(models.InboundEvent)
class InboundEventAdmin(admin.ModelAdmin[models.InboundEvent]):
    list_display = ("event_id", "event_type", "team_id", "received_at", "question")
    list_filter = ("event_type",)
    search_fields = ("event_id",)
    ordering = ("-received_at", "-id")
    list_select_related = ("question",)
    readonly_fields = ("event_id", "team_id", "event_type", "payload", "received_at", "question")


@admin.register(models.Feedback)
class FeedbackAdmin(admin.ModelAdmin[models.Feedback]):
    list_display = ("question", "user_id", "score", "updated_at")
    list_filter = ("score",)
    ordering = ("-updated_at", "-id")
    list_select_related = ("question",)


@admin.register(models.Document)
class DocumentAdmin(admin.ModelAdmin[models.Document]):
    list_display = ("path", "collection", "title", "indexed_at")
    list_filter = ("collection",)
    search_fields = ("path", "title")
    ordering = ("collection", "path")


@admin.register(models.Passage)
class PassageAdmin(admin.ModelAdmin[models.Passage]):
    list_display = ("document", "position", "heading", "indexed_at")
    list_filter = ("document__collection",)
    search_fields = ("heading", "text")
    ordering = ("document_id", "position")
    list_select_related = ("document",)


@admin.register(models.ReleaseNote)
class ReleaseNoteAdmin(admin.ModelAdmin[models.ReleaseNote]):
    list_display = (
        "repository",
        "from_ref",
        "to_ref",
        "commit_count",
        "model_name",
        "posted_channel",
        "created_at",
    )
    list_filter = ("model_name", "posted_channel")
    search_fields = ("repository", "from_ref", "to_ref", "to_sha")
    ordering = ("-created_at", "-id")
