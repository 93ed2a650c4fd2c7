"""Run one benchmark server: ``python serve.py nitro|floor PORT``.

A single uvicorn process, one worker: uvloop and httptools when installed. Garbage
collections are timed (``gc.callbacks``); SIGUSR2 writes them as JSON to
``$BENCH_GC_FILE``. With ``BENCH_TRACEMALLOC=<file>``, allocations are traced from the
start and each SIGUSR1 writes a snapshot to ``<file>.<n>`` (see ``profile_memory.py``).
"""

from __future__ import annotations

import gc
import importlib
import importlib.util
import json
import os
import signal
import sys
import time
import tracemalloc
from pathlib import Path
from types import FrameType
from typing import Any

import uvicorn

APPS = {"nitro": "nitro_app", "floor": "floor_app"}


def available(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def event_loop() -> str:
    return "uvloop" if available("uvloop") else "asyncio"


def http_parser() -> str:
    return "httptools" if available("httptools") else "h11"


def websocket_protocol() -> str:
    """uvicorn's own choice ("auto"), named."""
    if available("websockets"):
        return "websockets-sansio"
    return "wsproto" if available("wsproto") else "none"


def write_atomically(path: str, write: Any) -> None:
    write(path + ".tmp")
    os.replace(path + ".tmp", path)


class GcTimes:
    """Every collection: ``[start (time.monotonic()), seconds, generation]``."""

    def __init__(self) -> None:
        self.started = 0.0
        self.collections: list[tuple[float, float, int]] = []

    def __call__(self, phase: str, info: dict[str, Any]) -> None:
        now = time.monotonic()
        if phase == "start":
            self.started = now
        else:
            self.collections.append((self.started, now - self.started, info["generation"]))

    def install(self, path: str) -> None:
        gc.callbacks.append(self)

        def dump(signum: int, frame: FrameType | None) -> None:
            text = json.dumps(self.collections)
            write_atomically(path, lambda p: Path(p).write_text(text))

        signal.signal(signal.SIGUSR2, dump)


def trace_allocations(path: str) -> None:
    tracemalloc.start(int(os.environ.get("BENCH_TRACEMALLOC_FRAMES", "1")))
    taken = 0

    def dump(signum: int, frame: FrameType | None) -> None:
        nonlocal taken
        write_atomically(f"{path}.{taken}", tracemalloc.take_snapshot().dump)
        taken += 1

    signal.signal(signal.SIGUSR1, dump)


def main() -> None:
    name, port = sys.argv[1], int(sys.argv[2])
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    if os.environ.get("BENCH_GC_FILE"):
        GcTimes().install(os.environ["BENCH_GC_FILE"])
    # An experiment (bench_sse.py --gc-freeze): on SIGHUP, move every object alive into
    # the permanent generation, which full collections no longer scan.
    signal.signal(signal.SIGHUP, lambda signum, frame: gc.freeze())
    if os.environ.get("BENCH_TRACEMALLOC"):
        trace_allocations(os.environ["BENCH_TRACEMALLOC"])
    app = importlib.import_module(APPS[name]).app
    uvicorn.run(
        app,
        host="127.0.0.1",
        port=port,
        loop=event_loop(),
        http=http_parser(),
        ws=websocket_protocol(),
        workers=1,
        backlog=4096,
        ws_ping_interval=None,  # the apps send their own keepalive, as on SSE
        log_level="warning",
        access_log=False,
    )


if __name__ == "__main__":
    main()
