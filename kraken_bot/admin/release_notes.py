"""Release notes in the admin: the list of ranges written, and each note rendered from Markdown."""

from django.contrib import admin
from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt

from data import models
from kraken_bot.admin.read_only import RecordAdmin

# CommonMark with raw HTML turned off: markdown-it escapes any HTML in the notes and refuses
# `javascript:` links, so what commit messages say cannot run in the admin.
_MARKDOWN = MarkdownIt("commonmark", {"html": False})


@admin.register(models.ReleaseNote)
class ReleaseNoteAdmin(RecordAdmin, admin.ModelAdmin[models.ReleaseNote]):
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
    fields = (
        "rendered",
        "repository",
        ("from_ref", "from_sha"),
        ("to_ref", "to_sha"),
        "commit_count",
        "model_name",
        "warnings",
        "llm_error",
        ("posted_channel", "posted_ts"),
        "created_at",
        "markdown",
    )
    readonly_fields = (
        "rendered",
        "repository",
        "from_ref",
        "from_sha",
        "to_ref",
        "to_sha",
        "commit_count",
        "model_name",
        "warnings",
        "llm_error",
        "posted_channel",
        "posted_ts",
        "created_at",
        "markdown",
    )

    @admin.display(description="release notes")
    def rendered(self, note: models.ReleaseNote) -> SafeString:
        html: str = _MARKDOWN.render(note.markdown)
        return mark_safe(html)  # noqa: S308 - markdown-it escaped any HTML in the notes
