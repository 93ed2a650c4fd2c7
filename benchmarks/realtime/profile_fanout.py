"""What one change costs per open stream, without sockets: the apps called in-process.

    uv run --no-sync python benchmarks/realtime/profile_fanout.py --streams 10000

Opens ``--streams`` live streams on the Nitro app and on the floor app by calling
each app directly (ASGI, as uvicorn would, with a ``send`` that only counts), then
publishes ``--changes`` changes one at a time and times each until every stream has
sent it: the apps' and asyncio's share of a delivery, with no HTTP server, kernel or
client in the way. ``--profile`` adds a cProfile of the fan-out (the ten functions
with the most own time, and Nitro's functions by cumulative time).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import importlib
import io
import os
import pstats
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from common import KEEPALIVE_ENV  # noqa: E402


class Streams:
    """``n`` requests in flight on one ASGI app; counts the body messages sent."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.sent = 0
        self.target = 0
        self.reached = asyncio.Event()
        self.disconnect = asyncio.get_running_loop().create_future()
        self.tasks: list[asyncio.Task[None]] = []

    def expect(self, sends: int) -> None:
        self.target = self.sent + sends
        self.reached.clear()

    async def send(self, message: dict[str, Any]) -> None:
        if message["type"] == "http.response.body" and message.get("body"):
            self.sent += 1
            if self.sent == self.target:
                self.reached.set()

    def receive_for(self) -> Callable[[], Any]:
        requested = False

        async def receive() -> dict[str, Any]:
            nonlocal requested
            if not requested:
                requested = True
                return {"type": "http.request", "body": b"", "more_body": False}
            await asyncio.shield(self.disconnect)
            return {"type": "http.disconnect"}

        return receive

    def open(self, app: Any, path: str) -> None:
        for i in range(self.n):
            scope = {
                "type": "http",
                "asgi": {"version": "3.0", "spec_version": "2.3"},
                "http_version": "1.1",
                "method": "GET",
                "scheme": "http",
                "path": path,
                "raw_path": path.encode(),
                "root_path": "",
                "query_string": b"",
                "headers": [(b"host", b"127.0.0.1:8000"), (b"accept", b"text/event-stream")],
                "client": ("127.0.0.1", 40000 + i % 20000),
                "server": ("127.0.0.1", 8000),
                "state": {},
            }
            self.tasks.append(asyncio.ensure_future(app(scope, self.receive_for(), self.send)))

    async def close(self) -> None:
        self.disconnect.set_result(None)
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)


def patch_nitro_aget() -> None:
    """Experiment (``--patch-aget``), in this process only: ``Subscription.aget`` with
    ``asyncio.timeout()`` in place of ``asyncio.wait_for()``, which on Python 3.11 runs
    each wait in a new Task."""
    from nitro.broadcast import Subscription

    async def aget(self: Any, timeout: float | None = None) -> Any | None:
        try:
            async with asyncio.timeout(timeout):
                return await self._async_queue.get()
        except TimeoutError:
            return None

    Subscription.aget = aget  # type: ignore[method-assign]


def nitro_trigger() -> Callable[[], None]:
    counter_cls = importlib.import_module("nitro_app").Counter

    def trigger() -> None:
        counter = counter_cls.get("main")
        counter.count += 1
        counter.save()  # post_save: the app publishes it to the live streams

    return trigger


def floor_trigger() -> Callable[[], None]:
    floor = importlib.import_module("floor_app")

    def trigger() -> None:
        floor.state["count"] += 1
        floor.hub.publish(floor.state_event())

    return trigger


APPS = {
    "nitro": ("nitro_app", "/_live/counter/main", nitro_trigger),
    "floor": ("floor_app", "/stream", floor_trigger),
}


async def measure(name: str, args: argparse.Namespace) -> None:
    module, path, make_trigger = APPS[name]
    if name == "nitro" and args.patch_aget:
        patch_nitro_aget()
        print("(experiment: Subscription.aget uses asyncio.timeout)")
    app = importlib.import_module(module).app
    trigger = make_trigger()
    streams = Streams(args.streams)
    streams.expect(args.streams)  # the first event of each
    gc.collect()
    tracked = len(gc.get_objects())
    started = time.perf_counter()
    streams.open(app, path)
    await asyncio.wait_for(streams.reached.wait(), 300)
    opened = time.perf_counter() - started
    await asyncio.sleep(0.5)
    print(f"\n== {name}: {args.streams} streams opened in {opened:.2f} s")
    full = full_collection()
    per_stream = (len(gc.get_objects()) - tracked) / args.streams
    print(
        f"  objects tracked by the GC: {per_stream:.1f} per stream, "
        f"{len(gc.get_objects()):,} in all; a full collection takes {full * 1000:.0f} ms"
    )
    survivors = await surviving(streams, trigger)
    kinds = ", ".join(f"{kind} {n / args.streams:.1f}" for kind, n in survivors.most_common(12))
    print(
        "  objects a change leaves alive (until the next message): "
        f"{survivors.total() / args.streams:.1f} per stream: {kinds}"
    )
    profile = cProfile.Profile() if args.profile else None
    times = []
    for _ in range(args.changes):
        await asyncio.sleep(0.2)
        gc.collect()  # no collection of the streams' objects inside the timing
        streams.expect(args.streams)
        cpu, wall = time.process_time(), time.perf_counter()
        if args.gc_off:
            gc.disable()
        if profile:
            profile.enable()
        trigger()
        await asyncio.wait_for(streams.reached.wait(), 300)
        if profile:
            profile.disable()
        gc.enable()
        times.append((time.perf_counter() - wall, time.process_time() - cpu))
    for wall, cpu in times:
        per = wall / args.streams * 1e6
        print(
            f"  change: {wall * 1000:7.1f} ms to reach all ({per:5.1f} us per stream), "
            f"CPU {cpu * 1000:7.1f} ms"
        )
    best = min(wall for wall, _ in times)
    print(f"  best: {best / args.streams * 1e6:.1f} us per stream")
    if profile:
        show(profile, args.changes * args.streams)
    await streams.close()


def full_collection() -> float:
    """Seconds of ``gc.collect()`` (all generations), best of three."""
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        gc.collect()
        best = min(best, time.perf_counter() - started)
    return best


async def surviving(streams: Streams, trigger: Callable[[], None]) -> Counter[str]:
    """Objects created by one change that are still alive once it reached every stream:
    what ages into the oldest generation and brings the next full collection closer."""
    gc.collect()
    gc.freeze()  # everything alive now is out of sight of get_objects()
    try:
        streams.expect(streams.n)
        trigger()
        await asyncio.wait_for(streams.reached.wait(), 300)
        await asyncio.sleep(0.2)
        gc.collect()
        return Counter(type(o).__qualname__ for o in gc.get_objects())
    finally:
        gc.unfreeze()


def show(profile: cProfile.Profile, deliveries: int) -> None:
    out = io.StringIO()
    stats = pstats.Stats(profile, stream=out)
    stats.sort_stats("tottime").print_stats(12)
    stats.sort_stats("cumulative").print_stats("nitro|floor_app|starlette|uvicorn", 25)
    print(f"  (profiled: {deliveries} deliveries; times include cProfile's overhead)")
    print("\n".join(line for line in out.getvalue().splitlines() if line.strip()))


async def main(args: argparse.Namespace) -> None:
    (name,) = args.servers
    await measure(name, args)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--streams", type=int, default=10_000)
    parser.add_argument("--changes", type=int, default=5)
    parser.add_argument("--servers", nargs="+", choices=sorted(APPS), default=["nitro", "floor"])
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--gc-off", action="store_true", help="no collection while timed")
    parser.add_argument("--patch-aget", action="store_true", help="see patch_nitro_aget()")
    cli = parser.parse_args()
    if len(cli.servers) > 1:  # each app in a fresh process
        for server in cli.servers:
            command = [sys.executable, *sys.argv]
            subprocess.run([*command, "--servers", server], check=True)
        sys.exit()
    os.environ.setdefault(KEEPALIVE_ENV, "600")  # no keepalive inside the timings
    try:
        import uvloop
    except ImportError:
        asyncio.run(main(cli))
    else:
        uvloop.run(main(cli))
