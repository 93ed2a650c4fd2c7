"""The request id: one per request, following it through actions, units of work,
events, commands and into the jobs it enqueues.

It is taken from the client's ``X-Request-ID`` when that is a plausible id (1 to 128
characters of letters, digits and ``-_.:``; anything else could forge log lines or
grow them without bound), else from the trace id of a W3C ``traceparent``, else made
up; the answer returns it in ``X-Request-ID``.
"""

from __future__ import annotations

import random
import re
from collections.abc import Mapping
from contextvars import ContextVar, Token

__all__ = [
    "current_request_id",
    "incoming_request_id",
    "new_request_id",
    "reset_request_id",
    "set_request_id",
]

_request_id: ContextVar[str | None] = ContextVar("nitro_request_id", default=None)
#: ``(job name, job id)`` while a job runs (logged beside the request id).
current_job: ContextVar[tuple[str, str] | None] = ContextVar("nitro_log_job", default=None)

_getrandbits = random.getrandbits

_PLAUSIBLE = re.compile(r"[A-Za-z0-9\-_.:]{1,128}")
_TRACEPARENT = re.compile(r"[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}")


def current_request_id() -> str | None:
    """The id of the request (or job) being handled here, ``None`` outside one."""
    return _request_id.get()


def set_request_id(request_id: str | None) -> Token[str | None]:
    """Make *request_id* the current request's id (for log lines); returns the token to reset it."""
    return _request_id.set(request_id)


def reset_request_id(token: Token[str | None]) -> None:
    """Restore the request id that was current before ``set_request_id``."""
    _request_id.reset(token)


def new_request_id() -> str:
    """A fresh random request id (128 bits, hex), for requests that did not bring one."""
    # An id for correlating lines, not a secret: no system call per request; and C calls
    # only (random.randbytes is a Python function around getrandbits; formatting the
    # number as hex takes twice as long as this).
    return _getrandbits(128).to_bytes(16, "big").hex()


def incoming_request_id(headers: Mapping[str, str]) -> str:
    """The id for a request with these (lower-case) headers."""
    given = headers.get("x-request-id")
    if given and _PLAUSIBLE.fullmatch(given):
        return given
    traceparent = headers.get("traceparent")
    if traceparent:
        found = _TRACEPARENT.fullmatch(traceparent.strip())
        if found and found.group(1) != "0" * 32:
            return found.group(1)
    return new_request_id()
