"""`manage.py ask "question"`: ask Kraken Bot from a terminal, as staff do in Slack."""

import dataclasses
import json
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone

from application import channel_settings, respond_to_user
from domain import records
from kraken_bot.console import ConsolePort
from kraken_bot.management.base import AsyncCommand


class Command(AsyncCommand):
    help = "Answer a question from the documentation, as the bot would in Slack, and store it."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("question", help="The question, in quotes.")
        parser.add_argument(
            "--json", action="store_true", help="Print the stored question and answer as JSON."
        )
        parser.add_argument(
            "--channel",
            default="",
            help="Answer with this Slack channel's settings (its collections, instructions and "
            "model), as the bot would there; without it, the default settings.",
        )

    async def ahandle(self, *args: Any, **options: Any) -> None:
        text = options["question"].strip()
        if not text:
            raise CommandError('Ask a question: manage.py ask "how do I rotate the password?"')
        # The answer arrives in pieces: the console port writes whole lines itself.
        self.stdout.ending = self.stderr.ending = ""
        chat = ConsolePort(out=self.stdout, err=self.stderr, show_answer=not options["json"])
        question = await respond_to_user.respond_to_user(
            question=respond_to_user.IncomingQuestion(
                text=text,
                source=records.QuestionSource.CONSOLE,
                settings=await channel_settings.settings_for(channel_id=options["channel"]),
            ),
            chat=chat,
            now=timezone.now(),
        )
        if options["json"]:
            self.stdout.write(
                json.dumps(dataclasses.asdict(question), cls=DjangoJSONEncoder, indent=2) + "\n"
            )
        if question.status is records.QuestionStatus.FAILED:
            raise CommandError(f"Question {question.id} failed: {question.error}")
        if question.answered_by_fallback:
            self.stderr.write(f"Answered by quoting the documentation: {question.error}\n")
