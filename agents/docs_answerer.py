"""The docs answerer: a question in, a Slack-ready answer out, citing only passages it found.

The model searches the documentation with the `search_docs` tool as often as it needs; an answer
that cites a passage the tool did not return is sent back to the model to fix, so sources are
never invented. A model that gives structured output without tools (`LLM_OUTPUT_MODE` `native` or
`prompted`, for small local models, which call tools badly) is not offered the tool: the
passages are searched first, here, and sent with the question.

The answer's text comes first in the output and every later field has a default, so the text can
be streamed as it is written. When the model fails (an error, its deadline, a reply it cannot
fix), the person still gets what the documentation says: its best passages for the question,
quoted and cited, marked as such.
"""

import json
import logging
import re
from collections.abc import AsyncIterable, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import pydantic_core
from pydantic import BaseModel, Field
from pydantic_ai import Agent, ModelRetry, RunContext
from pydantic_ai.messages import (
    AgentStreamEvent,
    ModelMessage,
    ModelRequest,
    ModelResponse,
    ModelResponsePart,
    ModelResponsePartDelta,
    PartDeltaEvent,
    PartStartEvent,
    TextPart,
    TextPartDelta,
    ToolCallPart,
    ToolCallPartDelta,
    UserPromptPart,
)
from pydantic_ai.models import Model
from pydantic_ai.models.function import AgentInfo
from pydantic_ai.tools import ToolDefinition
from pydantic_ai.usage import RunUsage

from agents import errors, models, transcript, usage
from agents.limits import run_limits
from domain import records

logger = logging.getLogger(__name__)

# How the answer cites its n-th passage: `[n]` (not an index in code: `items[1]`).
_CITATION_MARKER = re.compile(r"(?<![\w\]])\[(\d+)\]")

SEARCH_LIMIT = 6
QUOTED_PASSAGES = 3
QUOTE_CHARACTERS = 400


TextSink = Callable[[str], Awaitable[None]]


class SearchDocs(Protocol):
    """The document search the answerer's tool calls."""

    def __call__(self, *, query: str, limit: int) -> Awaitable[list[records.PassageHit]]: ...


@dataclass(kw_only=True)
class AnswererDeps:
    """What a run needs; `found` collects every passage searched, the only citable ones.
    `searched_first`: the passages came with the question, and the model has no tool.
    `instructions`: those the channel's owners add to the answerer's own."""

    search: SearchDocs
    found: dict[int, records.PassageHit] = field(default_factory=dict)
    searched_first: bool = False
    instructions: str = ""


class DocsAnswer(BaseModel):
    text: str = Field(
        description=(
            "The answer for Slack, in Markdown. Cite passages inline as [1], [2]: [n] is the n-th "
            "id in passage_ids, as the sources are numbered under the answer."
        )
    )
    passage_ids: list[int] = Field(
        default_factory=list,
        description="The ids of the passages the answer relies on, most important first.",
    )
    found_answer: bool = Field(
        default=True, description="False when the documentation does not answer the question."
    )


@dataclass(frozen=True, kw_only=True)
class AnsweredQuestion:
    """The answer; `model_error` says why the model failed when the passages were quoted instead."""

    text: str
    citations: tuple[records.Citation, ...]
    found_answer: bool
    usage: records.Usage
    model_error: str = ""


OFFLINE_INTRO = "No language model is configured, so here is what the documentation says:"
FALLBACK_INTRO = "The model could not answer, so here is what the documentation says:"
NOTHING_FOUND = (
    "I could not find anything about that in the documentation. "
    "Try other words, or ask the people who own the page."
)
FALLBACK_NOTHING_FOUND = f"The model could not answer. {NOTHING_FOUND}"


INSTRUCTIONS = """\
You are Kraken Bot, answering staff questions from the company's documentation.
Answer briefly and concretely in Markdown for Slack.
Only state what the passages say, and list in `passage_ids` the ids of the passages you used.
If the documentation does not answer the question, say so plainly, set `found_answer` to false
and cite nothing. Never invent commands, links or sources."""

SEARCH_WITH_THE_TOOL = """\
Search with the `search_docs` tool (several searches with different words if the first finds
nothing useful), then answer."""

CHANNEL_INSTRUCTIONS_INTRO = "The owners of the channel this question was asked in add:"

PASSAGES_GIVEN = """\
The passages found for the question follow it, each with its id: answer from them."""

docs_answerer = Agent(
    output_type=DocsAnswer,
    deps_type=AnswererDeps,
    instructions=INSTRUCTIONS,
    retries=2,
    name="docs_answerer",
)


@docs_answerer.instructions
def _how_to_find_passages(ctx: RunContext[AnswererDeps]) -> str:
    return PASSAGES_GIVEN if ctx.deps.searched_first else SEARCH_WITH_THE_TOOL


@docs_answerer.instructions
def _channel_instructions(ctx: RunContext[AnswererDeps]) -> str:
    """The channel's own instructions come after the answerer's, which they cannot undo: answers
    still cite only what was found."""
    if not ctx.deps.instructions.strip():
        return ""
    return f"{CHANNEL_INSTRUCTIONS_INTRO}\n{ctx.deps.instructions.strip()}"


async def _unless_searched_first(
    ctx: RunContext[AnswererDeps], tool: ToolDefinition
) -> ToolDefinition | None:
    return None if ctx.deps.searched_first else tool


@docs_answerer.tool(prepare=_unless_searched_first)
async def search_docs(ctx: RunContext[AnswererDeps], query: str) -> list[dict[str, Any]]:
    """Search the company's documentation. Returns passages, each with an `id` to cite."""
    if not query.strip():
        raise ModelRetry("Search with a few words about the question, not an empty query.")
    hits = await ctx.deps.search(query=query, limit=SEARCH_LIMIT)
    ctx.deps.found.update((hit.passage_id, hit) for hit in hits)
    return [_as_passage(hit) for hit in hits]


def _as_passage(hit: records.PassageHit) -> dict[str, Any]:
    return {"id": hit.passage_id, "title": hit.title, "heading": hit.heading, "text": hit.text}


@docs_answerer.output_validator
def _cites_found_passages(ctx: RunContext[AnswererDeps], answer: DocsAnswer) -> DocsAnswer:
    """An answer from the documentation cites the passages it relies on, and only passages that
    were found: sources are never invented, nor left out; one that found nothing cites nothing."""
    if ctx.partial_output:
        return answer
    invented = [passage for passage in answer.passage_ids if passage not in ctx.deps.found]
    if invented:
        raise ModelRetry(
            f"Passages {invented} are not among the passages found. Cite only their ids."
        )
    if answer.found_answer and not answer.passage_ids:
        raise ModelRetry(
            "List in passage_ids the passages the answer relies on, or set found_answer to "
            "false if the documentation does not answer the question."
        )
    beyond = sorted(
        {
            int(marker[1])
            for marker in _CITATION_MARKER.finditer(answer.text)
            if not 1 <= int(marker[1]) <= len(answer.passage_ids)
        }
    )
    if beyond:
        raise ModelRetry(
            f"The text cites {', '.join(f'[{n}]' for n in beyond)}, but passage_ids lists "
            f"{len(answer.passage_ids)} passages: [n] is the n-th id of passage_ids."
        )
    if not answer.found_answer and answer.passage_ids:
        raise ModelRetry(
            "The documentation does not answer the question, so cite nothing: leave passage_ids "
            "empty, or set found_answer to true if the passages do answer it."
        )
    return answer


async def answer_question(
    *,
    question: str,
    search: SearchDocs,
    history: Sequence[records.ThreadMessage] = (),
    on_text: TextSink | None = None,
    instructions: str = "",
    model_name: str | None = None,
) -> AnsweredQuestion:
    """Answer from the documentation, with the passages relied on as citations. `history` is the
    conversation so far (the bot's own turns marked). With `on_text`, the answer's text is handed
    over piece by piece as the model writes it. `instructions` are added to the answerer's, and
    `model_name` names another model than `LLM_MODEL` (which answers when that one cannot be
    built). When the model fails, the best passages are quoted instead, with the model's error.

    Raises: models.InvalidModelConfiguration.
    """
    limits = run_limits("answer")
    model = models.chosen_model(offline=OFFLINE_MODEL, name=model_name)
    deps = AnswererDeps(
        search=search,
        searched_first=models.output_mode(model) != "tool",
        instructions=instructions,
    )
    prompt = question
    if deps.searched_first:
        prompt = await _with_passages(question, history, deps)
        if not deps.found:
            return _nothing_found(model)
    spent = RunUsage()
    try:
        async with errors.model_failures_as(
            "Unable to answer the question", within_s=limits.deadline_s
        ):
            result = await docs_answerer.run(
                prompt,
                deps=deps,
                message_history=_as_model_messages(history) or None,
                model=model,
                model_settings=models.model_settings(limits),
                usage_limits=models.USAGE_LIMITS,
                usage=spent,
                event_stream_handler=_AnswerTextStream(on_text) if on_text else None,
            )
    except errors.UnableToAnswer as error:
        logger.warning("%s; quoting the documentation instead", error)
        return await _quote_documentation(
            question,
            search=search,
            model_error=str(error),
            usage=records.Usage(
                model_name=model.model_name,
                input_tokens=spent.input_tokens,
                output_tokens=spent.output_tokens,
            ),
        )
    answer = result.output
    cited = list(dict.fromkeys(answer.passage_ids))
    return AnsweredQuestion(
        text=_numbered_as_cited(answer, cited),
        citations=tuple(_citation(deps.found[passage]) for passage in cited),
        found_answer=answer.found_answer,
        usage=usage.usage_of(result),
    )


def _numbered_as_cited(answer: DocsAnswer, cited: list[int]) -> str:
    """The text with its `[n]` markers numbered as the sources under it: a passage the model
    listed twice is one source, and the markers after it move up."""
    if cited == answer.passage_ids:
        return answer.text
    number_of = {
        listed: cited.index(passage) + 1
        for listed, passage in enumerate(answer.passage_ids, start=1)
    }
    return _CITATION_MARKER.sub(
        lambda marker: f"[{number_of.get(int(marker[1]), marker[1])}]", answer.text
    )


async def _with_passages(
    question: str, history: Sequence[records.ThreadMessage], deps: AnswererDeps
) -> str:
    """The question followed by the passages found for it: searched with the question, and in a
    thread with its first message too, which says what a follow-up is about. The question's words
    come first: a search reads only so many words of its query."""
    query = question
    if started_by := next((message for message in history if not message.from_bot), None):
        query = f"{question}\n{started_by.text}"
    hits = await deps.search(query=query, limit=SEARCH_LIMIT)
    deps.found.update((hit.passage_id, hit) for hit in hits)
    passages = json.dumps([_as_passage(hit) for hit in hits], ensure_ascii=False)
    return f"{question}\n\nPassages:\n{passages}"


def _nothing_found(model: Model) -> AnsweredQuestion:
    """No passage to answer from: said plainly, without asking the model to invent one."""
    return AnsweredQuestion(
        text=NOTHING_FOUND,
        citations=(),
        found_answer=False,
        usage=records.Usage(model_name=model.model_name),
    )


async def _quote_documentation(
    question: str, *, search: SearchDocs, model_error: str, usage: records.Usage
) -> AnsweredQuestion:
    """The fallback: the best passages for the question, quoted and cited, marked as such. The
    tokens the failed run spent are kept; its cost is not known."""
    quoted = (await search(query=question, limit=SEARCH_LIMIT))[:QUOTED_PASSAGES]
    return AnsweredQuestion(
        text=_quotation(FALLBACK_INTRO, [_as_passage(hit) for hit in quoted])
        if quoted
        else FALLBACK_NOTHING_FOUND,
        citations=tuple(_citation(hit) for hit in quoted),
        found_answer=bool(quoted),
        usage=usage,
        model_error=model_error,
    )


def _as_model_messages(history: Sequence[records.ThreadMessage]) -> list[ModelMessage]:
    """The bot's turns as the model's replies; everyone else's (other apps too) as the user's."""
    return [
        ModelResponse(parts=[TextPart(content=message.text)])
        if message.from_bot
        else ModelRequest(parts=[UserPromptPart(content=f"{message.author}: {message.text}")])
        for message in history
    ]


class _AnswerTextStream:
    """Picks the answer's text out of the output's JSON as it streams in: the output tool's
    arguments, or the text itself from a model that writes its output as text (native and
    prompted output).

    Only text that extends what was already handed over is passed on: a retried answer that
    starts differently is not streamed, and the full answer is shown when the run ends.
    """

    def __init__(self, sink: TextSink) -> None:
        self._sink = sink
        self._sent = ""
        self._outputs: dict[int, str] = {}

    async def __call__(
        self, ctx: RunContext[AnswererDeps], events: AsyncIterable[AgentStreamEvent]
    ) -> None:
        async for event in events:
            if isinstance(event, PartStartEvent):
                self._outputs.pop(event.index, None)
                begun = _output_begun(event.part, as_text=ctx.deps.searched_first)
                if begun is not None:
                    self._outputs[event.index] = begun
            elif isinstance(event, PartDeltaEvent) and event.index in self._outputs:
                self._outputs[event.index] += _output_piece(event.delta)
            else:
                continue
            if event.index in self._outputs:
                await self._pass_on(_partial_text(self._outputs[event.index]))

    async def _pass_on(self, text: str) -> None:
        if len(text) > len(self._sent) and text.startswith(self._sent):
            delta, self._sent = text[len(self._sent) :], text
            await self._sink(delta)


def _output_begun(part: ModelResponsePart, *, as_text: bool) -> str | None:
    """The output's JSON so far in a part that starts, or None when the part is not the output."""
    if as_text:
        return part.content if isinstance(part, TextPart) else None
    if isinstance(part, ToolCallPart) and part.tool_name != "search_docs":
        # A partial argument string is not valid JSON yet: keep it as it came.
        return part.args if isinstance(part.args, str) else part.args_as_json_str()
    return None


def _output_piece(delta: ModelResponsePartDelta) -> str:
    if isinstance(delta, TextPartDelta):
        return delta.content_delta
    if isinstance(delta, ToolCallPartDelta) and isinstance(delta.args_delta, str):
        return delta.args_delta
    return ""


def _partial_text(output: str) -> str:
    """The answer's text in the output's JSON so far; a model following a prompted schema may
    write something before the JSON."""
    begins = output.find("{")
    if begins < 0:
        return ""
    try:
        parsed = pydantic_core.from_json(output[begins:], allow_partial="trailing-strings")
    except ValueError:
        return ""
    text = parsed.get("text") if isinstance(parsed, dict) else None
    return text if isinstance(text, str) else ""


def _citation(hit: records.PassageHit) -> records.Citation:
    return records.Citation(
        passage_id=hit.passage_id, title=hit.title, heading=hit.heading, url=hit.url
    )


def _offline_reply(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
    """Search once with the question, then quote the best passages, cited."""
    passages = transcript.last_tool_result(messages, tool_name="search_docs")
    if passages is None:
        query = transcript.last_user_prompt(messages)
        return ModelResponse(parts=[ToolCallPart("search_docs", {"query": query})])
    output_tool = info.output_tools[0].name
    if not passages:
        return ModelResponse(
            parts=[ToolCallPart(output_tool, {"text": NOTHING_FOUND, "found_answer": False})]
        )
    quoted = passages[:QUOTED_PASSAGES]
    answer = {
        "text": _quotation(OFFLINE_INTRO, quoted),
        "passage_ids": [passage["id"] for passage in quoted],
    }
    return ModelResponse(parts=[ToolCallPart(output_tool, answer)])


def _quotation(intro: str, passages: list[dict[str, Any]]) -> str:
    """The passages quoted one after the other, each with where it comes from and its number."""
    lines = [intro]
    for number, passage in enumerate(passages, start=1):
        where = records.place_in_document(title=passage["title"], heading=passage["heading"])
        lines.append(f"\n*{where}* [{number}]\n{_quote(passage['text'])}")
    return "\n".join(lines)


def _quote(text: str) -> str:
    excerpt = text.strip()
    if len(excerpt) > QUOTE_CHARACTERS:
        excerpt = excerpt[:QUOTE_CHARACTERS].rsplit(" ", 1)[0] + " …"
    return "\n".join(f"> {line}" if line.strip() else ">" for line in excerpt.splitlines())


OFFLINE_MODEL = models.offline_model(_offline_reply)
