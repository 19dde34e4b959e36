"""Part 6, CPU per question by step: each step of answering a question, run on its own the same
number of times, against the fakes with no delay, and the CPU time it took (user and system, all
threads: the ORM's included). The whole use case (`respond_to_user`, its steps at once) is measured
the same way, so that the sum of the steps can be set against it; what the service spends beyond
it (the Slack endpoint, the job queue) is the people part's CPU per question less the whole.

The steps run in a process of their own (`python -m bench.steps`), which holds nothing else: the
fakes run in the benchmark's process, and their CPU is not counted.
"""

import asyncio
import datetime as dt
import json
import os
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

from bench import edge as edges
from bench.report import PROJECT_DIR

QUESTIONS = 30
QUESTION = "how do I rotate the database password?"
# The relay hands the chat the first words, then what came since at most once a second: a two
# seconds' answer reaches Slack in about two appends before the finished answer.
APPENDS = 2


async def measure(edge: edges.Edge, database_url: str, *, scale: float = 1.0) -> dict[str, Any]:
    """Run the steps' process against the fakes, with no delay at the edge; its figures."""
    from bench.bot import environment  # it reads the models: Django is set up by then

    edge.set_latencies(edges.Latencies())
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bench.steps",
        str(max(3, round(QUESTIONS * scale))),
        cwd=PROJECT_DIR,
        env=environment(edge, database_url),
        stdout=asyncio.subprocess.PIPE,
    )
    output, _ = await process.communicate()
    if process.returncode != 0:
        raise RuntimeError(f"bench.steps exited with status {process.returncode}")
    figures: dict[str, Any] = json.loads(output)
    return figures


def main() -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kraken_bot.settings")
    django.setup()
    print(json.dumps(asyncio.run(_steps(questions=int(sys.argv[1])))))


async def _steps(*, questions: int) -> dict[str, Any]:
    from agents import classifier, docs_answerer
    from application import ports
    from application import respond_to_user as use_case
    from domain import operations, records, search
    from slack import chat, web_client

    thread = chat.SlackThread(channel_id="C0STEPS", thread_ts="1.0", user_id="U1", team_id="T1")
    port = chat.SlackChatPort(client=web_client.build_web_client(), thread=thread)
    now = dt.datetime.now(tz=dt.UTC)

    async def ignore(text: str) -> None:
        pass

    async def stored() -> records.Question:
        return await operations.record_question(
            text=QUESTION, source=records.QuestionSource.SLACK, received_at=now
        )

    async def reply() -> None:
        writer = port.answer_writer()
        for part in range(APPENDS):
            await writer.append(text=edges.ANSWER[part * 100 : (part + 1) * 100])
        await writer.finish(reply=ports.Reply(question_id=None, text=edges.ANSWER, citations=()))

    async def record_answer() -> None:
        question = await stored()
        answer = records.Answer(text=edges.ANSWER, category="how-to")
        await operations.record_answer(question_id=question.id, answer=answer, answered_at=now)

    async def whole() -> None:
        await use_case.respond_to_user(
            question=use_case.IncomingQuestion(text=QUESTION, source=records.QuestionSource.SLACK),
            chat=port,
            now=now,
        )

    steps: dict[str, Callable[[], Awaitable[Any]]] = {
        "status": lambda: port.show_status(text=use_case.STATUS_TEXT),
        "store": stored,
        "classify": lambda: classifier.classify_question(
            question=QUESTION, categories=("how-to", "other")
        ),
        "search": lambda: search.search_passages(query=QUESTION, limit=6),
        "answer": lambda: docs_answerer.answer_question(
            question=QUESTION, search=search.search_passages, on_text=ignore
        ),
        "reply": reply,
        "record_answer": record_answer,
    }
    cpu_ms = {name: await _cpu_ms(step, times=questions) for name, step in steps.items()}
    whole_ms = await _cpu_ms(whole, times=questions)
    await web_client.close_session()
    return {
        "questions": questions,
        "cpu_ms": cpu_ms,
        # The answer's search runs inside it (the model's tool call): counted once.
        "sum_of_steps_ms": round(sum(cpu_ms.values()) - cpu_ms["search"], 1),
        "whole_ms": whole_ms,
    }


async def _cpu_ms(step: Callable[[], Awaitable[Any]], *, times: int) -> float:
    """CPU per run of the step, after one run to warm it up."""
    await step()
    started = time.process_time()
    for _ in range(times):
        await step()
    return round((time.process_time() - started) * 1000 / times, 1)


if __name__ == "__main__":
    main()
