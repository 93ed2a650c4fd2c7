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


_second: tuple[int, str] = (-1, "")


def _timestamp(created: float) -> str:
    global _second
    whole = int(created)
    if _second[0] != whole:  # strftime once a second, not once a line
        _second = (whole, time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(whole)))
    return f"{_second[1]}.{int(created % 1 * 1000):03d}Z"


class _FieldsFormatter(logging.Formatter):
    """A formatter of the fields :func:`_fields` collects (also used without a record,
    by :func:`access_line`)."""

    def format(self, record: logging.LogRecord) -> str:
        fields = _fields(record)
        if record.exc_info:
            fields["exception"] = self.formatException(record.exc_info)
        return self.format_fields(fields)

    def format_fields(self, fields: dict[str, Any]) -> str:
        raise NotImplementedError


class JSONFormatter(_FieldsFormatter):
    """One JSON object per line; the traceback, if any, in ``exception``."""

    def format_fields(self, fields: dict[str, Any]) -> str:
        return json.dumps(fields, default=str, ensure_ascii=False)


class LogfmtFormatter(_FieldsFormatter):
    """``time=... level=info logger=... message="..." request_id=...``"""

    def format_fields(self, fields: dict[str, Any]) -> str:
        return " ".join(f"{key}={_logfmt(value)}" for key, value in fields.items())


def _logfmt(value: Any) -> str:
    text = str(value)
    if text and all(c.isalnum() or c in "-_.:/@+" for c in text):
        return text
    return json.dumps(text, ensure_ascii=False)  # quoted, newlines escaped


class ConsoleFormatter(_FieldsFormatter):
    """``12:00:01 INFO  nitro.access  [3f2a…]  POST /Counter/1/increment 200 1.2 ms``"""

    def format(self, record: logging.LogRecord) -> str:
        line = self._line(
            record.created, record.levelname, record.name, record.getMessage(),
            getattr(record, "request_id", None),
        )  # fmt: skip
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line

    def format_fields(self, fields: dict[str, Any]) -> str:
        return self._line(
            fields["created"], fields["level"].upper(), fields["logger"], fields["message"],
            fields.get("request_id"),
        )  # fmt: skip

    @staticmethod
    def _line(created: float, level: str, name: str, message: str, request_id: Any) -> str:
        clock = time.strftime("%H:%M:%S", time.localtime(created))
        tag = f"  [{request_id[:8]}]" if request_id else ""
        return f"{clock} {level:<5} {name}{tag}  {message}"


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


access_logger = logging.getLogger("nitro.access")


def access_line(message: str, request_id: str | None, **extra: Any) -> None:
    """Log *message* on ``nitro.access`` at INFO with *extra* fields.

    One line per request is the hot path of logging: when the line would only reach the
    handler :func:`configure_logging` installed (no handler, filter or level of the
    app's own on the way), it is formatted and written directly, without building a
    ``LogRecord`` and looking up its caller; the line is the same.
    """
    logger = access_logger
    if not logger.isEnabledFor(logging.INFO):
        return
    root = logging.root
    handlers = root.handlers
    if (
        len(handlers) == 1
        and type(handlers[0]) is _NitroHandler
        and not logger.handlers
        and not logger.filters
        and logger.propagate
        and not root.filters
        and handlers[0].level <= logging.INFO
    ):
        handler = handlers[0]
        formatter = handler.formatter
        if isinstance(formatter, _FieldsFormatter):
            now = time.time()
            fields: dict[str, Any] = {
                "time": _timestamp(now),
                "level": "info",
                "logger": "nitro.access",
                "message": message,
            }
            if request_id is not None:
                fields["request_id"] = request_id
            fields.update(extra)
            if type(formatter) is ConsoleFormatter:
                fields["created"] = now
            line = formatter.format_fields(fields)
            with handler.lock:  # type: ignore[union-attr]
                handler.stream.write(line + handler.terminator)
                handler.stream.flush()
            return
    logger.info(message, extra=extra)
