"""The benchmark's sequential variant: `respond_to_user` with its four steps awaited one after
another instead of at once, to measure what the fan-out gains. It exists only here.

    python -m bench.sequential serve [serve's arguments]

runs `manage.py` in this process with the variant in place (so with one worker only: uvicorn's
extra workers would start fresh processes without it). Everything else, the steps themselves
included, is the service's own code.
"""

import datetime as dt
import os
import sys
from typing import TYPE_CHECKING

import django

if TYPE_CHECKING:
    from application import ports
    from application import respond_to_user as use_case


async def one_after_another(
    question: "use_case.IncomingQuestion",
    *,
    chat: "ports.ChatPort",
    writer: "ports.AnswerWriter",
    now: dt.datetime,
) -> "use_case._FanOut":
    """The steps of `respond_to_user._fan_out`, in the order it starts them, awaited in turn."""
    from django.conf import settings

    from agents import classifier
    from application import respond_to_user as use_case

    status = await use_case._timed(chat.show_status(text=use_case.STATUS_TEXT))
    stored = await use_case._timed(use_case._store(question, now=now))
    classified = await use_case._timed(
        classifier.classify_question(
            question=question.text, categories=settings.QUESTION_CATEGORIES
        )
    )
    answered = await use_case._timed(use_case._answer(question, writer=writer))
    return use_case._FanOut(status=status, stored=stored, classified=classified, answered=answered)


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kraken_bot.settings")
    django.setup()  # the use case imports the models
    from application import respond_to_user as use_case
    from manage import main as manage

    use_case._fan_out = one_after_another
    sys.argv = ["manage.py", *sys.argv[1:]]
    manage()


if __name__ == "__main__":
    main()
