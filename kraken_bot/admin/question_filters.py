"""The question list's own filters: by feedback, and answers given without any source."""

from typing import Any

from django.contrib import admin
from django.db.models import Exists, OuterRef, QuerySet
from django.http import HttpRequest

from data import models


def feedback_exists(score: int | None = None) -> Exists:
    """Whether a question has feedback (of the given score)."""
    feedback = models.Feedback.objects.filter(question=OuterRef("pk"))
    return Exists(feedback if score is None else feedback.filter(score=score))


def without_sources() -> dict[str, object]:
    """The lookups of an answer that cites no source: a gap in the documentation."""
    return {"status": models.QuestionStatus.ANSWERED, "sources": []}


class ChannelFilter(admin.AllValuesFieldListFilter):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.title = "channel"


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
            return queryset.filter(**without_sources())
        return queryset
