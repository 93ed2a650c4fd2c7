"""Structured log lines that carry the request id.

:func:`configure_logging` puts one handler on the root logger: JSON lines (one object
per line, for a log pipeline), logfmt (``key=value``), or readable console lines for
development. Every record passes :class:`RequestContext`, which adds ``request_id``
(and ``job``/``job_id`` inside a job), so lines written by the app, by Nitro and by
libraries during one request share its id — in the web process and in the worker that
runs the jobs the request enqueued.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from typing import IO, Any, Literal

from nitro.observability.context import current_job, current_request_id

__all__ = [
    "ConsoleFormatter",
    "JSONFormatter",
    "LogfmtFormatter",
    "RequestContext",
    "configure_logging",
]

LogFormat = Literal["json", "logfmt", "console"]

# What every LogRecord has; anything else on a record came from ``extra=``.
_STANDARD = frozenset(
    set(vars(logging.LogRecord("", 0, "", 0, "", None, None)))
    | {"message", "asctime", "request_id", "taskName"}
)


class RequestContext(logging.Filter):
    """Adds ``record.request_id`` (``None`` outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = current_request_id()
        job = current_job.get()
        if job is not None and not hasattr(record, "job"):
            record.job, record.job_id = job
        return True


def _fields(record: logging.LogRecord) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "time": _timestamp(record.created),
        "level": record.levelname.lower(),
        "logger": record.name,
        "message": record.getMessage(),
    }
    request_id = getattr(record, "request_id", None)
    if request_id is not None:
        fields["request_id"] = request_id
    for key, value in record.__dict__.items():
        if key not in _STANDARD and not key.startswith("_"):
            fields[key] = value
    return fields


def _timestamp(created: float) -> str:
    seconds = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(created))
    return f"{seconds}.{int(created % 1 * 1000):03d}Z"


class JSONFormatter(logging.Formatter):
    """One JSON object per line; the traceback, if any, in ``exception``."""

    def format(self, record: logging.LogRecord) -> str:
        fields = _fields(record)
        if record.exc_info:
            fields["exception"] = self.formatException(record.exc_info)
        return json.dumps(fields, default=str, ensure_ascii=False)


class LogfmtFormatter(logging.Formatter):
    """``time=... level=info logger=... message="..." request_id=...``"""

    def format(self, record: logging.LogRecord) -> str:
        fields = _fields(record)
        if record.exc_info:
            fields["exception"] = self.formatException(record.exc_info)
        return " ".join(f"{key}={_logfmt(value)}" for key, value in fields.items())


def _logfmt(value: Any) -> str:
    text = str(value)
    if text and all(c.isalnum() or c in "-_.:/@+" for c in text):
        return text
    return json.dumps(text, ensure_ascii=False)  # quoted, newlines escaped


class ConsoleFormatter(logging.Formatter):
    """``12:00:01 INFO  nitro.access  [3f2a…]  POST /Counter/1/increment 200 1.2 ms``"""

    def format(self, record: logging.LogRecord) -> str:
        clock = time.strftime("%H:%M:%S", time.localtime(record.created))
        request_id = getattr(record, "request_id", None)
        tag = f"  [{request_id[:8]}]" if request_id else ""
        line = f"{clock} {record.levelname:<5} {record.name}{tag}  {record.getMessage()}"
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


_FORMATTERS: dict[str, type[logging.Formatter]] = {
    "json": JSONFormatter,
    "logfmt": LogfmtFormatter,
    "console": ConsoleFormatter,
}


class _NitroHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """The handler :func:`configure_logging` installs (found again to be replaced)."""


def configure_logging(
    format: LogFormat = "json", level: int | str = "INFO", stream: IO[str] | None = None
) -> logging.Handler:
    """Send the root logger's records to *stream* (stderr) in *format*.

    Calling it again replaces the handler it installed before; handlers installed by
    others (a server's own) are left alone.
    """
    if format not in _FORMATTERS:
        raise ValueError(f"log format must be one of {sorted(_FORMATTERS)}, not {format!r}")
    root = logging.getLogger()
    for handler in [h for h in root.handlers if isinstance(h, _NitroHandler)]:
        root.removeHandler(handler)
    handler = _NitroHandler(stream if stream is not None else sys.stderr)
    handler.setFormatter(_FORMATTERS[format]())
    handler.addFilter(RequestContext())
    root.addHandler(handler)
    root.setLevel(level if isinstance(level, int) else level.upper())
    return handler
