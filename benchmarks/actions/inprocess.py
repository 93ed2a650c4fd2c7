"""The two endpoints called in-process, at the WSGI/ASGI boundary (no HTTP server).

    python benchmarks/actions/inprocess.py fastapi|flask [--number N] [--rounds R]

Prints one JSON line: the best-of-rounds microseconds per request of each endpoint.
Without a server, socket and HTTP parsing costs, what remains is the framework and the
endpoint: the part Nitro can make faster or slower. ``bench_actions.py`` runs this in a
subprocess per framework, next to the ``wrk`` figures.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

PATHS = {
    "nitro": ("/counter/main/increment", b"amount=1"),
    "hand": ("/hand/counter/main/increment", b"amount=1"),
}
HEADERS = [
    (b"host", b"127.0.0.1:8000"),
    (b"user-agent", b"wrk"),
    (b"content-type", b"application/json"),
]


def wsgi_timer(path: str, query: bytes) -> Any:
    from flask_app import app

    environ = {
        "REQUEST_METHOD": "POST", "SCRIPT_NAME": "", "PATH_INFO": path,
        "QUERY_STRING": query.decode(), "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1", "CONTENT_TYPE": "application/json",
        "HTTP_HOST": "127.0.0.1:8000", "HTTP_USER_AGENT": "wrk", "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http", "wsgi.errors": sys.stderr, "wsgi.multithread": True,
        "wsgi.multiprocess": False, "wsgi.run_once": False, "wsgi.input_terminated": True,
    }  # fmt: skip

    def start_response(status: str, headers: Any, exc_info: Any = None) -> None:
        assert status.startswith("200"), status

    def run(number: int) -> float:
        started = time.perf_counter()
        for _ in range(number):
            env = dict(environ)
            env["wsgi.input"] = io.BytesIO(b"")
            body = app(env, start_response)
            b"".join(body)
            body.close()
        return time.perf_counter() - started

    return run


def asgi_timer(
    path: str, query: bytes, app: Any = None, headers: list[tuple[bytes, bytes]] = HEADERS
) -> Any:
    """``run(number)``: the seconds *number* POSTs to *app* (default: ``fastapi_app``'s)
    take; ``benchmarks/auth`` times its own apps with it."""
    if app is None:
        from fastapi_app import app

    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
        "scheme": "http", "path": path, "raw_path": path.encode(), "root_path": "",
        "query_string": query, "headers": headers, "client": ("127.0.0.1", 9),
        "server": ("127.0.0.1", 8000), "state": {},
    }  # fmt: skip

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            assert message["status"] == 200, message

    async def many(number: int) -> float:
        started = time.perf_counter()
        for _ in range(number):
            await app(dict(scope), receive, send)
        return time.perf_counter() - started

    loop = asyncio.new_event_loop()
    return lambda number: loop.run_until_complete(many(number))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("framework", choices=["fastapi", "flask"])
    parser.add_argument("--number", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=9)
    args = parser.parse_args()
    make = asgi_timer if args.framework == "fastapi" else wsgi_timer
    timers = {name: make(path, query) for name, (path, query) in PATHS.items()}
    best = dict.fromkeys(timers, float("inf"))
    for timer in timers.values():
        timer(args.number // 3)  # warm-up
    for _ in range(args.rounds):  # interleaved rounds, best of each
        for name, timer in timers.items():
            best[name] = min(best[name], timer(args.number) / args.number * 1e6)
    print(json.dumps(best))


if __name__ == "__main__":
    main()
