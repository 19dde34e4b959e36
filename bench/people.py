"""Part 1, people at once: 1, 10 and then 100 people, each asking a question, waiting for its
answer and asking the next at once, while the model takes 2 s to answer (`edges.TWO_SECOND_MODEL`;
the classifier's 2 s run beside it). What each person feels, question by question:

- the ack: from sending the event to its 200 (Slack waits 3 s, then counts it failed);
- the status: from sending the event to the fake Slack receiving the assistant status (or a
  placeholder message) for its thread;
- the answer: from sending the event to the fake Slack receiving the call that finishes the reply;
  less the model's 2 s, what the bot adds.

Per level also: answers a minute (questions answered over the time from the first event to the
last reply) and the service's CPU time per question (all its processes: the serving one and, on
PostgreSQL, its job workers).
"""

import asyncio
import dataclasses
from typing import Any

from bench import edge as edges
from bench.bot import (
    Bot,
    Replies,
    Sent,
    count_answers,
    cpu_ms_per_question,
    cpu_used,
    running_bot,
    warm_up,
)
from bench.figures import distribution

# People at once, and the questions each asks one after another.
LEVELS = {1: 10, 10: 5, 100: 3}
# Slack counts an event as failed (and sends it again) when its ack takes longer.
SLACK_WAITS_MS = 3000
REPLY_TIMEOUT_S = 120


async def measure(edge: edges.Edge, database_url: str, *, scale: float = 1.0) -> dict[str, Any]:
    latencies = edges.TWO_SECOND_MODEL
    edge.set_latencies(latencies)
    replies = Replies(edge)
    levels: dict[int, tuple[dict[str, Any], list[str]]] = {}
    async with running_bot(edge, database_url, senders=max(LEVELS)) as bot:
        await warm_up(bot, replies)
        for people, questions in LEVELS.items():
            each = max(1, round(questions * scale))
            levels[people] = await _level(
                bot, replies, people=people, questions=each, model_ms=latencies.answer_s * 1000
            )
    # Counted once the service has stopped: it stores each answer after sending it.
    return {
        "latencies": dataclasses.asdict(latencies),
        "model_ms": latencies.answer_s * 1000,
        "levels": {
            str(people): {**figures, "answers": (await count_answers(replies, threads)).as_dict()}
            for people, (figures, threads) in levels.items()
        },
    }


async def _level(
    bot: Bot, replies: Replies, *, people: int, questions: int, model_ms: float
) -> tuple[dict[str, Any], list[str]]:
    """The level's figures, and its questions' threads."""
    before = cpu_used(bot)
    asked = await asyncio.gather(*(_person(bot, replies, questions) for _ in range(people)))
    cpu_ms = cpu_ms_per_question(bot, since=before, questions=sum(map(len, asked)))
    sent = [one for questions_asked in asked for one in questions_asked]
    replies.catch_up()
    answer_ms = {
        one.thread: (replies.finished_at[one.thread] - one.sent_at) * 1000
        for one in sent
        if one.thread in replies.finished_at
    }
    status_ms = [
        (replies.status_at[one.thread] - one.sent_at) * 1000
        for one in sent
        if one.thread in replies.status_at
    ]
    first_sent = min(one.sent_at for one in sent)
    last_reply = max((replies.finished_at[thread] for thread in answer_ms), default=first_sent)
    wall_s = last_reply - first_sent
    figures = {
        "people": people,
        "questions": len(sent),
        "not_acknowledged": sum(1 for one in sent if one.status != 200),
        "ack_ms": distribution([one.ack_ms for one in sent]),
        "acks_later_than_slack_waits": sum(1 for one in sent if one.ack_ms > SLACK_WAITS_MS),
        "status_ms": distribution(status_ms),
        "without_status": len(sent) - len(status_ms),
        "answer_ms": distribution(list(answer_ms.values())),
        "answer_less_model_ms": distribution([ms - model_ms for ms in answer_ms.values()]),
        "wall_s": round(wall_s, 1),
        "answers_per_min": round(len(answer_ms) * 60 / wall_s) if wall_s > 0 else None,
        "server_cpu_ms_per_question": cpu_ms.pop("service"),
        # Where the machine's CPU went, a question's share.
        "cpu_ms_per_question": cpu_ms,
    }
    return figures, [one.thread for one in sent]


async def _person(bot: Bot, replies: Replies, questions: int) -> list[Sent]:
    """Ask, wait for the answer, ask again; a person left without an answer stops asking."""
    sent = []
    for _ in range(questions):
        one = await bot.ask()
        sent.append(one)
        if not await replies.wait([one.thread], timeout_s=REPLY_TIMEOUT_S):
            break
    return sent
