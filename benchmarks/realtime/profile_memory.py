"""Where the memory of an open stream goes: tracemalloc in the server, by source line.

    uv run --no-sync python benchmarks/realtime/profile_memory.py --connections 2000

Starts each server with allocation tracing on (``serve.py`` with
``BENCH_TRACEMALLOC``), warms it up like the benchmark, takes a snapshot, opens the
streams, waits, takes another, and prints per open stream: the RSS growth, the growth
of what Python allocated (traced), and the source lines that allocated the most, with
bytes and blocks per stream. Tracing slows the server; the figures are for memory only.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
import tracemalloc
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from scenario import Settings, warm_up  # noqa: E402
from servers import SERVERS, ServerProcess, ServerSpec  # noqa: E402
from workers import Workers  # noqa: E402

#: Shortened path -> file, to print the source lines.
SOURCES: dict[str, str] = {}
#: Code an allocation is charged to (the innermost frame in one of these).
OWNERS = ("nitro", "starlette", "fastapi", "uvicorn", "anyio", "realtime")
GROUPS = (*OWNERS, "asyncio")


async def snapshot(server: ServerProcess, base: str, n: int) -> tracemalloc.Snapshot:
    import signal

    path = Path(f"{base}.{n}")
    server.signal(signal.SIGUSR1)
    deadline = time.monotonic() + 120
    while not path.exists():  # serve.py renames it into place once written
        if time.monotonic() > deadline:
            raise TimeoutError(f"no snapshot {path}")
        await asyncio.sleep(0.2)
    ignore = [tracemalloc.Filter(False, tracemalloc.__file__)]
    return tracemalloc.Snapshot.load(str(path)).filter_traces(ignore)


def group(filename: str) -> str:
    parts = Path(filename).parts
    for name in GROUPS:
        if name in parts:
            return name
    return "other (" + "/".join(parts[-2:]) + ")"


def short(filename: str) -> str:
    parts = Path(filename).parts
    for anchor in ("site-packages", "src", "lib"):
        if anchor in parts:
            return "/".join(parts[len(parts) - parts[::-1].index(anchor) :])
    return "/".join(parts[-2:])


async def profile(spec: ServerSpec, args: argparse.Namespace, workdir: str) -> None:
    base = os.path.join(workdir, spec.name)
    env = {"BENCH_TRACEMALLOC": base, "BENCH_TRACEMALLOC_FRAMES": str(args.frames)}
    server = ServerProcess(spec, args.keepalive, env)
    settings = Settings(args.connections, 0, args.keepalive, 0, 0, 0, args.procs)
    workers = None
    try:
        await asyncio.to_thread(server.wait_until_up, 180.0)  # tracing slows imports
        await warm_up(server, spec, settings)
        await asyncio.sleep(1)
        before = await snapshot(server, base, 0)
        rss_before = server.status_kib("VmRSS")
        workers = await Workers.start(
            server.port, spec.stream_path("sse"), args.connections, args.procs
        )
        opened = sum(answer["ready"] for answer in await workers.ready())
        await asyncio.sleep(2)
        after = await snapshot(server, base, 1)
        rss_after = server.status_kib("VmRSS")
    finally:
        if workers is not None:
            await workers.close()
        server.stop()
    print(f"\n== {spec.name}: {opened} streams open")
    print(f"RSS growth per stream:    {(rss_after - rss_before) * 1024 / opened:8.0f} B")
    report(spec.name, after.compare_to(before, "traceback"), opened, args.top)


def owner(traceback: tracemalloc.Traceback) -> tracemalloc.Frame:
    """The innermost frame in a web package or this benchmark (else the innermost):
    whose code made the allocation, when it happened inside asyncio or the stdlib."""
    for frame in reversed(traceback):  # innermost last
        if group(frame.filename) in OWNERS:
            return frame
    return traceback[-1]


def where(frame: tracemalloc.Frame) -> str:
    SOURCES[short(frame.filename)] = frame.filename
    return f"{short(frame.filename)}:{frame.lineno}"


def report(name: str, diff: list[tracemalloc.StatisticDiff], opened: int, top: int) -> None:
    traced = sum(stat.size_diff for stat in diff)
    print(f"traced growth per stream: {traced / opened:8.0f} B (Python allocations)")
    by_group: dict[str, int] = defaultdict(int)
    by_line: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for stat in diff:
        made_by, allocated = owner(stat.traceback), stat.traceback[-1]
        by_group[group(made_by.filename)] += stat.size_diff
        key = (where(made_by), where(allocated) if allocated != made_by else "")
        by_line[key][0] += stat.size_diff
        by_line[key][1] += stat.count_diff
    print("by package whose code allocated (bytes per stream):")
    for package, size in sorted(by_group.items(), key=lambda item: -item[1])[:10]:
        print(f"  {size / opened:8.0f}  {package}")
    print(f"top {top} lines (bytes, blocks per stream; line [allocation site inside]):")
    ranked = sorted(by_line.items(), key=lambda item: -item[1][0])[:top]
    for (line, site), (size, count) in ranked:
        path, lineno = line.rsplit(":", 1)
        source = _source(path, int(lineno))
        inside = f"  [{site}]" if site else ""
        print(f"  {size / opened:7.0f} {count / opened:6.2f}  {line}  {source}{inside}")


def _source(path: str, lineno: int) -> str:
    try:
        return Path(SOURCES.get(path, path)).read_text().splitlines()[lineno - 1].strip()[:70]
    except (OSError, IndexError):
        return ""


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--connections", type=int, default=2000)
    parser.add_argument("--servers", nargs="+", choices=sorted(SERVERS), default=["nitro", "floor"])
    parser.add_argument("--keepalive", type=float, default=10.0)
    parser.add_argument("--procs", type=int, default=2)
    parser.add_argument("--frames", type=int, default=16, help="traceback depth traced")
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as workdir:
        for name in args.servers:
            await profile(SERVERS[name], args, workdir)


if __name__ == "__main__":
    asyncio.run(main())
