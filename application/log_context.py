"""The ids a log line is about, so one question can be followed through the log.

Set where they become known (the Slack event's id when it is received and again when its job
starts, the question's id once it is stored); the JSON log format writes them on every line logged
in that context. Context variables follow each request and each background job, never leaking
from one to another.
"""

from contextvars import ContextVar

event_id: ContextVar[str | None] = ContextVar("event_id", default=None)
question_id: ContextVar[int | None] = ContextVar("question_id", default=None)
