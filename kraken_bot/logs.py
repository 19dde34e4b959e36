"""The log formats: text (`LOG_FORMAT=text`), one line a message, and JSON (`LOG_FORMAT=json`),
one object a line, for log collectors.

Messages carry request data (an event id, a path, a person's words). In the text format their
control characters are escaped, since a newline among them would start a forged log line; JSON
escapes them itself.

Each JSON line carries the Slack event id and the question id it is about, when known (see
`application.log_context`), so one question can be followed from the event's arrival to its answer
with a single filter.

procrastinate logs the start and the success of every job. The periodic jobs that keep the queues
and the sources moving run every 30 s or every minute, and would fill the log with those lines:
only what they do, and how they fail, is logged. Those lines write each job's call whole: the
arguments that are private to a person are hidden from them.
"""

import datetime as dt
import json
import logging
import re
from typing import Any

from application import log_context

# C0 and C1 controls (newline, carriage return, escape, NEL, …) and Unicode's line separators.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


class TextFormatter(logging.Formatter):
    def formatMessage(self, record: logging.LogRecord) -> str:  # noqa: N802  # logging names it
        return _CONTROL.sub(_escaped, super().formatMessage(record))


def _escaped(control: re.Match[str]) -> str:
    return control.group().encode("unicode_escape").decode()


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "process": record.process,
        }
        if (event_id := log_context.event_id.get()) is not None:
            line["event_id"] = event_id
        if (question_id := log_context.question_id.get()) is not None:
            line["question_id"] = question_id
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


# The periodic jobs of `kraken_bot.tasks` that run every minute or more often.
_FREQUENT_CHORES = frozenset({"retry_stalled_jobs", "sync_due_sources"})
# procrastinate's names (the `action` of its log records) for a job's start and its success.
_ROUTINE = frozenset({"start_job", "job_success"})


class QuietChores(logging.Filter):
    """Leaves out the lines of each start and success of the frequent periodic jobs."""

    def filter(self, record: logging.LogRecord) -> bool:
        job = getattr(record, "job", None)
        return not (
            getattr(record, "action", None) in _ROUTINE
            and isinstance(job, dict)
            and job.get("task_name") in _FREQUENT_CHORES
        )


# The job arguments no log line shows: a `/kraken` question, which only its asker sees, and
# Slack's `response_url`, with which anyone may post to the conversation for half an hour.
PRIVATE_ARGUMENTS = ("text", "response_url")
HIDDEN = "…"
# An argument as procrastinate writes a job's call (`name=repr(value)`), quoted either way.
_PRIVATE_ARGUMENT = re.compile(
    rf"\b({'|'.join(PRIVATE_ARGUMENTS)})=('(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\")"
)


class PrivateArguments(logging.Filter):
    """Hides the private arguments of jobs in procrastinate's lines: each line of a job's start
    and end writes its call whole, and its record carries the arguments too."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        hidden = _PRIVATE_ARGUMENT.sub(rf"\1={HIDDEN!r}", message)
        if hidden != message:
            record.msg, record.args = hidden, ()
        job = getattr(record, "job", None)
        if isinstance(job, dict) and isinstance(job.get("task_kwargs"), dict):
            arguments = job["task_kwargs"]
            record.job = {
                **job,
                "call_string": _PRIVATE_ARGUMENT.sub(rf"\1={HIDDEN!r}", job.get("call_string", "")),
                "task_kwargs": {
                    name: HIDDEN if name in PRIVATE_ARGUMENTS else value
                    for name, value in arguments.items()
                },
            }
        return True
