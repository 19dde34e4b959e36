"""The dashboard page: how much the bot is asked, how well it answers, what it costs, and where
the documentation falls short."""

from collections.abc import Callable
from urllib.parse import urlencode

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils import timezone

from kraken_bot.admin import charts, dashboard_figures, formats

DAYS = 30


def dashboard_view(site: admin.AdminSite) -> Callable[[HttpRequest], TemplateResponse]:
    """The view, in the site's frame (its header, sidebar and staff-only login)."""

    @site.admin_view
    def dashboard(request: HttpRequest) -> TemplateResponse:
        if not request.user.has_perm("data.view_question"):
            raise PermissionDenied
        figures = dashboard_figures.dashboard_figures(now=timezone.now(), days=DAYS)
        asked = figures.asked or 1
        context = {
            **site.each_context(request),
            "title": f"Dashboard: the last {DAYS} days",
            "figures": figures,
            # The questions its figures count, for the links to the question list.
            "counted": urlencode(
                {"created_at__gte": dashboard_figures.start_of(figures.since).isoformat()}
            ),
            "p50": formats.duration(figures.p50_ms),
            "p95": formats.duration(figures.p95_ms),
            "total_cost": formats.money(figures.total_cost),
            "thumbs_up_ratio": (
                "–" if figures.thumbs_up_ratio is None else f"{figures.thumbs_up_ratio:.0%}"
            ),
            "questions_chart": charts.columns(
                figures.questions_per_day, title="Questions per day", show=_count
            ),
            "cost_chart": charts.columns(
                figures.cost_per_day, title="Cost per day", show=formats.money
            ),
            "category_chart": charts.bars(
                figures.categories,
                title="Share by category",
                show=lambda count: f"{count:.0f} ({count / asked:.0%})",
                scale_to=asked,
            ),
        }
        return TemplateResponse(request, "admin/kraken/dashboard.html", context)

    return dashboard


def _count(value: float) -> str:
    return f"{value:.0f}"
