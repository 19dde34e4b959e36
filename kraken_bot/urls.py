"""URL routes of the service."""

from django.contrib import admin
from django.urls import path
from django.views.generic import RedirectView

from kraken_bot import health, metrics
from kraken_bot.admin import dashboard
from slack import events_view

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="admin:index")),
    path("admin/dashboard/", dashboard.dashboard_view(admin.site), name="admin-dashboard"),
    path("admin/", admin.site.urls),
    path("healthz", health.healthz, name="healthz"),
    path("metrics", metrics.metrics, name="metrics"),
    path("slack/events", events_view.slack_events, name="slack-events"),
]
