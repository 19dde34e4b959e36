"""The dashboard's figures, each computed by the database (counts, sums, an ordered offset for
percentiles), so the page costs a fixed handful of queries however many questions there are."""

import datetime as dt
import math
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Max, Q, QuerySet, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from data import models
from kraken_bot.admin import charts, question_filters

GAPS_SHOWN = 10
NOT_IN_SLACK = "not asked in Slack"


@dataclass(frozen=True, kw_only=True)
class Gap:
    """A question the documentation could not answer well: asked `times` times, with 👎 or
    answered without sources; `latest_id` is its latest asking."""

    text: str
    times: int
    thumbs_down: int
    without_sources: int
    latest_id: int


@dataclass(frozen=True, kw_only=True)
class ChannelFigures:
    """How much was asked in one channel, and what people thought of the answers; `label` is the
    channel's name as its settings keep it, else its id."""

    channel_id: str
    label: str
    asked: int
    thumbs_up: int
    thumbs_down: int


@dataclass(frozen=True, kw_only=True)
class Figures:
    since: dt.date
    questions_per_day: list[charts.Point]
    cost_per_day: list[charts.Point]
    categories: list[charts.Point]
    asked: int
    answered: int
    by_fallback: int
    failed: int
    unanswered: int
    thumbs_up: int
    thumbs_down: int
    p50_ms: float | None
    p95_ms: float | None
    total_cost: Decimal
    gaps: list[Gap]
    channels: list[ChannelFigures]

    @property
    def thumbs_up_ratio(self) -> float | None:
        votes = self.thumbs_up + self.thumbs_down
        return self.thumbs_up / votes if votes else None


def dashboard_figures(*, now: dt.datetime, days: int = 30) -> Figures:
    """The figures of the last `days` days, today (in the site's time zone) included."""
    today = timezone.localdate(now)
    since = today - dt.timedelta(days=days - 1)
    recent = models.Question.objects.filter(created_at__gte=start_of(since))
    per_day = {
        row["day"]: row
        for row in recent.annotate(day=TruncDate("created_at"))
        .values("day")
        .annotate(asked=Count("id"), cost=Sum("cost"))
        .order_by("day")
    }
    statuses = {
        row["status"]: row["count"]
        for row in recent.values("status").annotate(count=Count("id")).order_by("status")
    }
    votes = models.Feedback.objects.filter(question__in=recent).aggregate(
        up=Count("id", filter=Q(score=models.FeedbackScore.UP)),
        down=Count("id", filter=Q(score=models.FeedbackScore.DOWN)),
    )
    dates = [since + dt.timedelta(days=offset) for offset in range(days)]
    costs = [per_day[day]["cost"] or Decimal(0) if day in per_day else Decimal(0) for day in dates]
    return Figures(
        since=since,
        questions_per_day=[
            charts.Point(label=_day(day), value=per_day[day]["asked"] if day in per_day else 0)
            for day in dates
        ],
        cost_per_day=[
            charts.Point(label=_day(day), value=float(cost))
            for day, cost in zip(dates, costs, strict=True)
        ],
        categories=[
            charts.Point(label=row["category"] or "(not classified)", value=row["count"])
            for row in recent.values("category")
            .annotate(count=Count("id"))
            .order_by("-count", "category")
        ],
        asked=sum(statuses.values()),
        answered=statuses.get(models.QuestionStatus.ANSWERED, 0),
        by_fallback=recent.filter(answered_by_fallback=True).count(),
        failed=statuses.get(models.QuestionStatus.FAILED, 0),
        unanswered=statuses.get(models.QuestionStatus.RECEIVED, 0)
        + statuses.get(models.QuestionStatus.ANSWERING, 0),
        thumbs_up=votes["up"],
        thumbs_down=votes["down"],
        p50_ms=_percentile(recent, 0.50),
        p95_ms=_percentile(recent, 0.95),
        total_cost=sum(costs, Decimal(0)),
        gaps=_documentation_gaps(recent),
        channels=_per_channel(recent),
    )


def start_of(day: dt.date) -> dt.datetime:
    """The first moment of the day, in the site's time zone."""
    return dt.datetime.combine(day, dt.time.min, tzinfo=timezone.get_current_timezone())


def _percentile(questions: QuerySet[models.Question], fraction: float) -> float | None:
    """The nearest-rank percentile of the total time, read at its offset in the sorted column."""
    timed = questions.filter(total_ms__isnull=False)
    count = timed.count()
    if not count:
        return None
    rank = max(math.ceil(fraction * count), 1)
    return timed.order_by("total_ms").values_list("total_ms", flat=True)[rank - 1]


def _documentation_gaps(questions: QuerySet[models.Question]) -> list[Gap]:
    """The questions most often asked with 👎 or answered without sources, most asked first."""
    down = question_filters.feedback_exists(models.FeedbackScore.DOWN)
    no_sources = question_filters.without_sources()
    rows = (
        questions.filter(Q(down) | no_sources)
        .values("text")
        .annotate(
            times=Count("id"),
            thumbs_down=Count("id", filter=Q(down)),
            without_sources=Count("id", filter=no_sources),
            latest_id=Max("id"),
            last_asked=Max("created_at"),
        )
        .order_by("-times", "-last_asked", "text")[:GAPS_SHOWN]
    )
    return [
        Gap(
            text=row["text"],
            times=row["times"],
            thumbs_down=row["thumbs_down"],
            without_sources=row["without_sources"],
            latest_id=row["latest_id"],
        )
        for row in rows
    ]


def _per_channel(questions: QuerySet[models.Question]) -> list[ChannelFigures]:
    """Each channel's questions, 👍 and 👎, the channel most asked in first."""
    rows = list(
        questions.values("channel_id")
        .annotate(
            asked=Count("id", distinct=True),
            thumbs_up=Count("feedback", filter=Q(feedback__score=models.FeedbackScore.UP)),
            thumbs_down=Count("feedback", filter=Q(feedback__score=models.FeedbackScore.DOWN)),
        )
        .order_by("-asked", "channel_id")
    )
    # A question without a channel was not asked in Slack: the settings with the empty id are
    # the default's, not its channel's.
    named = {
        settings.channel_id: str(settings)
        for settings in models.ChannelSettings.objects.filter(
            channel_id__in=[row["channel_id"] for row in rows if row["channel_id"]]
        )
    }
    return [
        ChannelFigures(
            channel_id=row["channel_id"],
            label=named.get(row["channel_id"], row["channel_id"]) or NOT_IN_SLACK,
            asked=row["asked"],
            thumbs_up=row["thumbs_up"],
            thumbs_down=row["thumbs_down"],
        )
        for row in rows
    ]


def _day(day: dt.date) -> str:
    return day.strftime("%d %b")
