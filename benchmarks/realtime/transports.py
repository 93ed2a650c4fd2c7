"""How a client opens a live stream and reads its events, one class per transport.

The load generator writes ``handshake()`` on a fresh connection, hands the bytes it
receives to ``head()`` until the response head is complete, then keeps the raw bytes
with their arrival times. They are decoded after the run (``decoder().feed``), which
keeps the receive path of 10,000 connections to one ``append``.

``sse``: a GET, ``200``, a (chunked) ``text/event-stream``. ``ws``: an Upgrade request,
``101``, then server frames, each text message holding one event in the same text as
on SSE (a ``: keepalive`` comment is the heartbeat; so is a ping frame). Nitro's socket
carries a page's many streams, so its path names the stream to subscribe to
(``/_ws#subscribe=/_live/counter/main``): the subscribe frame is sent once the ``101``
has come, and each answer is ``{"id": 1, "sse": "<the SSE text>"}``.
"""

from __future__ import annotations

import base64
import json
import os
import re
from dataclasses import dataclass
from typing import Protocol

COUNT = re.compile(rb'"count":\s*(-?\d+)')


@dataclass(frozen=True, slots=True)
class Event:
    """One message read from a stream: a state change (its count) or a heartbeat."""

    heartbeat: bool
    count: int | None = None


@dataclass(frozen=True, slots=True)
class Head:
    status: int
    chunked: bool
    body_offset: int


class Decoder(Protocol):
    def feed(self, data: bytes) -> list[Event]: ...


class Transport(Protocol):
    name: str
    #: The status that means the stream is open (200 for SSE, 101 for WebSocket).
    ok_status: int

    def handshake(self, host: str, port: int, path: str) -> bytes: ...

    def opened(self, path: str) -> bytes:
        """What the client sends once the stream is open (Nitro's subscribe frame)."""
        ...

    def head(self, received: bytes) -> Head | None: ...

    def decoder(self, head: Head) -> Decoder: ...


def parse_head(received: bytes) -> Head | None:
    """The status line and headers of an HTTP/1.1 response, once they are complete."""
    end = received.find(b"\r\n\r\n")
    if end < 0:
        return None
    lines = received[:end].split(b"\r\n")
    status = int(lines[0].split(b" ", 2)[1])
    chunked = any(
        line.lower().startswith(b"transfer-encoding:") and b"chunked" in line.lower()
        for line in lines[1:]
    )
    return Head(status, chunked, end + 4)


class Dechunker:
    """The payload of a ``Transfer-Encoding: chunked`` body, fed in any pieces."""

    def __init__(self) -> None:
        self.buffer = b""

    def feed(self, data: bytes) -> bytes:
        self.buffer += data
        payload = []
        while True:
            line_end = self.buffer.find(b"\r\n")
            if line_end < 0:
                break
            size = int(self.buffer[:line_end].split(b";", 1)[0], 16)
            if size == 0 or len(self.buffer) < line_end + 2 + size + 2:
                break  # the last chunk, or this chunk has not all arrived
            start = line_end + 2
            payload.append(self.buffer[start : start + size])
            self.buffer = self.buffer[start + size + 2 :]
        return b"".join(payload)


class SseDecoder:
    """Server-Sent Events: a comment-only event is a heartbeat; a data event carries
    the state, of which the ``"count"`` is read."""

    def __init__(self, chunked: bool) -> None:
        self.dechunker = Dechunker() if chunked else None
        self.text = b""

    def feed(self, data: bytes) -> list[Event]:
        self.text += self.dechunker.feed(data) if self.dechunker else data
        *complete, self.text = self.text.split(b"\n\n")
        events = []
        for block in complete:
            lines = [line for line in block.split(b"\n") if line]
            if not lines:
                continue
            if all(line.startswith(b":") for line in lines):
                events.append(Event(heartbeat=True))
            else:
                found = COUNT.search(block)
                events.append(Event(heartbeat=False, count=int(found[1]) if found else None))
        return events


class SseTransport:
    name = "sse"
    ok_status = 200

    def handshake(self, host: str, port: int, path: str) -> bytes:
        return (
            f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\n"
            "Accept: text/event-stream\r\nCache-Control: no-cache\r\n\r\n"
        ).encode()

    def opened(self, path: str) -> bytes:
        return b""

    def head(self, received: bytes) -> Head | None:
        return parse_head(received)

    def decoder(self, head: Head) -> Decoder:
        return SseDecoder(head.chunked)


class WsDecoder:
    """Unmasked server frames; each text message is read as one SSE-formatted event."""

    def __init__(self) -> None:
        self.buffer = b""
        self.events = SseDecoder(chunked=False)

    def feed(self, data: bytes) -> list[Event]:
        self.buffer += data
        events = []
        while (frame := self._frame()) is not None:
            opcode, payload = frame
            if opcode == 0x9:  # ping
                events.append(Event(heartbeat=True))
            elif opcode in (0x0, 0x1):  # text (a continuation is read as text too)
                if payload.startswith(b"{"):  # Nitro's frame: the SSE text inside
                    payload = json.loads(payload).get("sse", "").encode()
                events.extend(
                    self.events.feed(payload if payload.endswith(b"\n\n") else payload + b"\n\n")
                )
        return events

    def _frame(self) -> tuple[int, bytes] | None:
        if len(self.buffer) < 2:
            return None
        opcode, length, offset = self.buffer[0] & 0x0F, self.buffer[1] & 0x7F, 2
        if length == 126:
            if len(self.buffer) < 4:
                return None
            length, offset = int.from_bytes(self.buffer[2:4], "big"), 4
        elif length == 127:
            if len(self.buffer) < 10:
                return None
            length, offset = int.from_bytes(self.buffer[2:10], "big"), 10
        if len(self.buffer) < offset + length:
            return None
        payload = self.buffer[offset : offset + length]
        self.buffer = self.buffer[offset + length :]
        return opcode, payload


class WsTransport:
    name = "ws"
    ok_status = 101

    def handshake(self, host: str, port: int, path: str) -> bytes:
        # One key for every connection of a load generator: servers only echo its hash.
        key = base64.b64encode(os.urandom(16)).decode()
        path = path.partition("#subscribe=")[0]
        return (
            f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
            f"Origin: http://{host}:{port}\r\nSec-WebSocket-Version: 13\r\n\r\n"
        ).encode()

    def opened(self, path: str) -> bytes:
        subscribe = path.partition("#subscribe=")[2]
        if not subscribe:
            return b""
        return masked_text(json.dumps({"id": 1, "subscribe": subscribe}).encode())

    def head(self, received: bytes) -> Head | None:
        return parse_head(received)

    def decoder(self, head: Head) -> Decoder:
        return WsDecoder()


def masked_text(payload: bytes) -> bytes:
    """One client text frame (clients must mask; payloads here are under 126 bytes)."""
    assert len(payload) < 126
    mask = os.urandom(4)
    body = bytes(byte ^ mask[n % 4] for n, byte in enumerate(payload))
    return bytes([0x81, 0x80 | len(payload)]) + mask + body


TRANSPORTS: dict[str, Transport] = {"sse": SseTransport(), "ws": WsTransport()}
