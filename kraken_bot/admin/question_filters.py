"""The question list's own filters: by channel, by feedback, and answers given without any
source."""

from django.contrib import admin
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import HttpRequest

from data import models
from domain import records


def feedback_exists(score: int | None = None) -> Exists:
    """Whether a question has feedback (of the given score)."""
    feedback = models.Feedback.objects.filter(question=OuterRef("pk"))
    return Exists(feedback if score is None else feedback.filter(score=score))


def without_sources() -> Q:
    """An answer that cites no source: a gap in the documentation. A thread's summary cites none,
    and is none."""
    return Q(status=models.QuestionStatus.ANSWERED, sources=[]) & ~Q(category=records.SUMMARY)


class ChannelFilter(admin.SimpleListFilter):
    """The channels questions were asked in, by the name their settings keep where they have
    settings (ids alone are hard to tell apart), else by id."""

    title = "channel"
    parameter_name = "channel_id"

    def lookups(
        self, request: HttpRequest, model_admin: admin.ModelAdmin[models.Question]
    ) -> list[tuple[str, str]]:
        asked_in = (
            models.Question.objects.exclude(channel_id="")
            .order_by("channel_id")
            .values_list("channel_id", flat=True)
            .distinct()
        )
        named = {
            settings.channel_id: str(settings)
            for settings in models.ChannelSettings.objects.exclude(channel_id="")
        }
        choices = [(channel_id, named.get(channel_id, channel_id)) for channel_id in asked_in]
        return sorted(choices, key=lambda choice: (choice[1].casefold(), choice[0]))

    def queryset(
        self, request: HttpRequest, queryset: QuerySet[models.Question]
    ) -> QuerySet[models.Question]:
        if self.value():
            return queryset.filter(channel_id=self.value())
        return queryset


class FeedbackFilter(admin.SimpleListFilter):
    title = "feedback"
    parameter_name = "feedback"

    def lookups(
        self, request: HttpRequest, model_admin: admin.ModelAdmin[models.Question]
    ) -> list[tuple[str, str]]:
        return [("up", "has 👍"), ("down", "has 👎"), ("none", "none")]

    def queryset(
        self, request: HttpRequest, queryset: QuerySet[models.Question]
    ) -> QuerySet[models.Question]:
        match self.value():
            case "up":
                return queryset.filter(feedback_exists(models.FeedbackScore.UP))
            case "down":
                return queryset.filter(feedback_exists(models.FeedbackScore.DOWN))
            case "none":
                return queryset.filter(~feedback_exists())
        return queryset


class WithoutSourcesFilter(admin.SimpleListFilter):
    title = "sources"
    parameter_name = "without_sources"

    def lookups(
        self, request: HttpRequest, model_admin: admin.ModelAdmin[models.Question]
    ) -> list[tuple[str, str]]:
        return [("yes", "answered without sources")]

    def queryset(
        self, request: HttpRequest, queryset: QuerySet[models.Question]
    ) -> QuerySet[models.Question]:
        if self.value() == "yes":
            return queryset.filter(without_sources())
        return queryset
