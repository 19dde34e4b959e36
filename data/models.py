"""Thin models of Kraken Bot: the rules they keep are database constraints."""

from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone


class QuestionSource(models.TextChoices):
    SLACK = "slack", "Slack"
    CONSOLE = "console", "Console"
    ADMIN = "admin", "Admin"


class QuestionStatus(models.TextChoices):
    RECEIVED = "received", "Received"
    ANSWERING = "answering", "Answering"
    ANSWERED = "answered", "Answered"
    FAILED = "failed", "Failed"


class FeedbackScore(models.IntegerChoices):
    UP = 1, "👍"
    DOWN = -1, "👎"


class Question(models.Model):
    """A question someone asked the bot, and what became of it."""

    Source = QuestionSource
    Status = QuestionStatus

    source = models.CharField(max_length=16, choices=QuestionSource.choices)
    team_id = models.CharField(max_length=32, blank=True)
    channel_id = models.CharField(max_length=32, blank=True)
    user_id = models.CharField(max_length=32, blank=True)
    thread_ts = models.CharField(max_length=32, blank=True)
    message_ts = models.CharField(max_length=32, blank=True)
    event_id = models.CharField(max_length=64, unique=True, null=True, blank=True)
    text = models.TextField()
    category = models.CharField(max_length=64, blank=True)
    status = models.CharField(
        max_length=16, choices=QuestionStatus.choices, default=QuestionStatus.RECEIVED
    )
    answer = models.TextField(blank=True)
    sources = models.JSONField(default=list, blank=True)
    model_name = models.CharField(max_length=128, blank=True)
    input_tokens = models.PositiveIntegerField(null=True, blank=True)
    output_tokens = models.PositiveIntegerField(null=True, blank=True)
    cost = models.DecimalField(max_digits=12, decimal_places=6, null=True, blank=True)
    timings = models.JSONField(default=dict, blank=True)
    # The "total" of `timings`, kept as a column so the dashboard's percentiles are sorted by the
    # database on both SQLite and PostgreSQL.
    total_ms = models.FloatField(null=True, blank=True)
    error = models.TextField(blank=True)
    # The model failed (its error is in `error`), and the person was given the documentation's
    # best passages, quoted and cited, instead.
    answered_by_fallback = models.BooleanField(default=False)
    reply_ts = models.CharField(max_length=32, blank=True)
    created_at = models.DateTimeField()
    answered_at = models.DateTimeField(null=True, blank=True)
    # The channel settings the question was answered with: whose (a channel's id, or empty for
    # the default), the collections searched (empty: all), and whether only the asker saw it.
    settings_channel_id = models.CharField(max_length=32, blank=True)
    collections = models.JSONField(default=list, blank=True)
    answered_privately = models.BooleanField(default=False)
    # When the asker showed a private answer to everyone, in the thread; it is shown once.
    shared_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["-created_at", "-id"], name="question_newest_idx"),
            models.Index(fields=["status", "-created_at"], name="question_status_idx"),
            models.Index(fields=["category", "-created_at"], name="question_category_idx"),
            models.Index(fields=["source", "-created_at"], name="question_source_idx"),
            models.Index(fields=["channel_id", "-created_at"], name="question_channel_idx"),
            models.Index(fields=["team_id", "channel_id", "thread_ts"], name="question_thread_idx"),
            models.Index(fields=["total_ms"], name="question_total_time_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(source__in=QuestionSource.values), name="question_source_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=QuestionStatus.values), name="question_status_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(cost__isnull=True) | models.Q(cost__gte=0),
                name="question_cost_not_negative",
            ),
            models.CheckConstraint(
                condition=~models.Q(status=QuestionStatus.ANSWERED)
                | models.Q(answered_at__isnull=False),
                name="question_answered_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"Question {self.pk}: {self.text[:60]}"


class InboundEvent(models.Model):
    """The inbox: one row per Slack event id, recorded before the event is acknowledged. The
    event's question, once stored, is the one that keeps its event id (`field_of_its_question`)."""

    event_id = models.CharField(max_length=64, unique=True)
    message_key = models.CharField(max_length=128, unique=True, null=True, blank=True)
    team_id = models.CharField(max_length=32, blank=True)
    event_type = models.CharField(max_length=64)
    payload = models.JSONField()
    received_at = models.DateTimeField()
    # The message the event's answer is shown in, from when it first appears in Slack: answering
    # the event again replaces it rather than adding a second reply.
    reply_ts = models.CharField(max_length=32, blank=True)
    # When the bot finished with the event, whatever it did (an answer, a one-line hint): a job
    # run again for it does nothing.
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["received_at"], name="inboundevent_received_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} {self.event_id}"


def field_of_its_question(field: str) -> models.Subquery:
    """For annotating inbound events: a field of the event's question, if one was stored (the
    question keeps its event's id)."""
    return models.Subquery(
        Question.objects.filter(event_id=models.OuterRef("event_id")).values(field)[:1]
    )


class Feedback(models.Model):
    """One person's 👍 or 👎 on one answer; a second click changes it."""

    Score = FeedbackScore

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="feedback")
    user_id = models.CharField(max_length=32)
    score = models.SmallIntegerField(choices=FeedbackScore.choices)
    comment = models.TextField(blank=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        verbose_name_plural = "feedback"
        constraints = [
            models.UniqueConstraint(
                fields=["question", "user_id"], name="feedback_one_per_user_per_question"
            ),
            models.CheckConstraint(
                condition=models.Q(score__in=FeedbackScore.values), name="feedback_score_valid"
            ),
        ]
        indexes = [models.Index(fields=["score"], name="feedback_score_idx")]

    def __str__(self) -> str:
        return f"{self.get_score_display()} from {self.user_id} on question {self.question_id}"


# A document's longest collection name, path and link: indexing checks them before storing.
DOCUMENT_COLLECTION_LENGTH = 100
DOCUMENT_PATH_LENGTH = 1000
DOCUMENT_URL_LENGTH = 2000
# An anchor longer than this is no heading's: the passage links to its document's top.
PASSAGE_ANCHOR_LENGTH = 500


class ChannelAnswers(models.TextChoices):
    MENTIONS = "mentions", "Only when mentioned"
    EVERY_QUESTION = "every_question", "Every question posted in the channel"


class WhenDisabled(models.TextChoices):
    SILENT = "silent", "Stay silent"
    NOTE = "note", "Tell the asker, in a note only they see"


# The longest instructions a channel's settings give the answerer.
CHANNEL_INSTRUCTIONS_LENGTH = 2000


class ChannelSettings(models.Model):
    """How the bot behaves in one Slack channel, set by its owners in the admin. The row with an
    empty `channel_id` is the default: for channels without a row of their own, and for direct
    messages. `name` is the channel's name as Slack last gave it."""

    Answers = ChannelAnswers
    WhenDisabled = WhenDisabled

    channel_id = models.CharField(max_length=32, unique=True, blank=True)
    name = models.CharField(max_length=200, blank=True)
    enabled = models.BooleanField(default=True)
    when_disabled = models.CharField(
        max_length=16, choices=WhenDisabled.choices, default=WhenDisabled.NOTE
    )
    answers = models.CharField(
        max_length=16, choices=ChannelAnswers.choices, default=ChannelAnswers.MENTIONS
    )
    # Collection names to search; empty: all of them.
    collections = models.JSONField(default=list, blank=True)
    private_answers = models.BooleanField(default=False)
    instructions = models.CharField(max_length=CHANNEL_INSTRUCTIONS_LENGTH, blank=True)
    # A pydantic-ai model string for this channel's answers; empty: `LLM_MODEL`.
    model = models.CharField(max_length=200, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "channel settings"
        verbose_name_plural = "channel settings"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(answers__in=ChannelAnswers.values),
                name="channelsettings_answers_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(when_disabled__in=WhenDisabled.values),
                name="channelsettings_when_disabled_valid",
            ),
        ]

    def __str__(self) -> str:
        if not self.channel_id:
            return "Default (other channels and direct messages)"
        return f"#{self.name} ({self.channel_id})" if self.name else self.channel_id


class SourceKind(models.TextChoices):
    FOLDER = "folder", "Folder"
    GIT = "git", "Git repository"
    WEBSITE = "website", "Web site"
    CONFLUENCE = "confluence", "Confluence space"
    NOTION = "notion", "Notion"


class SyncOutcome(models.TextChoices):
    NEVER = "never", "Never synced"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class Source(models.Model):
    """Where a collection's documents come from, and how its last sync went.

    `location` is the folder, the repository, the start page, the Confluence site or the Notion
    database or page; `options` holds what its kind needs besides (branch, base URL, include and
    exclude patterns, space). `credentials` names the environment variables that hold secrets
    (`{"token": "CONFLUENCE_TOKEN"}`): secrets themselves are never stored. A sync runs every
    `every_minutes` when that is set."""

    Kind = SourceKind
    Outcome = SyncOutcome

    name = models.CharField(max_length=100, unique=True)
    kind = models.CharField(max_length=16, choices=SourceKind.choices)
    collection = models.CharField(max_length=DOCUMENT_COLLECTION_LENGTH)
    location = models.CharField(max_length=2000)
    options = models.JSONField(default=dict, blank=True)
    credentials = models.JSONField(default=dict, blank=True)
    every_minutes = models.PositiveIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1)]
    )
    outcome = models.CharField(
        max_length=16, choices=SyncOutcome.choices, default=SyncOutcome.NEVER
    )
    sync_started_at = models.DateTimeField(null=True, blank=True)
    sync_finished_at = models.DateTimeField(null=True, blank=True)
    # While a sync runs: how far it has got, in a few words.
    progress = models.CharField(max_length=200, blank=True)
    added = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    removed = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0)
    # The documents the last sync skipped, as {"path": …, "reason": …}, the first hundred.
    skipped_documents = models.JSONField(default=list, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=SourceKind.values), name="source_kind_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(outcome__in=SyncOutcome.values), name="source_outcome_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(every_minutes__isnull=True) | models.Q(every_minutes__gt=0),
                name="source_every_minutes_positive",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Document(models.Model):
    """One indexed document: a file, a page. `checksum` is its version at its source (a content
    checksum, a git blob id, an ETag, a page's version), which tells a sync whether it changed."""

    collection = models.CharField(max_length=DOCUMENT_COLLECTION_LENGTH)
    path = models.CharField(max_length=DOCUMENT_PATH_LENGTH)
    url = models.URLField(max_length=DOCUMENT_URL_LENGTH, blank=True)
    title = models.CharField(max_length=500)
    checksum = models.CharField(max_length=255)
    indexed_at = models.DateTimeField()
    # The source it was synced from; none for documents indexed before sources existed.
    source = models.ForeignKey(
        Source, on_delete=models.CASCADE, null=True, blank=True, related_name="documents"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["collection", "path"], name="document_unique_path_in_collection"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.collection}:{self.path}"


class Passage(models.Model):
    """A section of a document, the unit that search returns and answers cite."""

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="passages")
    position = models.PositiveIntegerField()
    heading = models.CharField(max_length=1000, blank=True)
    # The fragment that opens the passage's section in the document's page, when one is known.
    anchor = models.CharField(max_length=PASSAGE_ANCHOR_LENGTH, blank=True)
    text = models.TextField()
    checksum = models.CharField(max_length=64)
    indexed_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["document", "position"], name="passage_unique_position_in_document"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.document_id}#{self.position} {self.heading}"


class PassageVector(models.Model):
    """A passage's embedding by one embedding model: its float32 values, as bytes. A passage of a
    changed document is a new row, so its old vectors go with it."""

    passage = models.ForeignKey(Passage, on_delete=models.CASCADE, related_name="vectors")
    model = models.CharField(max_length=200)
    vector = models.BinaryField()
    # With the count of a model's vectors, tells a process whether the vectors it holds in memory
    # are still all of them: rows are only ever added or deleted, and ids can be reused.
    embedded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["passage", "model"], name="passagevector_one_per_model"
            ),
        ]
        indexes = [models.Index(fields=["model", "embedded_at"], name="passagevector_model_time")]

    def __str__(self) -> str:
        return f"{self.passage_id} by {self.model}"


class ReleaseNote(models.Model):
    """Release notes written for a range of a git repository.

    The range is kept as written (`from_ref`, `to_ref`) and as resolved (`from_sha`, `to_sha`;
    `from_sha` is empty when the range starts at the first commit), so that posting the same range
    again is recognised whatever the refs were called and wherever the repository was checked out
    (`repository`, the checkout's path, says where the notes were written). `llm_error` says why
    the model's notes were replaced by the offline grouping, and `warnings` lists every such
    fallback.
    """

    repository = models.CharField(max_length=500)
    from_ref = models.CharField(max_length=255)
    to_ref = models.CharField(max_length=255)
    from_sha = models.CharField(max_length=64, blank=True)
    to_sha = models.CharField(max_length=64)
    commit_count = models.PositiveIntegerField()
    markdown = models.TextField()
    model_name = models.CharField(max_length=128, blank=True)
    warnings = models.JSONField(default=list, blank=True)
    llm_error = models.TextField(blank=True)
    # As given to `--post`: a channel's id, or its name (up to Slack's 80 characters, with a "#").
    posted_channel = models.CharField(max_length=81, blank=True)
    posted_ts = models.CharField(max_length=32, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["repository", "from_ref", "to_ref"], name="releasenote_range_idx"),
            models.Index(fields=["-created_at"], name="releasenote_newest_idx"),
            models.Index(
                fields=["from_sha", "to_sha", "posted_channel"],
                name="releasenote_posted_range_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.repository} {self.from_ref}..{self.to_ref}"
