"""@action route vs a hand-written endpoint, on FastAPI and Flask, under wrk.

    uv run --group bench python benchmarks/actions/bench_actions.py

For each framework one server process is started (FastAPI: uvicorn, 1 worker; Flask:
gunicorn, 1 gthread worker) serving both endpoints of the counter's increment (see
``fastapi_app.py`` / ``flask_app.py``). After a warm-up, ``wrk`` loads the two URLs in
turn, alternating which goes first, for ``--rounds`` rounds. Printed per endpoint: the
medians of requests/s, p99 latency and the server's CPU time per request; per
framework: the median over rounds of Nitro / hand-written requests/s (target >= 0.90)
and of CPU time per request. Then ``inprocess.py`` times both endpoints without a
server (a WSGI/ASGI call per request), which isolates what the framework and Nitro
cost from the HTTP server's share.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path

HERE = Path(__file__).resolve().parent
NITRO_PATH = "/counter/main/increment?amount=1"
HAND_PATH = "/hand/counter/main/increment?amount=1"
POST_SCRIPT = 'wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\n'


def server_command(framework: str, port: int) -> list[str]:
    if framework == "fastapi":
        return [
            sys.executable, "-m", "uvicorn", "fastapi_app:app", "--app-dir", str(HERE),
            "--host", "127.0.0.1", "--port", str(port), "--workers", "1",
            "--log-level", "warning", "--no-access-log",
        ]  # fmt: skip
    return [
        sys.executable, "-m", "gunicorn", "flask_app:app", "--chdir", str(HERE),
        "--bind", f"127.0.0.1:{port}", "--workers", "1", "--worker-class", "gthread",
        "--threads", "4", "--log-level", "warning",
    ]  # fmt: skip


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_up(base: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"server exited with code {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", int(base.rsplit(":", 1)[1])), 0.2):
                return
        except OSError:
            time.sleep(0.1)
    raise SystemExit("server did not start within 30 s")


def post_json(url: str) -> dict:
    request = urllib.request.Request(url, method="POST", data=b"")
    with urllib.request.urlopen(request, timeout=5) as response:
        assert response.status == 200, response.status
        return json.loads(response.read())


@dataclass
class Run:
    rps: float
    p99_ms: float
    requests: int
    errors: int
    cpu_us: float = 0.0  # server CPU time per request


_TICK = os.sysconf("SC_CLK_TCK")


def server_cpu_seconds(pid: int) -> float:
    """User + system CPU time of the server process and its children (gunicorn's worker)."""
    pids = [pid]
    children = Path(f"/proc/{pid}/task/{pid}/children")
    if children.exists():
        pids += [int(child) for child in children.read_text().split()]
    total = 0
    for each in pids:
        fields = Path(f"/proc/{each}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / _TICK


_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3}


def wrk(url: str, script: Path, seconds: int, connections: int) -> Run:
    done = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", str(script), url],
        capture_output=True,
        text=True,
        check=True,
    )
    out = done.stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    value, unit = re.search(r"^\s+99%\s+([\d.]+)(us|ms|s)\s*$", out, re.M).groups()
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    errors = 0
    if found := re.search(r"Non-2xx or 3xx responses: (\d+)", out):
        errors += int(found.group(1))
    if found := re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out
    ):
        errors += sum(int(n) for n in found.groups())
    return Run(rps, float(value) * _UNITS[unit], requests, errors)


def bench(framework: str, args: argparse.Namespace, script: Path) -> dict[str, list[Run]]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    process = subprocess.Popen(server_command(framework, port), cwd=HERE)
    try:
        wait_until_up(base, process)
        nitro_body, hand_body = post_json(base + NITRO_PATH), post_json(base + HAND_PATH)
        assert nitro_body.keys() == hand_body.keys() == {"result", "entity"}, (
            nitro_body,
            hand_body,
        )
        assert hand_body["entity"]["count"] == nitro_body["entity"]["count"] + 1
        urls = {"nitro": base + NITRO_PATH, "hand": base + HAND_PATH}
        for url in urls.values():  # warm-up
            wrk(url, script, args.warmup, args.connections)
        runs: dict[str, list[Run]] = {"nitro": [], "hand": []}
        for round_number in range(args.rounds):
            order = ["nitro", "hand"] if round_number % 2 == 0 else ["hand", "nitro"]
            for name in order:
                cpu_before = server_cpu_seconds(process.pid)
                run = wrk(urls[name], script, args.seconds, args.connections)
                run.cpu_us = (server_cpu_seconds(process.pid) - cpu_before) / run.requests * 1e6
                runs[name].append(run)
        return runs
    finally:
        process.terminate()
        process.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--frameworks", nargs="+", default=["fastapi", "flask"])
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--seconds", type=int, default=3)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--connections", type=int, default=16)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install -y wrk")

    print(
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.machine()}, {os.cpu_count()} CPUs, "
        f"CPython {platform.python_version()}, nitro-core {version('nitro-core')}, "
        f"fastapi {version('fastapi')}, uvicorn {version('uvicorn')}, flask {version('flask')}, "
        f"gunicorn {version('gunicorn')}; wrk -t1 -c{args.connections} -d{args.seconds}s, "
        f"{args.rounds} interleaved rounds"
    )
    print(
        f"{'framework':<10}{'endpoint':<8}{'req/s':>9}{'p99 ms':>9}{'CPU us/req':>12}"
        f"{'errors':>8}  req/s per round"
    )
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "post.lua"
        script.write_text(POST_SCRIPT)
        summary = []
        for framework in args.frameworks:
            runs = bench(framework, args, script)
            for name in ("hand", "nitro"):
                rps = statistics.median(r.rps for r in runs[name])
                p99 = statistics.median(r.p99_ms for r in runs[name])
                cpu = statistics.median(r.cpu_us for r in runs[name])
                errors = sum(r.errors for r in runs[name])
                rounds = " ".join(f"{r.rps:.0f}" for r in runs[name])
                print(
                    f"{framework:<10}{name:<8}{rps:>9.0f}{p99:>9.2f}{cpu:>12.1f}{errors:>8}"
                    f"  {rounds}"
                )
            # Adjacent runs share the machine's state; the median of their ratios is
            # steadier than the ratio of medians when other work competes for the CPU.
            pairs = list(zip(runs["nitro"], runs["hand"], strict=True))
            ratio = statistics.median(n.rps / h.rps for n, h in pairs)
            cpu_ratio = statistics.median(n.cpu_us / h.cpu_us for n, h in pairs)
            verdict = "pass" if ratio >= 0.9 else "MISSED"
            summary.append(
                f"{framework}: req/s nitro/hand = {ratio:.3f} (target >= 0.90: {verdict}); "
                f"CPU per request nitro/hand = {cpu_ratio:.3f}"
            )
    print("\n".join(summary))
    print("\nin-process, no HTTP server (inprocess.py: best of 9 rounds of 3000 calls)")
    for framework in args.frameworks:
        done = subprocess.run(
            [sys.executable, str(HERE / "inprocess.py"), framework],
            capture_output=True,
            text=True,
            check=True,
        )
        us = json.loads(done.stdout)
        print(
            f"{framework}: hand {us['hand']:.1f} us, nitro {us['nitro']:.1f} us per request; "
            f"nitro speed / hand = {us['hand'] / us['nitro']:.3f}"
        )


if __name__ == "__main__":
    main()
