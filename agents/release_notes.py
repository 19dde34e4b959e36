"""The release-notes writer: commits (and pull requests when known) in, grouped notes out.

Every change given must appear in the notes: a change the model leaves out is sent back to it, and
the offline model puts commits that follow no convention under "Other changes" rather than
dropping them. A long range is summarised for the model: it writes the `MAX_CHANGES_FOR_MODEL`
most important changes and is told how many more there are of each kind; the rest are then listed
by the offline grouping, so the notes still hold every change without overflowing the prompt.
"""

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal, TypedDict

from pydantic import BaseModel, Field
from pydantic_ai import Agent, ModelRetry, RunContext
from pydantic_ai.messages import ModelMessage, ModelResponse, ToolCallPart
from pydantic_ai.models.function import AgentInfo

from agents import errors, models, transcript, usage
from agents.limits import run_limits
from domain import records

SectionTitle = Literal[
    "Breaking changes",
    "Features",
    "Fixes",
    "Performance",
    "Documentation",
    "Internal",
    "Other changes",
]
SECTION_ORDER: tuple[SectionTitle, ...] = (
    "Breaking changes",
    "Features",
    "Fixes",
    "Performance",
    "Documentation",
    "Internal",
    "Other changes",
)

# Enough for a model to write good notes from, well inside any model's context window.
MAX_CHANGES_FOR_MODEL = 200

_CONVENTIONAL = re.compile(r"^(?P<type>[a-z]+)(\([^)]*\))?(?P<breaking>!)?:\s*(?P<text>.+)$", re.I)
_TYPE_SECTIONS: dict[str, SectionTitle] = {
    "feat": "Features",
    "feature": "Features",
    "fix": "Fixes",
    "bugfix": "Fixes",
    "perf": "Performance",
    "docs": "Documentation",
    "doc": "Documentation",
    "refactor": "Internal",
    "chore": "Internal",
    "ci": "Internal",
    "build": "Internal",
    "test": "Internal",
    "tests": "Internal",
    "style": "Internal",
}
_LABEL_SECTIONS: dict[str, SectionTitle] = {
    "breaking": "Breaking changes",
    "breaking-change": "Breaking changes",
    "feature": "Features",
    "enhancement": "Features",
    "bug": "Fixes",
    "fix": "Fixes",
    "performance": "Performance",
    "documentation": "Documentation",
    "docs": "Documentation",
    "internal": "Internal",
    "chore": "Internal",
    "dependencies": "Internal",
}
_KEYWORD_SECTIONS: tuple[tuple[re.Pattern[str], SectionTitle], ...] = (
    (re.compile(r"\b(fix(es|ed)?|bug|crash|broken)\b", re.I), "Fixes"),
    (re.compile(r"\b(faster|speed ?up|perf(ormance)?|latency)\b", re.I), "Performance"),
    (re.compile(r"\b(docs?|readme|documentation)\b", re.I), "Documentation"),
    (re.compile(r"^(add|adds|added|introduce|support|allow|enable)\b", re.I), "Features"),
)


@dataclass(frozen=True, kw_only=True)
class Commit:
    sha: str
    subject: str
    author: str
    body: str = ""
    pr_number: int | None = None
    pr_title: str = ""
    labels: tuple[str, ...] = field(default=())
    co_authors: tuple[str, ...] = field(default=())

    @property
    def reference(self) -> str:
        """How the notes point at the change: its pull request, else its short sha."""
        return f"#{self.pr_number}" if self.pr_number else self.sha[:7]


class Change(TypedDict):
    """A change as the writer sees it."""

    reference: str
    title: str
    body: str
    # By a "!" after its type, or in the footer of its whole body, which `body` may leave out.
    breaking: bool
    labels: list[str]
    author: str


class Prompt(TypedDict):
    """What the writer is sent: the changes to write, and how many more of each kind there are."""

    changes: list[Change]
    not_shown: dict[str, int]


class ReleaseSection(BaseModel):
    title: SectionTitle
    items: list[str] = Field(
        description="One line per user-visible change, ending with its reference."
    )


class ReleaseNotes(BaseModel):
    sections: list[ReleaseSection] = Field(default_factory=list)
    contributors: list[str] = Field(default_factory=list)


@dataclass(frozen=True, kw_only=True)
class WrittenNotes:
    notes: ReleaseNotes
    usage: records.Usage


@dataclass(frozen=True, kw_only=True)
class WriterDeps:
    references: tuple[str, ...]


INSTRUCTIONS = """\
Write release notes from the changes you are given (JSON: `changes`, each with reference, title,
body, breaking, labels, author; a change marked breaking goes under Breaking changes). Group them
into these sections, in this order, leaving out empty ones:
Breaking changes, Features, Fixes, Performance, Documentation, Internal, Other changes. Write one
line per change in plain words a user understands, ending with its reference in parentheses, e.g.
"(#42)" or "(a1b2c3d)". Every reference must appear in the notes. `not_shown` counts the further
changes of each section that are listed after your notes: do not write lines for them."""

release_notes_writer = Agent(
    output_type=ReleaseNotes,
    deps_type=WriterDeps,
    instructions=INSTRUCTIONS,
    retries=2,
    name="release_notes_writer",
)


@release_notes_writer.output_validator
def _mentions_every_change(ctx: RunContext[WriterDeps], notes: ReleaseNotes) -> ReleaseNotes:
    written = "\n".join(item for section in notes.sections for item in section.items)
    missing = [reference for reference in ctx.deps.references if not _cited(reference, written)]
    if missing:
        raise ModelRetry(f"These changes are missing from the notes: {', '.join(missing)}")
    return notes


def _cited(reference: str, written: str) -> bool:
    """Whether the reference is written whole: #4 is not when only #42 is."""
    return re.search(rf"(?<![0-9A-Za-z]){re.escape(reference)}(?![0-9A-Za-z])", written) is not None


async def write_release_notes(
    *, commits: Sequence[Commit], max_changes: int = MAX_CHANGES_FOR_MODEL
) -> WrittenNotes:
    """Group the changes into release-note sections: the model writes the `max_changes` most
    important ones, the offline grouping lists the rest after them.

    Raises: UnableToAnswer.
    """
    changes = [_change(commit) for commit in commits]
    shown, rest = _most_important(changes, max_changes)
    remaining = group_offline(rest)
    prompt = Prompt(
        changes=shown,
        not_shown={section.title: len(section.items) for section in remaining.sections},
    )
    deps = WriterDeps(references=tuple(change["reference"] for change in shown))
    limits = run_limits("release_notes")
    async with errors.model_failures_as(
        "Unable to write the release notes", within_s=limits.deadline_s
    ):
        result = await release_notes_writer.run(
            json.dumps(prompt, ensure_ascii=False),
            deps=deps,
            model=models.select_model(offline=OFFLINE_MODEL),
            model_settings=models.model_settings(limits),
            usage_limits=models.USAGE_LIMITS,
        )
    notes = _joined(result.output, remaining, contributors=_contributors(commits))
    return WrittenNotes(notes=notes, usage=usage.usage_of(result))


def write_offline_notes(*, commits: Sequence[Commit]) -> WrittenNotes:
    """The deterministic notes of every change, without any model: what the notes fall back to
    when the model fails."""
    notes = group_offline([_change(commit) for commit in commits])
    return WrittenNotes(
        notes=notes.model_copy(update={"contributors": _contributors(commits)}),
        usage=records.Usage(model_name=models.OFFLINE_MODEL_NAME),
    )


def group_offline(changes: Sequence[Change]) -> ReleaseNotes:
    """Deterministic notes: Conventional Commit prefixes, then labels, then keywords."""
    sections: dict[SectionTitle, list[str]] = {}
    for change in changes:
        title, text = _section_and_text(change)
        sections.setdefault(title, []).append(f"{text} ({change['reference']})")
    return ReleaseNotes(
        sections=[
            ReleaseSection(title=title, items=sections[title])
            for title in SECTION_ORDER
            if title in sections
        ],
        contributors=list(dict.fromkeys(change["author"] for change in changes)),
    )


def _change(commit: Commit) -> Change:
    title = commit.pr_title or commit.subject
    conventional = _conventional(title.strip())
    return Change(
        reference=commit.reference,
        title=title,
        body=commit.body[:500],
        breaking="BREAKING CHANGE" in commit.body
        or bool(conventional and conventional["breaking"]),
        labels=list(commit.labels),
        author=commit.author,
    )


def _most_important(changes: list[Change], limit: int) -> tuple[list[Change], list[Change]]:
    """The `limit` changes of the highest sections, and the rest, each in their original order."""
    rank = {title: index for index, title in enumerate(SECTION_ORDER)}
    by_importance = sorted(
        range(len(changes)), key=lambda index: rank[_section_and_text(changes[index])[0]]
    )
    chosen = set(by_importance[:limit])
    shown = [change for index, change in enumerate(changes) if index in chosen]
    rest = [change for index, change in enumerate(changes) if index not in chosen]
    return shown, rest


def _joined(
    written: ReleaseNotes, remaining: ReleaseNotes, *, contributors: list[str]
) -> ReleaseNotes:
    items: dict[SectionTitle, list[str]] = {}
    for section in (*written.sections, *remaining.sections):
        items.setdefault(section.title, []).extend(section.items)
    return ReleaseNotes(
        sections=[
            ReleaseSection(title=title, items=items[title])
            for title in SECTION_ORDER
            if items.get(title)
        ],
        contributors=contributors,
    )


def _contributors(commits: Sequence[Commit]) -> list[str]:
    names = (name for commit in commits for name in (commit.author, *commit.co_authors))
    return list(dict.fromkeys(name for name in names if name))


def _section_and_text(change: Change) -> tuple[SectionTitle, str]:
    title = change["title"].strip()
    labels = [label.lower() for label in change["labels"]]
    if change["breaking"]:
        return "Breaking changes", _without_prefix(title)
    if match := _conventional(title):
        return _TYPE_SECTIONS[match["type"].lower()], _capitalised(match["text"])
    for label in labels:
        if section := _LABEL_SECTIONS.get(label):
            return section, _without_prefix(title)
    for pattern, section in _KEYWORD_SECTIONS:
        if pattern.search(title):
            return section, _without_prefix(title)
    return "Other changes", _without_prefix(title)


def _without_prefix(title: str) -> str:
    match = _conventional(title)
    return _capitalised(match["text"] if match else title)


def _conventional(title: str) -> re.Match[str] | None:
    """A Conventional Commit prefix, only of a known type: "Foundation: …" is a plain title."""
    match = _CONVENTIONAL.match(title)
    return match if match and match["type"].lower() in _TYPE_SECTIONS else None


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


def _offline_reply(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
    prompt: Prompt = json.loads(transcript.last_user_prompt(messages))
    notes = group_offline(prompt["changes"])
    return ModelResponse(parts=[ToolCallPart(info.output_tools[0].name, notes.model_dump())])


OFFLINE_MODEL = models.offline_model(_offline_reply)
