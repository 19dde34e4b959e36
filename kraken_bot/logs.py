"""The JSON log format (`LOG_FORMAT=json`): one object a line, for log collectors.

Each line carries the Slack event id and the question id it is about, when known (see
`application.log_context`), so one question can be followed from the event's arrival to its answer
with a single filter.
"""

import datetime as dt
import json
import logging
from typing import Any

from application import log_context


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
