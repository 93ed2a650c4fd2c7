"""The two servers under test and the process running each one.

A :class:`ServerSpec` says where the stream is, how to trigger a change and which app
``serve.py`` runs; a :class:`ServerProcess` starts it, reads its memory and CPU time
from ``/proc`` and always kills it at the end.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from children import die_with_parent
from common import ENTITY_ID, KEEPALIVE_ENV

HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class ServerSpec:
    name: str
    app: str  # the name serve.py knows
    #: Where each transport's stream is.
    streams: dict[str, str]
    trigger_path: str
    trigger_headers: dict[str, str] = field(default_factory=dict)
    trigger_body: bytes = b""
    page_path: str = "/page"

    def stream_path(self, transport: str) -> str:
        return self.streams[transport]

    def trigger_request(self, host: str, port: int) -> bytes:
        """The POST that changes the state (``Connection: close``: read to the end)."""
        headers = {
            "Host": f"{host}:{port}",
            "Content-Length": str(len(self.trigger_body)),
            "Connection": "close",
            **{k: v.format(host=host, port=port) for k, v in self.trigger_headers.items()},
        }
        lines = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        return f"POST {self.trigger_path} HTTP/1.1\r\n{lines}\r\n".encode() + self.trigger_body

    def page_request(self, host: str, port: int) -> bytes:
        return (
            f"GET {self.page_path} HTTP/1.1\r\nHost: {host}:{port}\r\nConnection: close\r\n\r\n"
        ).encode()


#: The action as the Datastar client calls it: same-origin, with the page's signals.
NITRO = ServerSpec(
    name="nitro",
    app="nitro",
    streams={
        "sse": f"/_live/counter/{ENTITY_ID}",
        "ws": f"/_ws#subscribe=/_live/counter/{ENTITY_ID}",  # configure_app(websockets=True)
    },
    trigger_path=f"/counter/{ENTITY_ID}/increment",
    trigger_headers={
        "Datastar-Request": "true",
        "Origin": "http://{host}:{port}",
        "Content-Type": "application/json",
    },
    trigger_body=b'{"Counter":{"id":"%s"}}' % ENTITY_ID.encode(),
)
FLOOR = ServerSpec(
    name="floor",
    app="floor",
    streams={"sse": "/stream", "ws": "/ws"},
    trigger_path="/counter/increment",
)
SERVERS = {spec.name: spec for spec in (NITRO, FLOOR)}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ServerProcess:
    """``serve.py <app> <port>`` in a child process."""

    def __init__(self, spec: ServerSpec, keepalive: float, env: dict[str, str] | None = None):
        self.spec = spec
        self.host = "127.0.0.1"
        self.port = free_port()
        self.workdir = tempfile.TemporaryDirectory(prefix=f"bench-{spec.name}-")
        self.gc_file = Path(self.workdir.name) / "gc.json"
        environment = {
            **os.environ,
            KEEPALIVE_ENV: str(keepalive),
            "BENCH_GC_FILE": str(self.gc_file),
            **(env or {}),
        }
        command = [sys.executable, str(HERE / "serve.py"), spec.app, str(self.port)]
        self.process = subprocess.Popen(
            command, env=environment, cwd=HERE, preexec_fn=die_with_parent
        )

    @property
    def pid(self) -> int:
        return self.process.pid

    def wait_until_up(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.spec.name} exited with {self.process.returncode}")
            try:
                with socket.create_connection((self.host, self.port), 0.2):
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"{self.spec.name} did not start within {timeout} s")

    def status_kib(self, key: str) -> int:
        """A ``/proc/<pid>/status`` figure in KiB (``VmRSS``, ``VmHWM``)."""
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
        raise KeyError(key)

    def cpu_seconds(self) -> float:
        """User + system CPU time so far."""
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def signal(self, signum: int) -> None:
        self.process.send_signal(signum)

    def gc_collections(self, timeout: float = 30.0) -> list[tuple[float, float, int]]:
        """The server's garbage collections so far: (start, seconds, generation)."""
        self.gc_file.unlink(missing_ok=True)
        self.signal(signal.SIGUSR2)
        deadline = time.monotonic() + timeout
        while not self.gc_file.exists():
            if time.monotonic() > deadline:
                raise TimeoutError("the server wrote no GC times")
            time.sleep(0.05)
        return [tuple(c) for c in json.loads(self.gc_file.read_text())]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(3)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.workdir.cleanup()
