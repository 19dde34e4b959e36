"""`manage.py recover_questions`: answer the questions a dead process left unanswered, once."""

from typing import Any

from django.conf import settings
from django.core.management.base import CommandError, CommandParser
from django.utils import timezone

from application import recover_questions
from kraken_bot.management.base import AsyncCommand
from slack import app as slack_app
from slack import recovery


class Command(AsyncCommand):
    help = (
        "Answer, in their Slack threads, the questions whose receiving process has been silent "
        "for --older-than seconds. Safe to run in several processes at once."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--older-than",
            type=float,
            default=settings.RECOVERY_AFTER_S,
            help="Seconds since the receiver's claim (default: RECOVERY_AFTER_S).",
        )

    async def ahandle(self, *args: Any, **options: Any) -> None:
        if slack_app.missing_settings():
            raise CommandError(slack_app.not_configured_message())
        if options["older_than"] < 0:
            raise CommandError("--older-than must be zero or more seconds")
        recovered = await recover_questions.recover_questions(
            older_than_s=options["older_than"], clock=timezone.now, redeliver=recovery.redeliver
        )
        self.stdout.write(
            f"Recovered {recovered.claimed} unanswered questions ({recovered.failed} failed)."
        )
