"""The thread summariser: Slack messages in, a short summary, decisions and open questions out."""

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass

from pydantic import BaseModel, Field
from pydantic_ai import Agent
from pydantic_ai.messages import ModelMessage, ModelResponse, ToolCallPart
from pydantic_ai.models.function import AgentInfo

from agents import errors, models, transcript, usage
from agents.limits import run_limits
from domain import records

_DECISION = re.compile(r"\b(decided|agreed|we will|we'll|let's|going with|approved)\b", re.I)
OFFLINE_ITEMS = 5


class ThreadSummary(BaseModel):
    summary: str = Field(
        description="Two to four sentences: what the thread is about and where it stands."
    )
    decisions: list[str] = Field(default_factory=list, description="Decisions taken, one per item.")
    open_questions: list[str] = Field(
        default_factory=list, description="Questions still unanswered."
    )


@dataclass(frozen=True, kw_only=True)
class SummarisedThread:
    summary: ThreadSummary
    usage: records.Usage


INSTRUCTIONS = """\
Summarise the Slack thread you are given (a JSON list of messages with their authors).
Be short and factual. List the decisions that were taken and the questions that are still open;
leave a list empty rather than guess. Refer to people by the names in the messages."""

summariser = Agent(
    output_type=ThreadSummary, instructions=INSTRUCTIONS, retries=2, name="summariser"
)


async def summarise_thread(
    *, messages: Sequence[records.ThreadMessage], model_name: str | None = None
) -> SummarisedThread:
    """Summarise a thread's messages, oldest first, with the model named (by default
    `LLM_MODEL`).

    Raises: UnableToAnswer, models.InvalidModelConfiguration.
    """
    thread = json.dumps(
        [{"author": m.author, "text": m.text} for m in messages], ensure_ascii=False
    )
    limits = run_limits("summarise")
    async with errors.model_failures_as(
        "Unable to summarise the thread", within_s=limits.deadline_s
    ):
        result = await summariser.run(
            thread,
            model=models.chosen_model(offline=OFFLINE_MODEL, name=model_name),
            model_settings=models.model_settings(limits),
            usage_limits=models.USAGE_LIMITS,
        )
    return SummarisedThread(summary=result.output, usage=usage.usage_of(result))


def _offline_reply(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
    """Count who said what, and pick out sentences that decide or ask."""
    thread = json.loads(transcript.last_user_prompt(messages) or "[]")
    authors = list(dict.fromkeys(message["author"] for message in thread))
    sentences = [
        sentence.strip()
        for message in thread
        for sentence in re.split(r"(?<=[.!?])\s+", message["text"])
        if sentence.strip()
    ]
    summary = {
        "summary": (
            f"{len(thread)} messages from {len(authors)} people ({', '.join(authors[:5])}). "
            "No language model is configured, so this only picks out decisions and questions."
        ),
        "decisions": [s for s in sentences if _DECISION.search(s)][-OFFLINE_ITEMS:],
        "open_questions": [s for s in sentences if s.endswith("?")][-OFFLINE_ITEMS:],
    }
    return ModelResponse(parts=[ToolCallPart(info.output_tools[0].name, summary)])


OFFLINE_MODEL = models.offline_model(_offline_reply)
