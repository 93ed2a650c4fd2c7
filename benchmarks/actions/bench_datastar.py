"""A Datastar request to an @action vs a lean hand-written endpoint, side by side.

    UV_PROJECT_ENVIRONMENT=benchmarks/.venv-actions \
        uv run --all-packages --group bench python benchmarks/actions/bench_datastar.py

The request is what the Datastar client sends for ``data-on:click="@post(...)"``:
``POST /counter/increment?amount=1`` with ``Datastar-Request: true`` and the page's
signals as the JSON body (``{"Counter": {"id": "main", "count": 0}}``). Both endpoints
answer one ``datastar-patch-signals`` event with the counter's new signals:

- **nitro**: the route ``configure_app`` makes for ``Counter.increment`` (``counter.py``,
  an ``Entity`` on MemoryRepo);
- **lean**: ``/lean/counter/increment``, no Nitro: raw body, ``json.loads``, a dict of
  copies under a lock, the event written by the ``datastar-py`` SDK
  (``lean_fastapi_app.py``, ``lean_flask_app.py``);
- **lean-plain** (FastAPI only): the same, answered with a plain ``Response`` instead
  of the SDK's ``DatastarResponse`` (a ``StreamingResponse``, much slower per request).

One server per framework serves both (FastAPI: uvicorn, 1 worker; Flask: gunicorn, 1
gthread worker, 4 threads); ``wrk -t1 -c16`` loads the two URLs in turn, alternating
which goes first, for ``--rounds`` rounds. Printed: median requests/s, p99 and server
CPU per request of each, the median over rounds of nitro/lean requests/s (target >=
0.90), then the in-process cost of each endpoint (one ASGI/WSGI call per request, no
server; best of ``--inprocess-rounds`` interleaved rounds).
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_actions import Run, free_port, server_cpu_seconds, wait_until_up, wrk  # noqa: E402

PATHS = {"nitro": "/counter/increment", "lean": "/lean/counter/increment"}
#: FastAPI only: the lean endpoint with a plain Response instead of the SDK's
#: DatastarResponse (a StreamingResponse), the stricter baseline.
PLAIN = {"lean-plain": "/lean-plain/counter/increment"}


def paths(framework: str) -> dict[str, str]:
    return {**PATHS, **PLAIN} if framework == "fastapi" else dict(PATHS)


QUERY = "amount=1"
BODY = b'{"Counter":{"id":"main","count":0}}'
HEADERS = {"Datastar-Request": "true", "Content-Type": "application/json"}
WRK_SCRIPT = (
    'wrk.method = "POST"\n'
    + "".join(f'wrk.headers["{k}"] = "{v}"\n' for k, v in HEADERS.items())
    + f"wrk.body = '{BODY.decode()}'\n"
)


def server_command(framework: str, port: int) -> list[str]:
    if framework == "fastapi":
        return [
            sys.executable, "-m", "uvicorn", "lean_fastapi_app:app", "--app-dir", str(HERE),
            "--host", "127.0.0.1", "--port", str(port), "--workers", "1",
            "--log-level", "warning", "--no-access-log",
        ]  # fmt: skip
    return [
        sys.executable, "-m", "gunicorn", "lean_flask_app:app", "--chdir", str(HERE),
        "--bind", f"127.0.0.1:{port}", "--workers", "1", "--worker-class", "gthread",
        "--threads", "4", "--log-level", "warning",
    ]  # fmt: skip


def datastar_post(url: str) -> tuple[str, dict[str, Any]]:
    """One Datastar request; the answer's content type and its one signals patch."""
    request = urllib.request.Request(url, BODY, HEADERS, method="POST")
    with urllib.request.urlopen(request, timeout=5) as response:
        assert response.status == 200, response.status
        text = response.read().decode()
        content_type = response.headers["Content-Type"]
    events = [block for block in text.strip().split("\n\n") if block]
    patches = [e for e in events if e.startswith("event: datastar-patch-signals")]
    signals: dict[str, Any] = {}
    for event in patches:
        for line in event.splitlines():
            if line.startswith("data: signals "):
                signals.update(json.loads(line[len("data: signals ") :]))
    return content_type, signals


def bench(framework: str, args: argparse.Namespace, script: Path) -> dict[str, list[Run]]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    process = subprocess.Popen(server_command(framework, port), cwd=HERE)
    try:
        wait_until_up(base, process)
        urls = {name: f"{base}{path}?{QUERY}" for name, path in paths(framework).items()}
        for name, url in urls.items():  # each answers one event with the new count
            content_type, first = datastar_post(url)
            assert content_type.startswith("text/event-stream"), (name, content_type)
            _, second = datastar_post(url)
            assert second["Counter"]["id"] == "main", (name, second)
            assert second["Counter"]["count"] == first["Counter"]["count"] + 1, (name, second)
        for url in urls.values():  # warm-up
            wrk(url, script, args.warmup, args.connections)
        runs: dict[str, list[Run]] = {name: [] for name in urls}
        for round_number in range(args.rounds):
            order = list(urls) if round_number % 2 == 0 else list(reversed(urls))
            for name in order:
                cpu_before = server_cpu_seconds(process.pid)
                run = wrk(urls[name], script, args.seconds, args.connections)
                run.cpu_us = (server_cpu_seconds(process.pid) - cpu_before) / run.requests * 1e6
                runs[name].append(run)
        return runs
    finally:
        process.terminate()
        process.wait(timeout=10)


# -- in-process: one ASGI/WSGI call per request ----------------------------------------


def _wsgi_timer(path: str) -> Any:
    from lean_flask_app import app

    environ = {
        "REQUEST_METHOD": "POST", "SCRIPT_NAME": "", "PATH_INFO": path, "QUERY_STRING": QUERY,
        "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "8000", "SERVER_PROTOCOL": "HTTP/1.1",
        "CONTENT_TYPE": "application/json", "CONTENT_LENGTH": str(len(BODY)),
        "HTTP_HOST": "127.0.0.1:8000", "HTTP_DATASTAR_REQUEST": "true",
        "HTTP_USER_AGENT": "wrk", "wsgi.version": (1, 0), "wsgi.url_scheme": "http",
        "wsgi.errors": sys.stderr, "wsgi.multithread": True, "wsgi.multiprocess": False,
        "wsgi.run_once": False, "wsgi.input_terminated": True,
    }  # fmt: skip

    def start_response(status: str, headers: Any, exc_info: Any = None) -> None:
        assert status.startswith("200"), status

    def run(number: int) -> float:
        started = time.perf_counter()
        for _ in range(number):
            env = dict(environ)
            env["wsgi.input"] = io.BytesIO(BODY)
            body = app(env, start_response)
            b"".join(body)
            if hasattr(body, "close"):
                body.close()
        return time.perf_counter() - started

    return run


def _asgi_timer(path: str) -> Any:
    from lean_fastapi_app import app

    headers = [
        (b"host", b"127.0.0.1:8000"),
        (b"user-agent", b"wrk"),
        (b"datastar-request", b"true"),
        (b"content-type", b"application/json"),
        (b"content-length", str(len(BODY)).encode()),
    ]
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
        "scheme": "http", "path": path, "raw_path": path.encode(), "root_path": "",
        "query_string": QUERY.encode(), "headers": headers, "client": ("127.0.0.1", 9),
        "server": ("127.0.0.1", 8000), "state": {},
    }  # fmt: skip

    async def many(number: int) -> float:
        never = asyncio.Event()  # a client that stays connected: no http.disconnect

        def receiver() -> Any:
            sent = False

            async def receive() -> dict[str, Any]:
                nonlocal sent
                if sent:
                    await never.wait()
                sent = True
                return {"type": "http.request", "body": BODY, "more_body": False}

            return receive

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                assert message["status"] == 200, message

        started = time.perf_counter()
        for _ in range(number):
            await app(dict(scope), receiver(), send)
        return time.perf_counter() - started

    loop = asyncio.new_event_loop()
    return lambda number: loop.run_until_complete(many(number))


def inprocess(framework: str, number: int, rounds: int) -> dict[str, float]:
    """Best-of-rounds microseconds per request of each endpoint, without a server."""
    make = _asgi_timer if framework == "fastapi" else _wsgi_timer
    timers = {name: make(path) for name, path in paths(framework).items()}
    best = dict.fromkeys(timers, float("inf"))
    for timer in timers.values():
        timer(number // 3)  # warm-up
    for _ in range(rounds):
        for name, timer in timers.items():
            best[name] = min(best[name], timer(number) / number * 1e6)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--frameworks", nargs="+", default=["fastapi", "flask"])
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--seconds", type=int, default=3)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--inprocess-number", type=int, default=3000)
    parser.add_argument("--inprocess-rounds", type=int, default=9)
    parser.add_argument("--inprocess", choices=["fastapi", "flask"], help=argparse.SUPPRESS)
    parser.add_argument("--no-wrk", action="store_true", help="only the in-process timing")
    args = parser.parse_args()
    if args.inprocess:  # the child process of the in-process timing
        print(json.dumps(inprocess(args.inprocess, args.inprocess_number, args.inprocess_rounds)))
        return
    if not args.no_wrk and shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install -y wrk")
    load = os.getloadavg()[0]
    print(
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.machine()}, {os.cpu_count()} CPUs, "
        f"load {load:.2f}, CPython {platform.python_version()}, nitro-core "
        f"{version('nitro-core')}, datastar-py {version('datastar-py')}, fastapi "
        f"{version('fastapi')}, uvicorn {version('uvicorn')}, flask {version('flask')}, "
        f"gunicorn {version('gunicorn')}; wrk -t1 -c{args.connections} -d{args.seconds}s, "
        f"{args.rounds} interleaved rounds"
    )
    summary = []
    if not args.no_wrk:
        print(
            f"{'framework':<10}{'endpoint':<8}{'req/s':>9}{'p99 ms':>9}{'CPU us/req':>12}"
            f"{'errors':>8}  req/s per round"
        )
        with tempfile.TemporaryDirectory() as tmp:
            script = Path(tmp) / "datastar.lua"
            script.write_text(WRK_SCRIPT)
            for framework in args.frameworks:
                runs = bench(framework, args, script)
                for name in sorted(runs):
                    rps = statistics.median(r.rps for r in runs[name])
                    p99 = statistics.median(r.p99_ms for r in runs[name])
                    cpu = statistics.median(r.cpu_us for r in runs[name])
                    errors = sum(r.errors for r in runs[name])
                    rounds = " ".join(f"{r.rps:.0f}" for r in runs[name])
                    print(
                        f"{framework:<10}{name:<8}{rps:>9.0f}{p99:>9.2f}{cpu:>12.1f}"
                        f"{errors:>8}  {rounds}"
                    )
                for baseline in (name for name in sorted(runs) if name != "nitro"):
                    pairs = list(zip(runs["nitro"], runs[baseline], strict=True))
                    ratio = statistics.median(n.rps / h.rps for n, h in pairs)
                    cpu_ratio = statistics.median(n.cpu_us / h.cpu_us for n, h in pairs)
                    verdict = "pass" if ratio >= 0.9 else "MISSED"
                    summary.append(
                        f"{framework}: req/s nitro/{baseline} = {ratio:.3f} (target >= 0.90: "
                        f"{verdict}); CPU per request nitro/{baseline} = {cpu_ratio:.3f}"
                    )
        print("\n".join(summary))
    print(
        f"\nin-process, no HTTP server (best of {args.inprocess_rounds} rounds of "
        f"{args.inprocess_number} calls)"
    )
    for framework in args.frameworks:
        done = subprocess.run(
            [sys.executable, __file__, "--inprocess", framework,
             "--inprocess-number", str(args.inprocess_number),
             "--inprocess-rounds", str(args.inprocess_rounds)],
            capture_output=True, text=True, check=True, cwd=HERE,
        )  # fmt: skip
        us = json.loads(done.stdout)
        for baseline in (name for name in sorted(us) if name != "nitro"):
            print(
                f"{framework}: {baseline} {us[baseline]:.1f} us, nitro {us['nitro']:.1f} us per "
                f"request ({us['nitro'] - us[baseline]:+.1f} us); nitro speed / {baseline} = "
                f"{us[baseline] / us['nitro']:.3f}"
            )
    print(f"load average at the end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
