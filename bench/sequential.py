"""The benchmark's sequential variant: `respond_to_user` with its four steps awaited one after
another instead of at once, to measure what the fan-out gains. It exists only here.

    python -m bench.sequential serve [serve's arguments]
    python -m bench.sequential worker

runs `manage.py` in this process with the variant in place for the questions asked in the channel
`SEQUENTIAL_CHANNEL`; every other question is answered by the service's own fan-out. Answers are
written where the jobs run: on SQLite in the serving process (so with one uvicorn worker only:
extra ones would start fresh processes without the variant), on PostgreSQL in `worker`. One
process answering both variants is what lets them share PostgreSQL's one queue of jobs: a worker
of the service's own would take the variant's jobs too. Everything else, the steps themselves
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

# The questions asked here are answered one step after another.
SEQUENTIAL_CHANNEL = "C0SEQUENTIAL"


async def one_after_another(
    question: "use_case.IncomingQuestion",
    *,
    chat: "ports.ChatPort",
    writer: "ports.AnswerWriter",
    now: dt.datetime,
) -> "tuple[use_case._FanOut, use_case._Outcome[str], float]":
    """The steps of `respond_to_user._fan_out`, in the order it starts them, awaited in turn, and
    then the reply."""
    import time

    from django.conf import settings

    from agents import classifier
    from application import respond_to_user as use_case

    started = time.perf_counter()
    status = await use_case._timed(chat.show_status(text=use_case.STATUS_TEXT))
    stored = await use_case._timed(use_case.store_question(question, now=now))
    classified = await use_case._timed(
        classifier.classify_question(
            question=question.text, categories=settings.QUESTION_CATEGORIES
        )
    )
    answered = await use_case._timed(use_case._answer(question, writer=writer))
    delivered = await use_case._deliver(answered, stored, writer=writer)
    steps = use_case._FanOut(status=status, stored=stored, classified=classified, answered=answered)
    return steps, delivered, use_case._elapsed_ms(started)


def put_in_place() -> None:
    """From now on, the questions asked in `SEQUENTIAL_CHANNEL` are answered one step after
    another, the others by the service's fan-out."""
    from application import respond_to_user as use_case

    fan_out = use_case._fan_out

    async def by_channel(
        question: "use_case.IncomingQuestion",
        *,
        chat: "ports.ChatPort",
        writer: "ports.AnswerWriter",
        now: dt.datetime,
    ) -> "tuple[use_case._FanOut, use_case._Outcome[str], float]":
        sequential = question.slack is not None and question.slack.channel_id == SEQUENTIAL_CHANNEL
        variant = one_after_another if sequential else fan_out
        return await variant(question, chat=chat, writer=writer, now=now)

    use_case._fan_out = by_channel


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kraken_bot.settings")
    django.setup()  # the use case imports the models
    from manage import main as manage

    put_in_place()
    sys.argv = ["manage.py", *sys.argv[1:]]
    manage()


if __name__ == "__main__":
    main()
