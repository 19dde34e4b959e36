"""Documentation sources in the admin: each source's settings, and how its last sync went (or how
far the running one has got). "Sync now" queues a sync as a job (`kraken_bot.tasks.sync_source`):
a sync takes longer than a request should, and never runs twice at once for one source.

Secrets are never entered here: a source names the environment variables that hold them."""

import re
from typing import Any

from asgiref.sync import async_to_sync
from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.defaultfilters import pluralize
from django.utils.html import format_html, format_html_join

from data import models
from domain import records
from kraken_bot import sources, tasks

# An environment variable's name, as a shell writes it.
VARIABLE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
STATE = (
    "outcome",
    "progress",
    "sync_started_at",
    "sync_finished_at",
    "added",
    "updated",
    "removed",
    "unchanged",
    "skipped",
    "skipped_list",
    "last_error",
)


class SourceForm(forms.ModelForm[models.Source]):
    class Meta:
        model = models.Source
        fields = (
            "name",
            "kind",
            "collection",
            "location",
            "options",
            "credentials",
            "every_minutes",
        )
        help_texts = {  # noqa: RUF012
            "location": "The folder on the server, the repository (URL or path), the start page "
            "or sitemap, the Confluence site (https://example.atlassian.net/wiki), or the Notion "
            "page or database id.",
            "options": 'What the kind needs besides, e.g. {"branch": "main", "base_url": '
            '"https://github.com/org/repo/blob/main", "include": ["docs/*"], "exclude": []}; '
            'Confluence: {"space": "ENG"}; Notion: {"root_kind": "database"}.',
            "credentials": "The environment variables holding the secrets, never the secrets: "
            'Confluence {"email": "CONFLUENCE_EMAIL", "token": "CONFLUENCE_TOKEN"}, Notion '
            '{"token": "NOTION_TOKEN"}.',
            "every_minutes": "Sync on this schedule; empty: only when asked.",
        }

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        kind = cleaned.get("kind")
        if not kind:
            return cleaned
        options = cleaned.get("options")
        if not isinstance(options, dict):
            self.add_error("options", "Give the options as a JSON object, {} for none.")
            return cleaned
        for name in sources.REQUIRED_OPTIONS.get(records.SourceKind(kind), ()):
            if not options.get(name):
                self.add_error("options", f'A {kind} source needs "{name}" in its options.')
        self._check_credentials(records.SourceKind(kind), cleaned.get("credentials"))
        return cleaned

    def _check_credentials(self, kind: records.SourceKind, credentials: Any) -> None:
        if not isinstance(credentials, dict):
            self.add_error("credentials", "Give the credentials as a JSON object, {} for none.")
            return
        for role in sources.CREDENTIALS.get(kind, ()):
            variable = credentials.get(role)
            if not isinstance(variable, str) or not VARIABLE.fullmatch(variable):
                self.add_error(
                    "credentials",
                    f"A {kind} source needs the name of the variable holding its {role}, e.g. "
                    f'"{role}": "{kind.upper()}_{role.upper()}" (never the secret itself).',
                )


@admin.action(description="Sync now", permissions=["change"])
def sync_now(
    modeladmin: admin.ModelAdmin[models.Source],
    request: HttpRequest,
    queryset: QuerySet[models.Source],
) -> None:
    queued = [source for source in queryset.order_by("name") if _queue(source.pk)]
    waiting = queryset.count() - len(queued)
    if queued:
        modeladmin.message_user(
            request,
            f"Queued a sync of {len(queued)} source{pluralize(len(queued))}: this page shows how "
            "far each has got, and how it ended.",
            messages.SUCCESS,
        )
    if waiting:
        modeladmin.message_user(
            request,
            f"{waiting} source{pluralize(waiting)} already had a sync waiting to run.",
            messages.WARNING,
        )


def _queue(source_id: int) -> bool:
    return bool(async_to_sync(tasks.defer_sync)(source_id))


@admin.register(models.Source)
class SourceAdmin(admin.ModelAdmin[models.Source]):
    form = SourceForm
    list_display = (
        "name",
        "kind",
        "collection",
        "location",
        "every_minutes",
        "outcome",
        "progress",
        "sync_finished_at",
        "counts",
        "last_error",
    )
    list_filter = ("kind", "outcome", "collection")
    search_fields = ("name", "location", "collection")
    ordering = ("name",)
    actions = (sync_now,)
    readonly_fields = STATE
    fieldsets = (
        (
            None,
            {"fields": ("name", "kind", "collection", "location", "options", "credentials")},
        ),
        ("Schedule", {"fields": ("every_minutes",)}),
        ("Last sync", {"fields": STATE}),
    )

    @admin.display(description="added, updated, removed, unchanged, skipped")
    def counts(self, source: models.Source) -> str:
        if source.outcome == models.SyncOutcome.NEVER:
            return "-"
        return (
            f"{source.added}, {source.updated}, {source.removed}, {source.unchanged}, "
            f"{source.skipped}"
        )

    @admin.display(description="skipped documents")
    def skipped_list(self, source: models.Source) -> str:
        if not source.skipped_documents:
            return "-"
        return format_html(
            "<ul>{}</ul>",
            format_html_join(
                "",
                "<li>{}: {}</li>",
                ((item["path"], item["reason"]) for item in source.skipped_documents),
            ),
        )
