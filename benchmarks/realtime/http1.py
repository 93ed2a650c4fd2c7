"""Blocking one-shot HTTP/1.1 requests on a fresh connection, timed.

Used for ``GET /page`` and the POST that triggers a change; run in a thread so the
orchestrator's event loop stays free.
"""

from __future__ import annotations

import socket
import time
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Exchange:
    status: int
    response: bytes
    connect_started: float  # time.monotonic()
    sent: float  # the request was written (connection already open)
    first_byte: float  # the first byte of the response arrived
    done: float  # the whole response was read

    @property
    def latency(self) -> float:
        """From opening the connection to the last byte of the response."""
        return self.done - self.connect_started


def exchange(host: str, port: int, request: bytes, timeout: float = 30.0) -> Exchange:
    """Send ``request`` (which says ``Connection: close``) and read to EOF."""
    connect_started = time.monotonic()
    with socket.create_connection((host, port), timeout) as sock:
        sent = time.monotonic()
        sock.sendall(request)
        parts = [sock.recv(65536)]
        first_byte = time.monotonic()
        while chunk := sock.recv(65536):
            parts.append(chunk)
        done = time.monotonic()
    response = b"".join(parts)
    status = int(response.split(b" ", 2)[1]) if response else 0
    return Exchange(status, response, connect_started, sent, first_byte, done)
