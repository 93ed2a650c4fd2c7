"""One load-generator process: opens N live streams and keeps them until told.

    python loadgen.py --port P --path /stream --connections 2500

Driven over stdin/stdout by ``bench_sse.py``, one JSON object per line:

1. opens the connections (at most ``--concurrency`` handshakes at a time) and prints
   ``{"ready": ...}`` once each has received its first event or failed;
2. on the line ``report``, decodes what every connection received and prints the
   arrival time (``time.monotonic()``, the same clock in every process) of each state
   change per count, the heartbeats per connection, and how many are still open;
3. on ``close`` (or end of stdin) closes everything and exits.

Whatever happens, it exits after ``--deadline`` seconds.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import sys
import time
from collections import Counter, defaultdict
from typing import Any, cast

from transports import TRANSPORTS, Head, Transport


class StreamClient(asyncio.Protocol):
    """One connection: the handshake, then raw pieces with their arrival time."""

    __slots__ = (
        "after",
        "conn",
        "head",
        "lost",
        "pieces",
        "ready",
        "received",
        "request",
        "transport",
    )

    def __init__(
        self, transport: Transport, request: tuple[bytes, bytes], ready: asyncio.Future[float]
    ):
        self.transport = transport
        self.request, self.after = request  # the handshake, and what to send once open
        self.ready = ready
        self.conn: asyncio.Transport | None = None
        self.received = b""  # until the head is complete
        self.head: Head | None = None
        self.pieces: list[tuple[float, bytes]] = []
        self.lost = False

    def connection_made(self, conn: asyncio.BaseTransport) -> None:
        self.conn = cast(asyncio.Transport, conn)  # uvloop's is no asyncio.Transport subclass
        self.conn.write(self.request)

    def data_received(self, data: bytes) -> None:
        now = time.monotonic()
        if self.head is None:
            self.received += data
            self.head = self.transport.head(self.received)
            if self.head is None:
                return
            if self.head.status != self.transport.ok_status:
                self._fail(ConnectionError(f"status {self.head.status}"))
                return
            data, self.received = self.received[self.head.body_offset :], b""
            if self.after and self.conn is not None:
                self.conn.write(self.after)
            if not data:
                return
        self.pieces.append((now, data))
        if not self.ready.done():
            self.ready.set_result(now)  # the first event (the state) has arrived

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost = True
        self._fail(exc or ConnectionResetError("closed by the server"))

    def _fail(self, error: Exception) -> None:
        if not self.ready.done():
            self.ready.set_exception(error)
        if self.conn is not None:
            self.conn.abort()

    def close(self) -> None:
        if self.conn is not None and not self.lost:
            self.conn.abort()


class LoadGenerator:
    def __init__(self, args: argparse.Namespace):
        self.args = args
        self.transport = TRANSPORTS[args.transport]
        self.request = (
            self.transport.handshake(args.host, args.port, args.path),
            self.transport.opened(args.path),
        )
        self.clients: list[StreamClient] = []
        self.connect_times: list[float] = []
        self.errors: Counter[str] = Counter()

    async def open_one(self, gate: asyncio.Semaphore) -> None:
        loop = asyncio.get_running_loop()
        async with gate:
            for attempt in range(3):
                ready: asyncio.Future[float] = loop.create_future()
                client = StreamClient(self.transport, self.request, ready)
                started = time.monotonic()
                try:
                    await loop.create_connection(
                        lambda client=client: client, self.args.host, self.args.port
                    )
                    arrived = await asyncio.wait_for(ready, self.args.connect_timeout)
                except (OSError, TimeoutError) as error:
                    client.close()
                    self.errors[type(error).__name__] += 1
                    await asyncio.sleep(0.2 * (attempt + 1))
                    continue
                self.clients.append(client)
                self.connect_times.append(arrived - started)
                return

    async def open_all(self) -> dict[str, Any]:
        gate = asyncio.Semaphore(self.args.concurrency)
        started = time.monotonic()
        await asyncio.gather(*(self.open_one(gate) for _ in range(self.args.connections)))
        return {
            "ready": len(self.clients),
            "failed": self.args.connections - len(self.clients),
            "errors": dict(self.errors),
            "seconds": time.monotonic() - started,
            "connect_times": [round(t, 6) for t in self.connect_times],
        }

    def report(self) -> dict[str, Any]:
        deliveries: dict[int, list[float]] = defaultdict(list)
        heartbeats: Counter[int] = Counter()
        for client in self.clients:
            assert client.head is not None
            decoder = self.transport.decoder(client.head)
            beats = 0
            for arrived, data in client.pieces:
                for event in decoder.feed(data):
                    if event.heartbeat:
                        beats += 1
                    elif event.count is not None:
                        deliveries[event.count].append(round(arrived, 6))
            heartbeats[beats] += 1
        return {
            "alive": sum(not client.lost for client in self.clients),
            "deliveries": deliveries,
            "heartbeats": heartbeats,
        }

    def close(self) -> None:
        for client in self.clients:
            client.close()


def emit(message: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


async def commands() -> asyncio.StreamReader:
    reader = asyncio.StreamReader()
    loop = asyncio.get_running_loop()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    return reader


async def run(args: argparse.Namespace) -> None:
    asyncio.get_running_loop().call_later(args.deadline, os._exit, 3)  # hard stop
    generator = LoadGenerator(args)
    reader = await commands()
    emit(await generator.open_all())
    try:
        while line := (await reader.readline()).strip():
            if line == b"report":
                emit(generator.report())
            elif line == b"close":
                break
    finally:
        generator.close()
        await asyncio.sleep(0.1)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--path", required=True)
    parser.add_argument("--transport", choices=sorted(TRANSPORTS), default="sse")
    parser.add_argument("--connections", type=int, required=True)
    parser.add_argument("--concurrency", type=int, default=50, help="handshakes at a time")
    parser.add_argument("--connect-timeout", type=float, default=30.0)
    parser.add_argument("--deadline", type=float, default=600.0, help="exit after (s)")
    return parser.parse_args(argv)


def main() -> None:
    args = parse_args()
    try:
        import uvloop
    except ImportError:
        asyncio.run(run(args))
    else:
        uvloop.run(run(args))
    with contextlib.suppress(Exception):
        sys.stdout.flush()


if __name__ == "__main__":
    main()
