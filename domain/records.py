"""The values the domain hands to the layers above: frozen dataclasses, never ORM objects."""

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any
from urllib.parse import quote


class QuestionSource(StrEnum):
    SLACK = "slack"
    CONSOLE = "console"
    ADMIN = "admin"


class QuestionStatus(StrEnum):
    RECEIVED = "received"
    ANSWERING = "answering"
    ANSWERED = "answered"
    FAILED = "failed"


class ChannelAnswers(StrEnum):
    MENTIONS = "mentions"
    EVERY_QUESTION = "every_question"


@dataclass(frozen=True, kw_only=True)
class ChannelSettings:
    """How the bot behaves where a question is asked. `channel_id` names the channel whose own
    settings these are, and is empty for the default (other channels, direct messages).
    Disabled, the bot says nothing there, or with `note_when_disabled` a note only the asker sees.
    `collections` are those searched (empty: all); `model` overrides `LLM_MODEL` when set."""

    channel_id: str = ""
    enabled: bool = True
    note_when_disabled: bool = True
    answers: ChannelAnswers = ChannelAnswers.MENTIONS
    collections: tuple[str, ...] = ()
    private_answers: bool = False
    instructions: str = ""
    model: str = ""


@dataclass(frozen=True, kw_only=True)
class SlackOrigin:
    """Where in Slack a question was asked, so the answer can go back to the same thread."""

    team_id: str
    channel_id: str
    user_id: str
    thread_ts: str = ""
    message_ts: str = ""
    event_id: str | None = None


def place_in_document(*, title: str, heading: str) -> str:
    """Where a passage sits, "Title › Section › Subsection", without repeating the title when
    the heading path already starts with it."""
    if not heading or heading == title:
        return title
    if not title or heading.startswith(f"{title} › "):
        return heading
    return f"{title} › {heading}"


# What a fragment may hold as it is (RFC 3986), but for the parentheses that would end a
# Markdown link; anything else is percent-encoded.
_FRAGMENT_SAFE = "!$&'*+,;=:@/?-._~"


def passage_link(*, document_url: str, anchor: str) -> str:
    """The link that opens a passage: its document's, at the passage's section when its anchor is
    known and the link has no fragment of its own."""
    if not document_url or not anchor or "#" in document_url:
        return document_url
    return f"{document_url}#{quote(anchor, safe=_FRAGMENT_SAFE)}"


@dataclass(frozen=True, kw_only=True)
class Citation:
    """A passage an answer relied on, as shown under the answer."""

    passage_id: int
    title: str
    heading: str = ""
    url: str = ""

    @property
    def place(self) -> str:
        return place_in_document(title=self.title, heading=self.heading)


@dataclass(frozen=True, kw_only=True)
class Usage:
    """What answering cost: the model, its tokens, and the price when the model's is known."""

    model_name: str = ""
    input_tokens: int | None = None
    output_tokens: int | None = None
    cost: Decimal | None = None


# The category of a thread's summary, stored like a question's answer: it cites no documentation,
# and is never a gap in it.
SUMMARY = "summary"


@dataclass(frozen=True, kw_only=True)
class Answer:
    """An answer ready to be stored on its question. `model_error` says why the model could not
    answer, when the answer is the documentation's passages quoted instead (the fallback)."""

    text: str
    citations: tuple[Citation, ...] = ()
    category: str = ""
    usage: Usage = field(default_factory=Usage)
    timings_ms: Mapping[str, float] = field(default_factory=dict)
    reply_ts: str = ""
    model_error: str = ""


@dataclass(frozen=True, kw_only=True)
class Question:
    """A stored question with everything known about its answer so far."""

    id: int
    source: QuestionSource
    text: str
    status: QuestionStatus
    created_at: dt.datetime
    slack: SlackOrigin | None = None
    category: str = ""
    answer: str = ""
    citations: tuple[Citation, ...] = ()
    usage: Usage = field(default_factory=Usage)
    timings_ms: Mapping[str, float] = field(default_factory=dict)
    error: str = ""
    answered_by_fallback: bool = False
    reply_ts: str = ""
    answered_at: dt.datetime | None = None
    settings: ChannelSettings = field(default_factory=ChannelSettings)
    shared_at: dt.datetime | None = None


@dataclass(frozen=True, kw_only=True)
class InboundEvent:
    """A Slack event as recorded in the inbox."""

    id: int
    event_id: str
    team_id: str
    event_type: str
    payload: Mapping[str, Any]
    received_at: dt.datetime
    question_id: int | None = None
    reply_ts: str = ""
    done_at: dt.datetime | None = None


@dataclass(frozen=True, kw_only=True)
class Feedback:
    """One person's verdict on one answer: +1 or -1, with an optional comment."""

    question_id: int
    user_id: str
    score: int
    comment: str = ""
    updated_at: dt.datetime


@dataclass(frozen=True, kw_only=True)
class PassageHit:
    """A passage that matched a search, with its rank score and a snippet around the match, and
    its ranks by words and by meaning before the two were fused (None: not among the best)."""

    passage_id: int
    collection: str
    path: str
    url: str
    title: str
    heading: str
    text: str
    snippet: str
    score: float
    word_rank: int | None = None
    vector_rank: int | None = None


@dataclass(frozen=True, kw_only=True)
class Document:
    """An indexed file: where it is, what it is called, and the checksum of what was indexed."""

    id: int
    collection: str
    path: str
    url: str
    title: str
    checksum: str
    indexed_at: dt.datetime
    source_id: int | None = None


class SourceKind(StrEnum):
    FOLDER = "folder"
    GIT = "git"
    WEBSITE = "website"
    CONFLUENCE = "confluence"
    NOTION = "notion"


class SyncOutcome(StrEnum):
    NEVER = "never"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


@dataclass(frozen=True, kw_only=True)
class Source:
    """Where a collection's documents come from (see `data.models.Source`), and how its last
    sync went."""

    id: int
    name: str
    kind: SourceKind
    collection: str
    location: str
    options: Mapping[str, Any] = field(default_factory=dict)
    credentials: Mapping[str, str] = field(default_factory=dict)
    every_minutes: int | None = None
    outcome: SyncOutcome = SyncOutcome.NEVER
    sync_started_at: dt.datetime | None = None
    sync_finished_at: dt.datetime | None = None
    progress: str = ""
    last_error: str = ""


@dataclass(frozen=True, kw_only=True)
class SyncCounts:
    """What a sync did to a source's documents; `skipped` lists (path, reason)."""

    added: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0
    skipped: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, kw_only=True)
class DocumentLimits:
    """The longest collection name, path and link a document can be stored with, in characters."""

    collection: int
    path: int
    url: int


@dataclass(frozen=True, kw_only=True)
class ThreadMessage:
    """One message of a Slack thread, as context for an answer or a summary. `from_bot` marks
    this bot's own turns; other apps' messages are never taken for them. `ts` is its place in the
    thread, where known."""

    author: str
    text: str
    from_bot: bool = False
    ts: str = ""


@dataclass(frozen=True, kw_only=True)
class ReleaseNote:
    """Release notes as stored: the range they cover, their markdown, and where they were posted."""

    id: int
    repository: str
    from_ref: str
    to_ref: str
    from_sha: str
    to_sha: str
    commit_count: int
    markdown: str
    model_name: str
    warnings: tuple[str, ...]
    llm_error: str
    posted_channel: str
    posted_ts: str
    created_at: dt.datetime
