"""Live updates at scale: 10,000 SSE streams on one server process, Nitro vs a floor.

    uv run --no-sync python benchmarks/realtime/bench_sse.py            # 10,000 for 60 s
    uv run --no-sync python benchmarks/realtime/bench_sse.py --quick    # 500 for 10 s

For each server in turn (Nitro's live stream, then a hand-written Starlette floor):
one uvicorn process (1 worker, uvloop/httptools when installed) on loopback; load
generators (``loadgen.py``, raw asyncio sockets) open every stream of the same
entity, hold them, and record when each change and keepalive arrives. Printed: memory
per connection, delivery latency of a change to every client, ``GET /page`` latency
while the streams are open, heartbeats and surviving connections, and the ratios.
See README.md in this directory.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import platform
import subprocess
import sys
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from report import per_change, table  # noqa: E402
from scenario import Figures, Settings, measure  # noqa: E402
from serve import event_loop, http_parser, websocket_protocol  # noqa: E402
from servers import SERVERS  # noqa: E402
from transports import TRANSPORTS  # noqa: E402

PACKAGES = [
    "nitro-core", "nitro-fastapi", "fastapi", "starlette", "uvicorn", "uvloop", "httptools",
    "websockets",
]  # fmt: skip


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--connections", type=int, default=10_000)
    parser.add_argument("--hold", type=float, default=60.0, help="seconds all are held open")
    parser.add_argument("--keepalive", type=float, default=10.0, help="seconds (both servers)")
    parser.add_argument("--changes", type=int, default=5)
    parser.add_argument("--change-interval", type=float, default=3.0, help="seconds")
    parser.add_argument("--page-requests", type=int, default=200)
    parser.add_argument("--procs", type=int, default=4, help="load-generator processes")
    parser.add_argument("--servers", nargs="+", choices=sorted(SERVERS), default=["nitro", "floor"])
    parser.add_argument(
        "--gc-freeze",
        action="store_true",
        help="experiment: gc.freeze() in the server once all streams are open",
    )
    parser.add_argument(
        "--transport",
        choices=sorted(TRANSPORTS),
        default="sse",
        help="sse or ws (WebSockets)",
    )
    parser.add_argument("--quick", action="store_true", help="500 connections, 10 s hold")
    parser.add_argument("--json", type=Path, help="also write every figure to this file")
    args = parser.parse_args(argv)
    if args.quick:
        args.connections, args.hold, args.keepalive = 500, 10.0, 3.0
        args.changes, args.change_interval, args.page_requests, args.procs = 3, 1.0, 50, 2
    return args


def git(*args: str) -> str:
    done = subprocess.run(["git", *args], capture_output=True, text=True, cwd=HERE)
    return done.stdout.strip() if done.returncode == 0 else ""


def environment() -> dict[str, str]:
    versions = {}
    for package in PACKAGES:
        try:
            versions[package] = version(package)
        except PackageNotFoundError:
            versions[package] = "not installed"
    cpuinfo = Path("/proc/cpuinfo").read_text().splitlines()
    models = [line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")]
    cpu = models[0] if models else platform.processor()
    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    changes = git("diff", "HEAD", "--", str(HERE.parents[1] / "packages"))
    if changes:  # the packages as they were in the working tree, uncommitted changes included
        digest = hashlib.sha1(changes.encode()).hexdigest()[:10]
        commit += f" + uncommitted changes in packages/ (diff sha1 {digest})"
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{cpu}, {len(os.sched_getaffinity(0))} CPUs, {platform.system()}",
        "python": platform.python_version(),
        "server": (
            f"uvicorn, 1 worker, loop={event_loop()}, http={http_parser()}, "
            f"ws={websocket_protocol()}"
        ),
        "commit": commit,
        **versions,
    }


async def run(args: argparse.Namespace) -> list[Figures]:
    settings = Settings(
        connections=args.connections,
        hold=args.hold,
        keepalive=args.keepalive,
        changes=args.changes,
        change_interval=args.change_interval,
        page_requests=args.page_requests,
        procs=args.procs,
        gc_freeze=args.gc_freeze,
        transport=args.transport,
    )
    results = []
    for name in args.servers:
        if args.transport not in SERVERS[name].streams:
            print(f"-- {name}: no {args.transport} endpoint, skipped", flush=True)
            continue
        print(f"-- {name}: opening {args.connections} {args.transport} streams ...", flush=True)
        budget = settings.connect_timeout + args.hold + args.changes * args.change_interval + 400
        results.append(await asyncio.wait_for(measure(SERVERS[name], settings), budget))
        await asyncio.sleep(2)  # let the closed sockets go
    return results


def main() -> None:
    args = parse_args()
    env = environment()
    for key, value in env.items():
        print(f"{key}: {value}")
    print(
        f"scenario: {args.connections} {args.transport.upper()} connections, "
        f"hold {args.hold:g} s, keepalive {args.keepalive:g} s, "
        f"{args.changes} changes {args.change_interval:g} s apart, "
        f"{args.page_requests} x GET /page, {args.procs} load-generator processes"
        + (", gc.freeze() once all are open (experiment)" if args.gc_freeze else "")
        + "\n",
        flush=True,
    )
    results = asyncio.run(run(args))
    print()
    print(table(results))
    print()
    print(per_change(results))
    if args.json:
        data = {"environment": env, "args": vars(args) | {"json": str(args.json)}}
        data["results"] = [f.as_dict() for f in results]
        args.json.write_text(json.dumps(data, indent=1))


if __name__ == "__main__":
    main()
