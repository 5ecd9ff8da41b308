"""Log lines as text (the default) or, with ``CORPUS_LOG_FORMAT=json``, one JSON object a line
carrying the request id of the request that logged it (access lines: its method, route,
status, duration and client too)."""

import json
import logging
import sys
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

# the id of the request this task or thread works for (app.web.requests sets it)
request_id: ContextVar[str | None] = ContextVar("request_id", default=None)
# what the access log's records carry, as ``extra={"http": {...}}``
HTTP_FIELDS = ("request_id", "method", "route", "path", "status", "duration_ms", "client")


class JsonFormatter(logging.Formatter):
    """``{"time", "level", "logger", "message", …}``: an access line adds its request's fields,
    any other line the id of the request it was logged in, and an exception its traceback."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        http = getattr(record, "http", None)
        if isinstance(http, dict):
            entry.update(http)
        elif (rid := getattr(record, "request_id", None)) is not None:
            entry["request_id"] = rid
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


class _WithRequestId(logging.Filter):
    """Notes the current request's id on a record as it is made, in the thread that made it."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = request_id.get()
        return True


def formatter(log_format: str) -> logging.Formatter:
    """The access log's formatter in this format (its text lines are the message itself)."""
    return JsonFormatter() if log_format == "json" else logging.Formatter("%(asctime)s %(message)s")


def configure(log_format: str) -> None:
    """In JSON, send the application's log (the root logger, which uvicorn's loggers reach when
    `corpus serve` gives uvicorn no logging configuration of its own) to stderr as JSON lines;
    once per process. The text format keeps the logging the process already has."""
    root = logging.getLogger()
    if log_format != "json" or any(isinstance(h.formatter, JsonFormatter) for h in root.handlers):
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(_WithRequestId())
    handler.setFormatter(JsonFormatter())
    root.handlers = [handler]
    for name in ("uvicorn", "uvicorn.error"):  # whatever handlers uvicorn set, ours instead
        logging.getLogger(name).handlers = []
        logging.getLogger(name).propagate = True
