"""Live streams under faults, against real server processes: a client that stops
reading is dropped and delays nobody, over SSE and over the page's WebSocket, on uvicorn
and on Flask (served by werkzeug and by gunicorn); the connection limit refuses with
503, and a shutdown (SIGTERM) closes every stream instead of waiting on them forever."""

from __future__ import annotations

import base64
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from nitro_test_services import free_port, stop_process, wait_for_port

SUPPORT = Path(__file__).resolve().parent / "support"
SEND_TIMEOUT = 2.0


def server_command(kind: str, port: int) -> list[str]:
    """The app served by *kind*: uvicorn (FastAPI), or on WSGI the Flask twin by
    ``flask run`` (werkzeug's threaded server) or gunicorn's threaded worker."""
    if kind == "uvicorn":
        return [
            sys.executable, "-m", "uvicorn", "live_fault_app:app", "--app-dir", str(SUPPORT),
            "--host", "127.0.0.1", "--port", str(port), "--log-level", "info",
        ]  # fmt: skip
    if kind == "flask":
        return [
            sys.executable, "-m", "flask", "--app", "live_fault_flask_app:app", "run",
            "--host", "127.0.0.1", "--port", str(port), "--no-reload", "--no-debugger",
        ]  # fmt: skip
    assert kind == "gunicorn", kind
    return [
        sys.executable, "-m", "gunicorn", "--worker-class", "gthread", "--threads", "8",
        "--workers", "1", "--bind", f"127.0.0.1:{port}", "live_fault_flask_app:app",
    ]  # fmt: skip


@contextlib.contextmanager
def server(
    tmp_path: Path, kind: str = "uvicorn", **env: str
) -> Iterator[tuple[str, subprocess.Popen[bytes], Path]]:
    """``(base URL, process, its log)`` of the app served by *kind*."""
    port = free_port()
    log = tmp_path / f"{kind}-{port}.log"
    path = os.pathsep.join(filter(None, [str(SUPPORT), os.environ.get("PYTHONPATH")]))
    with log.open("wb") as out:
        process = subprocess.Popen(
            server_command(kind, port),
            env={**os.environ, "PYTHONPATH": path, **env},
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_for_port(port, process, 30)
        base = f"http://127.0.0.1:{port}"
        httpx.post(f"{base}/seed").raise_for_status()
        yield base, process, log
    finally:
        stop_process(process)
        print(log.read_text(errors="replace")[-3000:])


def open_counts(base: str) -> int:
    return httpx.get(f"{base}/streams", timeout=5).json()["count"]


def wait_until(check, timeout: float, what: str) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if check():
            return time.monotonic() - started
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout}s waiting until {what}")


class Reader:
    """A client that reads its stream as fast as it comes; notes when a count arrives."""

    def __init__(self, url: str) -> None:
        self.seen: dict[int, float] = {}
        self.ended = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(url,), daemon=True)
        self._thread.start()

    def _run(self, url: str) -> None:
        import json

        with contextlib.suppress(httpx.HTTPError), httpx.stream("GET", url, timeout=30) as stream:
            for line in stream.iter_lines():
                if line.startswith("data: signals "):
                    count = json.loads(line.removeprefix("data: signals "))["Ticker"]["count"]
                    self.seen.setdefault(count, time.monotonic())
        self.ended.set()


def stalled_client(base: str, path: str) -> socket.socket:
    """Opens the stream, then never reads: a tiny receive buffer fills at once."""
    host, port = base.removeprefix("http://").split(":")
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect((host, int(port)))
    sock.sendall(f"GET {path} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
    return sock


def stalled_websocket(base: str, path: str) -> socket.socket:
    """Opens the page socket, subscribes to *path*, then never reads (a tiny receive
    buffer, as in :func:`stalled_client`)."""
    host, port = base.removeprefix("http://").split(":")
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect((host, int(port)))
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall(
        f"GET /_ws HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
        f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
        f"Sec-WebSocket-Version: 13\r\nOrigin: {base}\r\n\r\n".encode()
    )
    answer = b""
    while b"\r\n\r\n" not in answer:
        answer += sock.recv(1)
    assert answer.startswith(b"HTTP/1.1 101"), answer
    payload = json.dumps({"id": 1, "subscribe": path}).encode()
    mask = os.urandom(4)
    masked = bytes(byte ^ mask[index % 4] for index, byte in enumerate(payload))
    assert len(payload) < 126
    sock.sendall(bytes([0x81, 0x80 | len(payload)]) + mask + masked)  # a text frame
    return sock


@pytest.mark.parametrize("kind", ["uvicorn", "flask", "gunicorn"])
def test_a_websocket_that_stops_reading_is_dropped(tmp_path: Path, kind: str) -> None:
    # (on Flask a stalled send would hold the socket's threads for ever: each send has
    # a deadline, nitro.actions._send_deadline)
    with (
        server(tmp_path, kind, NITRO_STREAM_SEND_TIMEOUT=str(SEND_TIMEOUT)) as (base, _, log),
        contextlib.closing(stalled_websocket(base, "/_live/ticker/t1")),
    ):
        reader = Reader(f"{base}/_live/ticker/t1")
        wait_until(lambda: open_counts(base) == 2, 10, "both streams are open")
        answer = httpx.post(f"{base}/ticker/t1/burst?times=200&size=65536", timeout=60)
        assert answer.status_code == 200, answer.text
        wait_until(lambda: 200 in reader.seen, 10, "the reading client got the last change")
        wait_until(lambda: open_counts(base) == 1, SEND_TIMEOUT + 15, "the stalled one is dropped")
        assert "Traceback" not in log.read_text(errors="replace")  # a client gone, quietly


@pytest.mark.parametrize("kind", ["uvicorn", "flask", "gunicorn"])
def test_a_client_that_stops_reading_is_dropped_and_delays_nobody(
    tmp_path: Path, kind: str
) -> None:
    # (on WSGI a stalled write would hold the server's thread for ever: each event's
    # write has a deadline, nitro.actions.wsgi.deadlined_stream)
    with (
        server(tmp_path, kind, NITRO_STREAM_SEND_TIMEOUT=str(SEND_TIMEOUT)) as (base, _, log),
        contextlib.closing(stalled_client(base, "/_live/ticker/t1")),
    ):
        reader = Reader(f"{base}/_live/ticker/t1")
        wait_until(lambda: open_counts(base) == 2, 10, "both streams are open")

        # 200 saves of 64 KiB each: 12.5 MiB, far more than the socket buffers hold.
        started = time.monotonic()
        answer = httpx.post(f"{base}/ticker/t1/burst?times=200&size=65536", timeout=60)
        assert answer.status_code == 200, answer.text
        published = time.monotonic()
        wait_until(lambda: 200 in reader.seen, 10, "the reading client got the last change")
        lag = reader.seen[200] - published
        dropped_after = wait_until(lambda: open_counts(base) == 1, 30, "the stalled one is dropped")
        print(
            f"burst took {published - started:.2f}s; the reader got the last change "
            f"{lag * 1000:.0f} ms after it; the stalled client was dropped "
            f"{published - started + dropped_after:.1f}s after the burst began"
        )
        # The reader was never held up by the stalled client's full buffers: it had the
        # last change well before the stalled client could even be dropped.
        assert lag < SEND_TIMEOUT
        assert published - started + dropped_after < SEND_TIMEOUT + 15
        assert "Traceback" not in log.read_text(errors="replace")  # a client gone, quietly


def test_the_connection_limit_refuses_with_503_and_frees_on_close(tmp_path: Path) -> None:
    with server(tmp_path, NITRO_MAX_STREAMS="2") as (base, _, _):
        first, second = Reader(f"{base}/_live/ticker/t1"), Reader(f"{base}/_live/_list/tickers")
        wait_until(lambda: open_counts(base) == 2, 10, "two streams are open")
        refused = httpx.get(f"{base}/_live/ticker/t1", timeout=5)
        assert refused.status_code == 503
        assert refused.headers["retry-after"] == "5"
        assert "Too many live connections" in refused.json()["error"]
        assert httpx.get(f"{base}/streams").json()["topics"] == {"ticker:t1": 1, "ticker": 1}
        del first, second


def test_sigterm_closes_every_stream_and_the_server_exits(tmp_path: Path) -> None:
    with server(tmp_path) as (base, process, _):
        readers = [Reader(f"{base}/_live/ticker/t1") for _ in range(3)]
        readers.append(Reader(f"{base}/_live/_list/tickers"))
        wait_until(lambda: open_counts(base) == 4, 10, "four streams are open")
        sent = time.monotonic()
        process.send_signal(signal.SIGTERM)
        for reader in readers:
            assert reader.ended.wait(10), "a stream stayed open after SIGTERM"
        process.wait(10)
        print(
            f"every stream closed and uvicorn exited {time.monotonic() - sent:.2f}s after SIGTERM"
        )
        assert process.returncode in (0, -signal.SIGTERM)  # uvicorn re-raises the signal
