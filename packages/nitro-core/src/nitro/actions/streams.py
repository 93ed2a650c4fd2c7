"""The open live streams of one app: counted, limited, and closed on shutdown.

Every live stream (an entity's, a live list's) registers its subscription here while it
is open, so that:

* ``app.state.nitro.streams.count`` and ``.topics()`` say how many pages are
  connected, and to what (also the ``nitro_live_streams`` gauge, see observability);
* a configurable limit (``streams.limit``, default ``NITRO_MAX_STREAMS``, else none)
  refuses one more with ``503`` and ``Retry-After`` instead of running out of memory
  or file descriptors;
* a server shutdown closes every stream: an SSE response never ends by itself, and
  uvicorn waits for open responses before it stops. Nitro chains uvicorn's signal
  handler (``Server.handle_exit``), as sse-starlette does, and ends each stream
  cleanly on SIGINT/SIGTERM; ``close_all()`` does the same for other servers.

Slow consumers: each stream's inbox holds at most ``max_queue`` messages; one that
falls that far behind gets :data:`~nitro.broadcast.RESYNC` in place of its backlog
(memory stays bounded, and the page is re-synced rather than left wrong). A consumer
that stops reading altogether is dropped when a write to it has waited
``NITRO_STREAM_SEND_TIMEOUT`` seconds (default 10; ASGI servers, see
:func:`nitro.actions.asgi.send_response`; on WSGI under werkzeug and gunicorn, each
event's write has that deadline, :func:`nitro.actions.wsgi.deadlined_stream`).
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import weakref
from collections import Counter
from collections.abc import Iterator
from typing import Any

from nitro.actions.errors import ServiceUnavailable
from nitro.broadcast import CLOSED

__all__ = [
    "CLOSED",
    "StreamRegistry",
    "TooManyStreams",
    "close_all_streams",
    "hook_uvicorn_shutdown",
    "send_timeout",
    "shutting_down",
]

#: Seconds a write to a stream may wait for a client that does not read.
DEFAULT_SEND_TIMEOUT = 10.0


class TooManyStreams(ServiceUnavailable):
    """The app holds as many live streams as it may; the client retries later."""

    detail = "Too many live connections; retry shortly"
    retry_after = 5


class StreamRegistry:
    """The live streams one app holds open (see the module docs)."""

    def __init__(self, limit: int | None = None) -> None:
        self.limit = limit if limit is not None else _env_int("NITRO_MAX_STREAMS")
        self._lock = threading.Lock()
        self._open: dict[Any, str] = {}  # subscription -> topic
        self.closing = False
        _registries.add(self)

    @property
    def count(self) -> int:
        return len(self._open)

    def topics(self) -> dict[str, int]:
        """Open streams per topic (``{"counter:c1": 2, "comment": 40}``)."""
        with self._lock:
            return dict(Counter(self._open.values()))

    def admit(self) -> None:
        """Raise :class:`TooManyStreams` when one more stream would pass the limit, or
        the server is shutting down."""
        if self.closing or (self.limit is not None and len(self._open) >= self.limit):
            raise TooManyStreams()

    @contextlib.contextmanager
    def track(self, subscription: Any) -> Iterator[None]:
        """Count *subscription* as an open stream while the block runs."""
        if self.closing:
            subscription.deliver(CLOSED)
        with self._lock:
            self._open[subscription] = subscription.topic
        try:
            yield
        finally:
            with self._lock:
                self._open.pop(subscription, None)

    def close_all(self) -> None:
        """End every open stream (each sends nothing more and returns), and refuse new
        ones: for a server's shutdown."""
        global _shutting_down
        _shutting_down = True
        self.closing = True
        with self._lock:
            subscriptions = list(self._open)
        for subscription in subscriptions:
            subscription.deliver(CLOSED)


_registries: weakref.WeakSet[StreamRegistry] = weakref.WeakSet()
_shutting_down = False


def shutting_down() -> bool:
    """Whether streams are being closed for a shutdown. An ASGI stream that ends then
    is left unfinished (no final chunk): the browser sees the connection drop, which
    Datastar's client retries with backoff, whereas a stream that ends cleanly is
    never reopened."""
    return _shutting_down


def close_all_streams() -> None:
    """:meth:`StreamRegistry.close_all` for every app of this process."""
    for registry in list(_registries):
        registry.close_all()


def send_timeout() -> float:
    """Seconds a write to a stream may wait (``NITRO_STREAM_SEND_TIMEOUT``, default 10)."""
    value = os.environ.get("NITRO_STREAM_SEND_TIMEOUT", "").strip()
    return float(value) if value else DEFAULT_SEND_TIMEOUT


def _env_int(name: str) -> int | None:
    value = os.environ.get(name, "").strip()
    if not value:
        return None
    try:
        number = int(value)
    except ValueError:
        raise ValueError(f"{name} must be a whole number of streams, not {value!r}") from None
    if number < 1:
        raise ValueError(f"{name} must be at least 1, not {number}")
    return number


_hooked = False


def hook_uvicorn_shutdown() -> None:
    """Make uvicorn's SIGINT/SIGTERM handler close every stream first (once)."""
    global _hooked
    if _hooked:
        return
    _hooked = True
    try:
        from uvicorn.server import Server
    except ImportError:  # another server: close_all_streams() is the app's to call
        return
    original = Server.handle_exit

    def handle_exit(self: Any, sig: int, frame: Any) -> None:
        logging.getLogger("uvicorn.error").addFilter(_unfinished_on_purpose)
        close_all_streams()
        original(self, sig, frame)

    Server.handle_exit = handle_exit  # type: ignore[method-assign]


def _unfinished_on_purpose(record: logging.LogRecord) -> bool:
    """uvicorn reports each stream left unfinished at shutdown as an error; those are
    Nitro's doing (see :func:`shutting_down`), one line per open page."""
    return record.msg != "ASGI callable returned without completing response."
