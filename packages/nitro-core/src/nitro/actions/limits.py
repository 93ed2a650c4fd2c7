"""What one request may carry: a body size limit and a JSON nesting limit.

The body limit is the same on every adapter: ``max_body_bytes=`` given to
``configure_app`` (or ``mount``), else ``NITRO_MAX_BODY_BYTES`` read when the app is
configured, else :data:`DEFAULT_MAX_BODY_BYTES` (1 MiB). A declared ``Content-Length``
above it is refused (413) before a byte of the body is read; a body without one
(``Transfer-Encoding: chunked``) is counted as it arrives and refused as soon as it
passes the limit, so memory stays bounded either way.

JSON deeper than :data:`MAX_JSON_DEPTH` levels is refused with 400 rather than reaching
code (or Python's recursion limit) that would fail on it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import Any, BinaryIO

from pydantic_core import from_json

from nitro.actions.errors import ActionConfigurationError, BadRequest, RequestTooLarge

__all__ = [
    "DEFAULT_MAX_BODY_BYTES",
    "MAX_BODY_BYTES_ENV",
    "MAX_JSON_DEPTH",
    "check_content_length",
    "parse_json",
    "read_wsgi_body",
    "resolve_max_body_bytes",
]

#: The environment variable that sets the request body limit when
#: ``configure_app(max_body_bytes=)`` is not given.
MAX_BODY_BYTES_ENV = "NITRO_MAX_BODY_BYTES"
#: The default request body limit (1 MiB): larger bodies are refused with 413 before they are read.
DEFAULT_MAX_BODY_BYTES = 1024 * 1024
#: The deepest nesting of JSON an action accepts, so a crafted body cannot exhaust the parser's
#: stack.
MAX_JSON_DEPTH = 64

_READ_CHUNK = 64 * 1024


def resolve_max_body_bytes(
    max_body_bytes: int | None = None, environ: Mapping[str, str] | None = None
) -> int:
    """The argument, else ``NITRO_MAX_BODY_BYTES``, else 1 MiB.

    :raises ActionConfigurationError: the value is not a positive whole number of bytes.
    """
    source = "max_body_bytes"
    value: Any = max_body_bytes
    if value is None:
        raw = (os.environ if environ is None else environ).get(MAX_BODY_BYTES_ENV, "").strip()
        if not raw:
            return DEFAULT_MAX_BODY_BYTES
        source, value = MAX_BODY_BYTES_ENV, raw
        try:
            value = int(raw.replace("_", ""))
        except ValueError:
            value = raw
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ActionConfigurationError(
            f"{source} must be a positive number of bytes (e.g. 1048576 for 1 MiB), got {value!r}"
        )
    return int(value)


def check_content_length(headers: Mapping[str, str], limit: int) -> int | None:
    """The declared body length, or ``None`` when the request declares none.

    :raises RequestTooLarge: the declared length is above ``limit``.
    :raises BadRequest: ``Content-Length`` is not a number.
    """
    raw = headers.get("content-length")
    if raw is None or raw == "":
        return None
    try:
        length = int(raw)
    except ValueError:
        raise BadRequest("Invalid Content-Length header") from None
    if length < 0:
        raise BadRequest("Invalid Content-Length header")
    if length > limit:
        raise RequestTooLarge()
    return length


def read_wsgi_body(environ: Mapping[str, Any], limit: int) -> bytes:
    """The body of a WSGI request, read no further than ``limit`` bytes.

    With ``Content-Length``, exactly that many bytes (refused before reading when too
    many); without one, a chunked body the server decoded (``wsgi.input_terminated``,
    set by Werkzeug and Gunicorn) is read until it ends or passes the limit.

    :raises RequestTooLarge: the body is above ``limit``.
    """
    stream: BinaryIO = environ["wsgi.input"]
    length = check_content_length({"content-length": environ.get("CONTENT_LENGTH", "")}, limit)
    chunks: list[bytes] = []
    if length is not None:
        remaining = length
        while remaining > 0:
            chunk = stream.read(min(remaining, _READ_CHUNK))
            if not chunk:
                break
            chunks.append(chunk)
            remaining -= len(chunk)
        return b"".join(chunks)
    if not environ.get("wsgi.input_terminated"):
        return b""  # no length and no terminated stream: PEP 3333 says there is no body
    size = 0
    while True:
        chunk = stream.read(min(_READ_CHUNK, limit - size + 1))  # never far past the limit
        if not chunk:
            return b"".join(chunks)
        size += len(chunk)
        if size > limit:
            raise RequestTooLarge()
        chunks.append(chunk)


def parse_json(raw: str | bytes, where: str) -> Any:
    """``json.loads`` that refuses nesting deeper than :data:`MAX_JSON_DEPTH`.

    :raises ValueError: not JSON.
    :raises BadRequest: nested too deeply.
    """
    try:
        # pydantic-core's parser gives what json.loads gives, several times faster; what
        # it refuses (lone surrogates, a BOM, deep nesting, invalid JSON) goes to json.loads,
        # whose answer (a value or the error) stands.
        value = from_json(raw)
    except ValueError:
        try:
            value = json.loads(raw)
        except RecursionError:
            too_deep = True
        else:
            too_deep = _too_deep(raw, value)
    else:
        too_deep = _too_deep(raw, value)
    if too_deep:
        raise BadRequest(f"{where} is nested too deeply (the limit is {MAX_JSON_DEPTH} levels)")
    return value


def _too_deep(raw: str | bytes, value: Any) -> bool:
    # Each level opens a bracket: with few of them in the text, no walk is needed.
    if isinstance(raw, str):
        brackets = raw.count("{") + raw.count("[")
    else:
        brackets = raw.count(b"{") + raw.count(b"[")
    return brackets > MAX_JSON_DEPTH and _deeper_than(value, MAX_JSON_DEPTH)


def _deeper_than(value: Any, limit: int) -> bool:
    """Whether arrays/objects nest more than ``limit`` levels (iteratively: no recursion)."""
    if not isinstance(value, dict | list):
        return False
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        children = node.values() if isinstance(node, dict) else node
        for child in children:
            if isinstance(child, dict | list):
                if depth + 1 > limit:
                    return True
                stack.append((child, depth + 1))
    return False
