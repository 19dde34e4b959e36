"""Part 4, scale-out (PostgreSQL): two uvicorn worker processes sharing one database, every event
delivered twice at once (the second as Slack's retry), and questions a dead process left behind
recovered meanwhile by both workers' sweeps and by `manage.py recover_questions` run again and
again, two at a time. Every question must be answered exactly once.

The questions left behind are inbox events recorded ten minutes ago and never answered, as a
process killed right after its ack leaves them.
"""

import asyncio
import datetime as dt
import json
import re
import sys
from typing import Any

from django.utils import timezone

from bench import edge as edges
from bench.bot import Bot, Replies, Sent, count_answers, environment, running_bot, warm_up
from domain import operations
from slack import events
from tests import slack_payloads as payloads
from tests.servers import PROJECT_DIR

QUESTIONS = 100
LEFT_BEHIND = 20
SENDERS = 20
WORKERS = 2
RECOVER_AFTER_S = 30
ANSWERS_TIMEOUT_S = 180
_RECOVERED = re.compile(r"Recovered (\d+) unanswered questions")


async def measure(edge: edges.Edge, database_url: str, *, scale: float = 1.0) -> dict[str, Any]:
    edge.set_latencies(edges.TYPICAL)
    replies = Replies(edge)
    left_behind = await _leave_behind(max(1, round(LEFT_BEHIND * scale)))
    per_sender = max(1, round(QUESTIONS * scale / SENDERS))
    settings = {"RECOVERY_INTERVAL_S": "1", "RECOVERY_AFTER_S": str(RECOVER_AFTER_S)}
    async with running_bot(edge, database_url, workers=WORKERS, settings=settings) as bot:
        await warm_up(bot, replies)
        sending_done = asyncio.Event()
        recovering = asyncio.create_task(_recover_until(sending_done, edge, database_url))
        batches = await asyncio.gather(*(_ask_twice(bot, per_sender) for _ in range(SENDERS)))
        threads = [one.thread for batch in batches for one in batch]
        sending_done.set()
        recovered = await recovering
        await replies.wait([*threads, *left_behind], timeout_s=ANSWERS_TIMEOUT_S)
    return {
        "workers": WORKERS,
        "deliveries_per_event": 2,
        "answers": (await count_answers(replies, threads)).as_dict(),
        "left_behind": (await count_answers(replies, left_behind)).as_dict(),
        "recover_questions_runs": len(recovered),
        "recovered_by_command": sum(recovered),
    }


async def _ask_twice(bot: Bot, questions: int) -> list[Sent]:
    """Each event delivered twice at once: the first delivery and Slack's retry."""
    sent = []
    for _ in range(questions):
        body = bot.mention()
        first, _retry = await asyncio.gather(bot.ask(body), bot.ask(body, retry=1))
        sent.append(first)
    return sent


async def _leave_behind(count: int) -> list[str]:
    """Record events as a process that died right after acknowledging them would have."""
    received_at = timezone.now() - dt.timedelta(minutes=10)
    threads = []
    for _ in range(count):
        body = json.loads(payloads.event_callback(payloads.app_mention("how do I deploy?")))
        await operations.record_event(
            event_id=body["event_id"],
            team_id=body["team_id"],
            event_type="app_mention",
            payload=body,
            received_at=received_at,
            message_key=events.message_key(body),
        )
        threads.append(body["event"]["ts"])
    return threads


async def _recover_until(done: asyncio.Event, edge: edges.Edge, database_url: str) -> list[int]:
    """Run `recover_questions` two at a time until `done`, then once more; what each recovered."""
    recovered: list[int] = []
    while True:
        last_round = done.is_set()
        recovered += await asyncio.gather(
            _recover_once(edge, database_url), _recover_once(edge, database_url)
        )
        if last_round:
            return recovered


async def _recover_once(edge: edges.Edge, database_url: str) -> int:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(PROJECT_DIR / "manage.py"),
        "recover_questions",
        "--older-than",
        str(RECOVER_AFTER_S),
        cwd=PROJECT_DIR,
        env=environment(edge, database_url),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await process.communicate()
    found = _RECOVERED.search(output.decode(errors="replace"))
    if process.returncode != 0 or found is None:
        raise RuntimeError("recover_questions failed:\n" + output.decode(errors="replace"))
    return int(found.group(1))
