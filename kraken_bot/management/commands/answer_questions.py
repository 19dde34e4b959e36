"""`manage.py answer_questions`: the answer process a serving process starts; not run by hand."""

from typing import Any

from kraken_bot.management.base import AsyncCommand
from slack import answer_process


class Command(AsyncCommand):
    help = (
        "Answer the Slack questions a serving process hands over, one JSON line each on standard "
        "input, until the input ends. `manage.py serve` starts it; it is not run by hand."
    )

    def handle(self, *args: Any, **options: Any) -> str | None:
        answer_process.obey_only_the_serving_process()
        return super().handle(*args, **options)

    async def ahandle(self, *args: Any, **options: Any) -> None:
        await answer_process.answer_handed_over()
