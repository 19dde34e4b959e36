"""Records the admin shows but never edits: what Slack sent, what the bot answered, what git said.
Superusers may still delete them."""

from typing import Any

from django.http import HttpRequest


class RecordAdmin:
    """Mixed into a `ModelAdmin` whose rows are written by the bot, not by forms."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
