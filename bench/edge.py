"""The network edge the benchmark gives the bot: the tests' fake Slack Web API and fake
OpenAI-compatible server, on 127.0.0.1 in the benchmark's own process, told how slow to be.

The fake model answers any number of questions as a model would: the classifier's request with a
category; the docs answerer's first request with a `search_docs` call, its second with an answer
citing the passages the search returned, streamed piece by piece.
"""

import contextlib
import json
import math
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from fakes import openai as fake_openai
from fakes.openai import FakeOpenAI, Step, fake_openai_server
from fakes.slack import FakeSlack, fake_slack_server

# Every Web API method the bot calls while answering.
SLACK_METHODS = (
    "auth.test",
    "assistant.threads.setStatus",
    "chat.postMessage",
    "chat.startStream",
    "chat.appendStream",
    "chat.stopStream",
    "chat.update",
    "chat.delete",
    "conversations.replies",
)

ANSWER = (
    "Rotate the database password from the operations runbook: run `vault rotate db` on a "
    "machine with the operator role [1], then restart the workers one at a time so that no "
    "request is dropped while the new password reaches them [2]. The service reads "
    "`DATABASE_URL` at start-up, so a worker that was not restarted keeps the old password until "
    "it is; check each with the health endpoint before moving on to the next one [1]. If a worker "
    "fails its health check, roll it back with the previous secret version and ask in the "
    "platform channel [2]."
)


@dataclass(frozen=True, kw_only=True)
class Latencies:
    """How long each call at the edge takes. The answerer's model time is its search call plus
    the time to its answer's first piece plus the time the answer takes to stream."""

    slack_s: float = 0.0
    classify_s: float = 0.0
    search_call_s: float = 0.0
    answer_first_piece_s: float = 0.0
    answer_stream_s: float = 0.0

    @property
    def answer_s(self) -> float:
        return self.search_call_s + self.answer_first_piece_s + self.answer_stream_s


# The figures: Slack at 150 ms a call; the model at 300 ms for the classifier and 800 ms
# for the answerer (200 ms for its search call, then the answer from 200 ms to 600 ms).
TYPICAL = Latencies(
    slack_s=0.15,
    classify_s=0.3,
    search_call_s=0.2,
    answer_first_piece_s=0.2,
    answer_stream_s=0.4,
)
# The people at once: the model takes 2 s to answer (its search call 0.5 s, then the answer
# from 0.5 s to 1.5 s) and 2 s to classify, beside it.
TWO_SECOND_MODEL = Latencies(
    slack_s=0.15,
    classify_s=2.0,
    search_call_s=0.5,
    answer_first_piece_s=0.5,
    answer_stream_s=1.0,
)
# A slow model: every model request takes 2 s (the answer streamed over its second half).
SLOW_MODEL = Latencies(
    slack_s=0.15,
    classify_s=2.0,
    search_call_s=2.0,
    answer_first_piece_s=1.0,
    answer_stream_s=1.0,
)


@dataclass
class Edge:
    slack: FakeSlack
    llm: FakeOpenAI
    latencies: Latencies = field(default_factory=Latencies)

    def set_latencies(self, latencies: Latencies) -> None:
        self.latencies = latencies
        for method in SLACK_METHODS:
            self.slack.slow(method, latencies.slack_s)

    def model_reply(self, request: dict[str, Any]) -> Step:
        offered = {tool["function"]["name"] for tool in request.get("tools") or []}
        latencies = self.latencies
        if "search_docs" not in offered:
            return self.llm.tool_call_step(
                "final_result", {"category": "how-to"}, delay_s=latencies.classify_s
            )
        last = request["messages"][-1]
        if last["role"] != "tool":
            question = str(last.get("content", ""))
            return self.llm.tool_call_step(
                "search_docs", {"query": question}, delay_s=latencies.search_call_s
            )
        output = {"text": ANSWER, "passage_ids": _passage_ids(last["content"])[:2]}
        pieces = math.ceil(len(json.dumps(output)) / fake_openai.PIECE)
        return self.llm.tool_call_step(
            "final_result",
            output,
            delay_s=latencies.answer_first_piece_s,
            piece_delay_s=latencies.answer_stream_s / pieces,
        )


def _passage_ids(tool_content: str) -> list[int]:
    try:
        passages = json.loads(tool_content)
    except ValueError:
        return []
    return [int(passage["id"]) for passage in passages if isinstance(passage, dict)]


@contextlib.asynccontextmanager
async def fake_edge() -> AsyncIterator[Edge]:
    async with fake_slack_server() as slack, fake_openai_server() as llm:
        edge = Edge(slack=slack, llm=llm)
        llm.answer_with(edge.model_reply)
        yield edge
