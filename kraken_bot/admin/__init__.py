"""The admin site, where the people who own the bot review it: questions with their answers,
feedback, costs and timings, a dashboard, the documentation sources and what they indexed, the
release notes, and the settings of each channel.

The admin reads models as Django's admin does; it is the one place besides `domain` that imports
`data.models`. Data that came from Slack is shown read-only. Importing this package (Django's admin
autodiscovery does) registers every model with Django's default site; the dashboard is routed in
`kraken_bot.urls`.
"""

from django.contrib import admin

from kraken_bot.admin import (
    channels,
    documents,
    feedback,
    inbox,
    jobs,
    questions,
    release_notes,
    sources,
)

__all__ = [
    "channels",
    "documents",
    "feedback",
    "inbox",
    "jobs",
    "questions",
    "release_notes",
    "sources",
]

admin.site.site_header = "Kraken Bot"
admin.site.site_title = "Kraken Bot admin"
admin.site.index_title = "Questions, documents and release notes"
# The question list is wide; the index and the breadcrumbs already lead everywhere.
admin.site.enable_nav_sidebar = False
