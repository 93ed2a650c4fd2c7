"""Fan-out: one change reaching 1,000 SSE subscribers spread over 3 app instances.

    uv run python benchmarks/redis/bench_fanout.py                 # 1,000 subscribers, 30 changes
    uv run python benchmarks/redis/bench_fanout.py --subscribers 300 --changes 10 --json out.json

Starts a redis-server (or uses ``--redis-url``) and three uvicorn processes of
``packages/nitro-redis/tests/multi_app.py`` (FastAPI adapter, RedisRepo,
RedisBroadcaster). One asyncio process opens the SSE streams
(``GET /_live/counter/<id>``) over raw loopback sockets, round-robin over the three
instances, then sends the changes one at a time (``POST /counter/<id>/increment`` to
the third instance) and records, for every subscriber, the time from sending the POST
to reading the event that carries the new count. The next change is sent once every
subscriber has the previous one.

With ``--source save`` the changes are made outside any action: a separate writer
process (no web app) loads the counter, increments it and calls a plain ``save()``,
its changes published through ``publish_changes(RedisBroadcaster(...))``; the time is
taken from writing the command to that process. ``--source both`` (the default) runs
the two one after the other on the same subscribers.

Reported: the latency of every delivery (p50/p99/max over subscribers x changes) and,
per change, the time until the last subscriber had it. Target (issue 7): p99 under
250 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import redis

ROOT = Path(__file__).resolve().parents[2]
APP_DIR = ROOT / "packages" / "nitro-redis" / "tests"
COUNTER_ID = "fanout"


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, process: subprocess.Popen[bytes], timeout: float = 30) -> None:
    import socket

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"process exited with {process.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listened on {port}")


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class Subscriber:
    """One SSE stream on a raw socket; records when each count arrives."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.arrivals: dict[int, float] = {}
        self.waiters: dict[int, asyncio.Event] = {}
        self.ready = asyncio.Event()
        self.task: asyncio.Task[None] | None = None

    async def run(self) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
        writer.write(
            f"GET /_live/counter/{COUNTER_ID} HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\n"
            "Accept: text/event-stream\r\n\r\n".encode()
        )
        await writer.drain()
        head = await reader.readuntil(b"\r\n\r\n")
        if not head.startswith(b"HTTP/1.1 200"):
            raise RuntimeError(head.decode(errors="replace"))
        marker = b'"count":'
        pending = b""
        try:
            while True:
                # Read whatever arrived and note the time once per read: parsing per
                # line would add client CPU time to every measured latency.
                chunk = await reader.read(65536)
                if not chunk:
                    return
                now = time.perf_counter()
                data = pending + chunk
                at = data.find(marker)
                while at >= 0:
                    end = data.find(b"}", at)
                    if end < 0:
                        break
                    count = int(data[at + len(marker) : end].split(b",")[0])
                    self.arrivals.setdefault(count, now)
                    self.ready.set()
                    waiter = self.waiters.get(count)
                    if waiter is not None:
                        waiter.set()
                    at = data.find(marker, end)
                pending = data[at:] if at >= 0 else b""
        finally:
            writer.close()


async def post(port: int, path: str) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: 0\r\n"
        "Connection: close\r\n\r\n".encode()
    )
    await writer.drain()
    response = await reader.read()
    writer.close()
    if not response.startswith(b"HTTP/1.1 200"):
        raise RuntimeError(response.decode(errors="replace"))


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))]


WRITER = """
import sys
from nitro.actions import publish_changes
from nitro.redis import RedisBroadcaster
sys.path.insert(0, sys.argv[1])
from multi_app import Counter
broadcaster = RedisBroadcaster()
publish_changes(broadcaster, Counter)
print("ready", flush=True)
for line in sys.stdin:
    counter = Counter.get(sys.argv[2])
    counter.count += 1
    counter.save()  # a plain save(), outside any action
"""


class Writer:
    """A process without pages that changes the counter with a plain ``save()``."""

    async def start(self, env: dict[str, str]) -> None:
        self.process = await asyncio.create_subprocess_exec(
            sys.executable, "-c", WRITER, str(APP_DIR), COUNTER_ID,
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, env=env,
        )  # fmt: skip
        assert self.process.stdout is not None
        line = await asyncio.wait_for(self.process.stdout.readline(), 60)
        assert line.strip() == b"ready", line

    async def change(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(b"+1\n")
        await self.process.stdin.drain()

    async def stop(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        await asyncio.wait_for(self.process.wait(), 10)


async def measure_sources(
    ports: list[int], subscribers: int, changes: int, sources: list[str], env: dict[str, str]
) -> dict[str, Any]:
    subs = [Subscriber(ports[n % len(ports)]) for n in range(subscribers)]
    connect_started = time.perf_counter()
    for n, sub in enumerate(subs):
        sub.task = asyncio.create_task(sub.run())
        if n % 50 == 49:
            await asyncio.sleep(0)  # let the connections open in waves
    await asyncio.wait_for(asyncio.gather(*(s.ready.wait() for s in subs)), 60)
    results: dict[str, Any] = {"connect_all_s": round(time.perf_counter() - connect_started, 2)}
    first = 1
    for source in sources:
        writer = None
        if source == "save":
            writer = Writer()
            await writer.start(env)
            make_change = writer.change
        else:
            make_change = lambda: post(ports[-1], f"/counter/{COUNTER_ID}/increment")  # noqa: E731
        results[source] = await measure(ports, subs, first, changes, make_change)
        first += changes
        if writer is not None:
            await writer.stop()
    for sub in subs:
        assert sub.task is not None
        sub.task.cancel()
    await asyncio.gather(*(s.task for s in subs if s.task), return_exceptions=True)
    return results


async def measure(
    ports: list[int], subs: list[Subscriber], first: int, changes: int, make_change: Any
) -> dict[str, Any]:
    subscribers = len(subs)
    latencies: list[float] = []
    completions: list[float] = []
    by_port: dict[int, list[float]] = {port: [] for port in ports}
    posts: list[float] = []  # the POST's round trip (or the command's write), per change
    for change in range(first, first + changes):
        for sub in subs:
            sub.waiters[change] = asyncio.Event()
        await asyncio.sleep(0.05)  # let the previous change's stragglers settle
        sent = time.perf_counter()
        await make_change()
        posts.append(time.perf_counter() - sent)
        await asyncio.wait_for(asyncio.gather(*(s.waiters[change].wait() for s in subs)), 30)
        arrived = [s.arrivals[change] - sent for s in subs]
        for sub, latency in zip(subs, arrived, strict=True):
            by_port[sub.port].append(latency)
        latencies.extend(arrived)
        completions.append(max(arrived))
    ms = 1000.0
    return {
        "subscribers": subscribers,
        "instances": len(ports),
        "changes": changes,
        "delivery_p50_ms": round(percentile(latencies, 50) * ms, 1),
        "delivery_p99_ms": round(percentile(latencies, 99) * ms, 1),
        "delivery_max_ms": round(max(latencies) * ms, 1),
        "last_subscriber_p50_ms": round(statistics.median(completions) * ms, 1),
        "last_subscriber_max_ms": round(max(completions) * ms, 1),
        # The POST goes to the last instance: its subscribers get the change locally,
        # the others through Redis.
        "p50_p99_ms_per_instance": [
            (round(percentile(v, 50) * ms, 1), round(percentile(v, 99) * ms, 1))
            for v in by_port.values()
        ],
        "last_subscriber_ms_per_change": [round(c * ms) for c in completions],
        "post_ms_per_change": [round(p * ms) for p in posts],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, default=1000)
    parser.add_argument("--changes", type=int, default=30)
    parser.add_argument("--instances", type=int, default=3)
    parser.add_argument("--redis-url", default=None, help="use this Redis instead of starting one")
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument(
        "--source",
        choices=["action", "save", "both"],
        default="both",
        help="who changes the counter: an action (POST), a plain save() in another process",
    )
    args = parser.parse_args()

    load_before = round(os.getloadavg()[0], 2)  # other work on the machine skews latencies
    tmp = Path(tempfile.mkdtemp(prefix="nitro-fanout-"))
    processes: list[subprocess.Popen[bytes]] = []
    try:
        url = args.redis_url
        if url is None:
            port = free_port()
            server = subprocess.Popen(
                [shutil.which("redis-server") or "redis-server", "--port", str(port),
                 "--bind", "127.0.0.1", "--dir", str(tmp), "--save", "", "--appendonly", "no"],
                stdout=subprocess.DEVNULL,
            )  # fmt: skip
            processes.append(server)
            wait_for_port(port, server)
            url = f"redis://127.0.0.1:{port}/0"
        raw = redis.Redis.from_url(url)
        raw.set(f"nitro:Counter:{COUNTER_ID}", json.dumps({"id": COUNTER_ID, "count": 0}))
        raw.zadd("nitro:Counter", {COUNTER_ID: float("inf")})
        env = {**os.environ, "NITRO_REDIS_URL": url, "NITRO_TEST_PRIMARY_DIR": str(tmp)}
        ports = []
        for n in range(args.instances):
            port = free_port()
            process = subprocess.Popen(
                [sys.executable, "-m", "uvicorn", "multi_app:app", "--app-dir", str(APP_DIR),
                 "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning",
                 "--no-access-log", "--timeout-graceful-shutdown", "1", "--backlog", "4096"],
                env={**env, "NITRO_TEST_INSTANCE": f"i{n}"},
            )  # fmt: skip
            processes.append(process)
            ports.append(port)
        for port, process in zip(ports, processes[-args.instances :], strict=True):
            wait_for_port(port, process)
        sources = ["action", "save"] if args.source == "both" else [args.source]
        run = measure_sources(ports, args.subscribers, args.changes, sources, env)
        try:  # the event loop uvicorn uses too, when installed
            import uvloop

            result = uvloop.run(run)
            result["client_loop"] = "uvloop"
        except ImportError:
            result = asyncio.run(run)
            result["client_loop"] = "asyncio"
    finally:
        for process in reversed(processes):
            stop(process)
        shutil.rmtree(tmp, ignore_errors=True)

    result["machine"] = f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs"
    result["python"] = platform.python_version()
    result["load_average_1m_before"] = load_before
    result["date"] = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    result["target_p99_ms"] = 250
    for source in sources:
        figures = result[source]
        figures["verdict"] = "pass" if figures["delivery_p99_ms"] < 250 else "FAIL"
    for key, value in result.items():
        if isinstance(value, dict):
            print(f"--- changes made by: {key} ---")
            for name, figure in value.items():
                print(f"{name:>24}: {figure}")
        else:
            print(f"{key:>24}: {value}")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
