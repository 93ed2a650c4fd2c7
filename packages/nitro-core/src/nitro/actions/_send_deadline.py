"""A deadline on blocking writes to a client, for live streams on threaded servers:
SSE on WSGI (:func:`nitro.actions.wsgi.deadlined_stream`) and WebSockets on Flask
(``ws_sync``).

A thread that writes to a client which stopped reading blocks once the buffers are
full, and TCP keeps probing the closed window for as long as the connection lives: the
thread and the stream's place under the streams limit would be held for ever. A
timeout on the socket would end such a write too, but a WebSocket library's reader
thread waits on the same socket for the next frame of a page that may stay quiet for
long, and servers log a timed-out write as an error with its traceback. So each write
runs under a deadline instead: one watch thread per process (started when a write is
pending, gone after a minute without any) shuts the client's socket down once the write
has waited ``NITRO_STREAM_SEND_TIMEOUT`` seconds, which ends the blocked write (a broken
pipe: a client gone) and any reader alike.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

from nitro.actions.streams import send_timeout

__all__ = ["send_deadline"]

logger = logging.getLogger("nitro.actions")

#: How often the watch thread looks, and how long it waits idle before it ends.
TICK = 0.25
IDLE = 60.0

#: key -> (deadline, the client's socket, what it carries: for the log line)
_pending: dict[object, tuple[float, Any, str]] = {}
_lock = threading.Lock()
_watching = False


@contextlib.contextmanager
def send_deadline(sock: Any, what: str) -> Iterator[None]:
    """Shut *sock* down (from the watch thread) if the block, a write to it, has not
    ended after ``NITRO_STREAM_SEND_TIMEOUT`` seconds; no deadline when that is 0 or
    there is no socket. *what* names the stream in the log line of a drop."""
    seconds = send_timeout()
    if seconds <= 0 or sock is None:
        yield
        return
    global _watching
    key = object()
    with _lock:
        _pending[key] = (time.monotonic() + seconds, sock, what)
        if not _watching:
            _watching = True
            threading.Thread(target=_watch, name="nitro-send-deadline", daemon=True).start()
    try:
        yield
    finally:
        with _lock:
            _pending.pop(key, None)


def _watch() -> None:
    global _watching
    idle_since = time.monotonic()
    while True:
        time.sleep(TICK)
        now = time.monotonic()
        with _lock:
            due = [key for key, (deadline, _, _) in _pending.items() if deadline <= now]
            dropped = [_pending.pop(key)[1:] for key in due]
            if _pending or due:
                idle_since = now
            elif now - idle_since >= IDLE:
                _watching = False
                return
        for sock, what in dropped:
            logger.info("%s client stopped reading: dropped", what)
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:  # (a socket already gone)
                logger.debug("dropping a stalled client failed", exc_info=True)
