"""One server through the whole scenario: connect, hold, change, page, report.

Timeline (``t0`` = every connection has its first event):

- before connecting: warm-up (pages, one change, a few streams opened and closed),
  then ``VmRSS`` (``rss_before``);
- connect ``connections`` streams from ``procs`` load generators;
- ``t0 + settle``: ``VmRSS`` again (``rss_after``); memory per connection is the
  difference over the connections open;
- then ``page_requests`` sequential ``GET /page`` on fresh connections;
- then ``changes`` POSTs, ``change_interval`` seconds apart; each is timed from the
  moment the request is written;
- idle until ``t0 + hold`` (keepalive comments flow), then the load generators report
  what each connection received and whether it is still open.
"""

from __future__ import annotations

import asyncio
import signal
import time
from dataclasses import asdict, dataclass, field
from typing import Any

from http1 import exchange
from servers import ServerProcess, ServerSpec
from transports import COUNT
from workers import Workers


@dataclass
class Settings:
    connections: int
    hold: float
    keepalive: float
    changes: int
    change_interval: float
    page_requests: int
    procs: int
    settle: float = 2.0
    connect_timeout: float = 300.0
    transport: str = "sse"
    #: Experiment: ``gc.freeze()`` in the server once every stream is open.
    gc_freeze: bool = False


@dataclass
class Change:
    count: int
    sent: float
    answered: float  # the first byte of the POST's response
    deliveries: list[float] = field(default_factory=list)  # seconds, one per client


@dataclass
class Figures:
    server: str
    connections: int
    established: int = 0
    failed: int = 0
    connect_errors: dict[str, int] = field(default_factory=dict)
    connect_seconds: float = 0.0
    connect_latencies: list[float] = field(default_factory=list)
    rss_before_kib: int = 0
    rss_after_kib: int = 0
    rss_end_kib: int = 0
    hwm_kib: int = 0
    changes: list[Change] = field(default_factory=list)
    page_latencies: list[float] = field(default_factory=list)
    page_errors: int = 0
    heartbeats: dict[int, int] = field(default_factory=dict)  # beats -> connections
    alive: int = 0
    hold_seconds: float = 0.0
    cpu_connect: float = 0.0
    cpu_changes: float = 0.0
    cpu_idle: float = 0.0
    idle_seconds: float = 0.0
    loadavg: list[str] = field(default_factory=list)
    #: The server's garbage collections from t0 to the end: (start, seconds, generation).
    gc_collections: list[tuple[float, float, int]] = field(default_factory=list)
    t0: float = 0.0

    @property
    def kib_per_connection(self) -> float:
        return (self.rss_after_kib - self.rss_before_kib) / max(self.established, 1)

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "kib_per_connection": self.kib_per_connection}


def loadavg() -> str:
    return " ".join(open("/proc/loadavg").read().split()[:3])


async def warm_up(server: ServerProcess, spec: ServerSpec, settings: Settings) -> None:
    """First requests of each kind, so lazy imports and caches are not counted."""
    for _ in range(20):
        await asyncio.to_thread(
            exchange, server.host, server.port, spec.page_request(server.host, server.port)
        )
    answer = await asyncio.to_thread(
        exchange, server.host, server.port, spec.trigger_request(server.host, server.port)
    )
    if answer.status != 200 or COUNT.search(answer.response) is None:
        raise RuntimeError(f"{spec.name}: the change failed: {answer.response[:300]!r}")
    workers = await Workers.start(
        server.port, spec.stream_path(settings.transport), 50, 1, settings.transport, 120
    )
    try:
        (opened,) = await asyncio.wait_for(workers.ready(), 60)
        if opened["ready"] != 50:
            raise RuntimeError(f"{spec.name}: warm-up streams failed: {opened}")
    finally:
        await workers.close()


async def trigger(server: ServerProcess, spec: ServerSpec) -> Change:
    request = spec.trigger_request(server.host, server.port)
    answer = await asyncio.to_thread(exchange, server.host, server.port, request)
    found = COUNT.search(answer.response)
    if answer.status != 200 or found is None:
        raise RuntimeError(f"{spec.name}: the change failed: {answer.response[:300]!r}")
    return Change(int(found[1]), answer.sent, answer.first_byte)


async def pages(server: ServerProcess, spec: ServerSpec, n: int, figures: Figures) -> None:
    request = spec.page_request(server.host, server.port)
    for _ in range(n):
        try:
            answer = await asyncio.to_thread(exchange, server.host, server.port, request, 10.0)
        except OSError:
            figures.page_errors += 1
            continue
        if answer.status == 200:
            figures.page_latencies.append(answer.latency)
        else:
            figures.page_errors += 1


def collect(figures: Figures, reports: list[dict[str, Any]]) -> None:
    for report in reports:
        figures.alive += report["alive"]
        for beats, conns in report["heartbeats"].items():
            figures.heartbeats[int(beats)] = figures.heartbeats.get(int(beats), 0) + conns
        for change in figures.changes:
            arrived = report["deliveries"].get(str(change.count), [])
            change.deliveries.extend(t - change.sent for t in arrived)


async def measure(
    spec: ServerSpec, settings: Settings, env: dict[str, str] | None = None
) -> Figures:
    figures = Figures(spec.name, settings.connections, loadavg=[loadavg()])
    server = ServerProcess(spec, settings.keepalive, env)
    workers: Workers | None = None
    try:
        await asyncio.to_thread(server.wait_until_up)
        await warm_up(server, spec, settings)
        await asyncio.sleep(1.0)
        figures.rss_before_kib = server.status_kib("VmRSS")
        cpu = server.cpu_seconds()
        deadline = settings.connect_timeout + settings.hold + 300
        workers = await Workers.start(
            server.port, spec.stream_path(settings.transport), settings.connections, settings.procs,
            settings.transport, deadline,
        )  # fmt: skip
        started = time.monotonic()
        opened = await asyncio.wait_for(workers.ready(), settings.connect_timeout)
        t0 = time.monotonic()
        figures.connect_seconds = t0 - started
        for answer in opened:
            figures.established += answer["ready"]
            figures.failed += answer["failed"]
            figures.connect_latencies.extend(answer["connect_times"])
            for error, n in answer["errors"].items():
                figures.connect_errors[error] = figures.connect_errors.get(error, 0) + n
        figures.cpu_connect = server.cpu_seconds() - cpu
        await asyncio.sleep(settings.settle)
        figures.rss_after_kib = server.status_kib("VmRSS")
        figures.loadavg.append(loadavg())
        if settings.gc_freeze:
            server.signal(signal.SIGHUP)

        await pages(server, spec, settings.page_requests, figures)
        cpu = server.cpu_seconds()
        for i in range(settings.changes):
            if i:
                await asyncio.sleep(settings.change_interval)
            figures.changes.append(await trigger(server, spec))
        await asyncio.sleep(min(settings.change_interval, 3.0))  # let the last one land
        figures.cpu_changes = server.cpu_seconds() - cpu

        idle_from, cpu = time.monotonic(), server.cpu_seconds()
        await asyncio.sleep(max(0.0, t0 + settings.hold - time.monotonic()))
        figures.idle_seconds = time.monotonic() - idle_from
        figures.cpu_idle = server.cpu_seconds() - cpu
        figures.hold_seconds = time.monotonic() - t0
        figures.rss_end_kib = server.status_kib("VmRSS")
        figures.hwm_kib = server.status_kib("VmHWM")
        collections = await asyncio.to_thread(server.gc_collections)
        figures.t0 = t0
        figures.gc_collections = [c for c in collections if c[0] >= t0]
        collect(figures, await asyncio.wait_for(workers.report(), 120))
        figures.loadavg.append(loadavg())
        return figures
    finally:
        if workers is not None:
            await workers.close()
        server.stop()
