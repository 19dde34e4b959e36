"""Stored questions in the admin: a fast list with filters and feedback counts, and a read-only
page per question with its answer, sources, timings, cost, error, feedback and the channel
settings it was answered with."""

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from data import models
from domain import records
from kraken_bot.admin import (
    charts,
    counts,
    formats,
    question_actions,
    question_export,
    question_filters,
)
from kraken_bot.admin.read_only import RecordAdmin

SHORT_TEXT = 80
STEPS = ("status", "store", "classify", "answer", "reply")


def _with_feedback_counts(queryset: QuerySet[models.Question]) -> QuerySet[models.Question]:
    """Each question with how many 👍 and 👎 it got."""
    return queryset.annotate(
        thumbs_up=counts.related_count(
            models.Feedback.objects.filter(score=models.FeedbackScore.UP),
            pointing_through="question",
        ),
        thumbs_down=counts.related_count(
            models.Feedback.objects.filter(score=models.FeedbackScore.DOWN),
            pointing_through="question",
        ),
    )


class FeedbackInline(RecordAdmin, admin.TabularInline[models.Feedback, models.Question]):
    model = models.Feedback
    extra = 0
    can_delete = False
    fields = ("user_id", "score", "comment", "updated_at")
    readonly_fields = fields
    ordering = ("created_at", "id")


@admin.register(models.Question)
class QuestionAdmin(RecordAdmin, admin.ModelAdmin[models.Question]):
    list_display = (
        "asked_at",
        "short_text",
        "channel",
        "user",
        "category",
        "status_badge",
        "feedback_counts",
        "model_used",
        "total_time",
        "cost_display",
    )
    list_display_links = ("asked_at", "short_text")
    list_filter = (
        "status",
        "answered_by_fallback",
        "category",
        "source",
        question_filters.ChannelFilter,
        "answered_privately",
        question_filters.FeedbackFilter,
        "created_at",
        question_filters.WithoutSourcesFilter,
    )
    search_fields = ("text", "answer")
    ordering = ("-created_at", "-id")
    date_hierarchy = "created_at"
    list_per_page = 100
    show_full_result_count = False
    actions = (
        question_export.export_as_csv,
        question_actions.answer_again,
        question_actions.answer_again_and_post,
    )
    inlines = (FeedbackInline,)
    fieldsets = (
        (None, {"fields": ("text", "status_badge", "category", "created_at", "answered_at")}),
        ("Answer, as it was posted", {"fields": ("posted_answer", "source_links")}),
        ("Timings", {"fields": ("timing_chart",)}),
        ("Usage", {"fields": ("model_name", "input_tokens", "output_tokens", "cost_display")}),
        ("Error (the model's, when the fallback answered)", {"fields": ("error",)}),
        (
            "Where it was asked",
            {"fields": ("source", "slack_thread", "team_id", "channel_id", "user_id", "event_id")},
        ),
        (
            "Channel settings it was answered with",
            {
                "fields": (
                    "settings_used",
                    "collections_searched",
                    "answered_privately",
                    "shared_at",
                )
            },
        ),
    )
    readonly_fields = (
        "text",
        "status_badge",
        "category",
        "created_at",
        "answered_at",
        "posted_answer",
        "source_links",
        "timing_chart",
        "model_name",
        "input_tokens",
        "output_tokens",
        "cost_display",
        "error",
        "source",
        "slack_thread",
        "team_id",
        "channel_id",
        "user_id",
        "event_id",
        "settings_used",
        "collections_searched",
        "answered_privately",
        "shared_at",
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[models.Question]:
        return _with_feedback_counts(super().get_queryset(request))

    def has_answer_permission(self, request: HttpRequest) -> bool:
        """Answering again rewrites the stored answer: for those who may change questions."""
        return request.user.has_perm("data.change_question")

    @admin.display(description="asked", ordering="created_at")
    def asked_at(self, question: models.Question) -> SafeString:
        asked = timezone.localtime(question.created_at)
        return format_html('<span style="white-space:nowrap">{}</span>', f"{asked:%Y-%m-%d %H:%M}")

    @admin.display(description="question")
    def short_text(self, question: models.Question) -> SafeString:
        text = question.text
        short = text if len(text) <= SHORT_TEXT else f"{text[: SHORT_TEXT - 1]}…"
        return format_html('<span style="display:inline-block;min-width:18em">{}</span>', short)

    @admin.display(description="channel", ordering="channel_id")
    def channel(self, question: models.Question) -> str:
        return question.channel_id

    @admin.display(description="user", ordering="user_id")
    def user(self, question: models.Question) -> str:
        return question.user_id

    @admin.display(description="model", ordering="model_name")
    def model_used(self, question: models.Question) -> str:
        return question.model_name

    @admin.display(description="status", ordering="status")
    def status_badge(self, question: models.Question) -> SafeString:
        return formats.status_badge(question.status, by_fallback=question.answered_by_fallback)

    @admin.display(description="feedback")
    def feedback_counts(self, question: models.Question) -> SafeString:
        up, down = getattr(question, "thumbs_up", 0), getattr(question, "thumbs_down", 0)
        counts = f"👍 {up} · 👎 {down}" if up or down else "–"
        return format_html('<span style="white-space:nowrap">{}</span>', counts)

    @admin.display(description="total time", ordering="total_ms")
    def total_time(self, question: models.Question) -> str:
        return formats.duration(question.total_ms)

    @admin.display(description="cost", ordering="cost")
    def cost_display(self, question: models.Question) -> str:
        return formats.money(question.cost)

    @admin.display(description="answer")
    def posted_answer(self, question: models.Question) -> SafeString:
        return format_html('<div style="white-space:pre-wrap">{}</div>', question.answer or "–")

    @admin.display(description="sources")
    def source_links(self, question: models.Question) -> SafeString:
        citations = [records.Citation(**source) for source in question.sources]
        if not citations:
            return format_html("{}", "none")
        return format_html(
            "<ol>{}</ol>",
            format_html_join(
                "",
                '<li><a href="{}" rel="noreferrer">{}</a></li>',
                ((citation.url or "#", citation.place) for citation in citations),
            ),
        )

    @admin.display(description="per step")
    def timing_chart(self, question: models.Question) -> SafeString:
        steps = [
            charts.Point(label=step, value=float(question.timings[step]))
            for step in STEPS
            if isinstance(question.timings.get(step), int | float)
        ]
        if not steps:
            return format_html("{}", "not timed")
        chart = charts.bars(
            steps, title="Time per step", show=formats.duration, scale_to=question.total_ms
        )
        return format_html(
            "{}<p>The steps run at once: the total, {}, is the slowest one's time plus the reply."
            "</p>",
            chart,
            formats.duration(question.total_ms),
        )

    @admin.display(description="Slack thread")
    def slack_thread(self, question: models.Question) -> SafeString:
        thread_ts = question.thread_ts or question.message_ts
        if not (question.team_id and question.channel_id and thread_ts):
            return format_html("{}", "not asked in Slack")
        return format_html(
            '<a href="https://app.slack.com/client/{}/{}/thread/{}-{}" rel="noreferrer">'
            "Open the thread in Slack</a>",
            question.team_id,
            question.channel_id,
            question.channel_id,
            thread_ts,
        )

    @admin.display(description="settings")
    def settings_used(self, question: models.Question) -> str:
        """Whose settings applied: a channel's own, by its name where they are still kept, or the
        default's."""
        channel_id = question.settings_channel_id
        kept = models.ChannelSettings.objects.filter(channel_id=channel_id).first()
        return str(kept or models.ChannelSettings(channel_id=channel_id))

    @admin.display(description="collections searched")
    def collections_searched(self, question: models.Question) -> str:
        return ", ".join(question.collections) or "all"
