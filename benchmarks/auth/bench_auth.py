"""A permission-checked @action with a JWT vs the same action without auth, side by side.

    uv run --no-sync python benchmarks/auth/bench_auth.py [--number 3000] [--rounds 11]
    uv run --no-sync python benchmarks/auth/bench_auth.py --server   # + uvicorn and wrk

Two FastAPI apps with the same entity action (``Doc.bump``: one counter, MemoryRepo):

- **open**: ``configure_app(app)``, ``@action`` with no guard; no ``Authorization``;
- **guarded**: ``configure_app(app, auth=JWTAuth(...HS256, audience, issuer))`` and
  ``@action(permission="doc.edit", allow=lambda user, doc: doc.owner == user.id)``; each
  request carries ``Authorization: Bearer <token>`` (a valid token, verified on every
  request: signature, exp, aud, iss, then the permission and the row rule).

In-process: one ASGI call per request (no server), best of ``--rounds`` interleaved
rounds of ``--number`` requests. With ``--server``: each app under uvicorn (1 worker)
and ``wrk -t1 -c16 -d5s``, alternating order, median over rounds. Printed: requests/s
of each and the ratio guarded/open (issue 15 asks >= 0.90).
"""

from __future__ import annotations

import argparse
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

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "actions"))  # inprocess.asgi_timer

import inprocess  # noqa: E402

KEY = "bench-secret-" + "k" * 32
AUDIENCE, ISSUER = "bench-api", "https://id.bench/"


def token() -> str:
    import jwt

    now = int(time.time())
    claims = {"sub": "ann", "aud": AUDIENCE, "iss": ISSUER, "iat": now, "exp": now + 86400,
              "permissions": ["doc.edit"]}  # fmt: skip
    return jwt.encode(claims, KEY, algorithm="HS256", headers={"kid": "k1"})


def app_for(side: str) -> Any:
    import bench_auth_apps

    return bench_auth_apps.open_app if side == "open" else bench_auth_apps.guarded_app


def asgi_timer(side: str) -> Any:
    path = "/doc/d1/bump" if side == "open" else "/guardeddoc/d1/bump"
    headers = [(b"host", b"127.0.0.1:8000"), (b"content-type", b"application/json")]
    if side == "guarded":
        headers.append((b"authorization", f"Bearer {token()}".encode()))
    return inprocess.asgi_timer(path, b"", app=app_for(side), headers=headers)


def in_process(number: int, rounds: int) -> dict[str, float]:
    timers = {side: asgi_timer(side) for side in ("open", "guarded")}
    for timer in timers.values():
        timer(200)  # warm up
    best = dict.fromkeys(timers, float("inf"))
    for i in range(rounds):
        order = list(timers) if i % 2 == 0 else list(reversed(timers))
        for side in order:
            best[side] = min(best[side], timers[side](number) / number)
    return {side: 1 / seconds for side, seconds in best.items()}


def with_server(rounds: int, duration: int) -> dict[str, float]:
    wrk = shutil.which("wrk")
    if wrk is None:
        raise SystemExit("--server needs wrk (apt-get install wrk)")
    import socket

    found: dict[str, list[float]] = {"open": [], "guarded": []}
    cpu: dict[str, list[float]] = {"open": [], "guarded": []}
    script = Path(tempfile.mkdtemp()) / "post.lua"
    for i in range(rounds):
        for side in ("open", "guarded") if i % 2 == 0 else ("guarded", "open"):
            with socket.socket() as s:
                s.bind(("127.0.0.1", 0))
                port = s.getsockname()[1]
            server = subprocess.Popen(
                [sys.executable, "-m", "uvicorn", f"bench_auth_apps:{side}_app", "--port",
                 str(port), "--log-level", "warning", "--no-access-log"],
                cwd=HERE,
            )  # fmt: skip
            try:
                deadline = time.monotonic() + 20
                while time.monotonic() < deadline:
                    try:
                        socket.create_connection(("127.0.0.1", port), 0.2).close()
                        break
                    except OSError:
                        time.sleep(0.1)
                header = f'wrk.headers["Authorization"] = "Bearer {token()}"\n'
                script.write_text('wrk.method = "POST"\n' + (header if side == "guarded" else ""))
                path = "/doc/d1/bump" if side == "open" else "/guardeddoc/d1/bump"
                cpu_before = _cpu_seconds(server.pid)
                out = subprocess.run(
                    [wrk, "-t1", "-c16", f"-d{duration}s", "-s", str(script),
                     f"http://127.0.0.1:{port}{path}"],
                    capture_output=True, text=True, check=True,
                ).stdout  # fmt: skip
                if "Non-2xx" in out:
                    raise SystemExit(f"{side}: non-2xx answers\n{out}")
                rps = float(out.split("Requests/sec:")[1].split()[0])
                total = int(out.split(" requests in ")[0].split()[-1])
                cpu_us = (_cpu_seconds(server.pid) - cpu_before) / total * 1e6
                found[side].append(rps)
                cpu[side].append(cpu_us)
                print(
                    f"round {i + 1} {side:8s} {rps:9.1f} req/s  "
                    f"server CPU {cpu_us:6.1f} µs/request",
                    flush=True,
                )
            finally:
                server.terminate()
                server.wait(10)
    for side, values in cpu.items():
        print(f"server CPU per request, {side}: median {statistics.median(values):.1f} µs")
    ratio = statistics.median(cpu["open"]) / statistics.median(cpu["guarded"])
    print(f"server CPU ratio open/guarded (requests per CPU second, guarded/open): {ratio:.3f}x")
    return {side: statistics.median(values) for side, values in found.items()}


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of process *pid* (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--number", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=11)
    parser.add_argument("--server", action="store_true", help="also measure under uvicorn + wrk")
    parser.add_argument("--server-rounds", type=int, default=4)
    parser.add_argument("--duration", type=int, default=5)
    args = parser.parse_args()
    print(f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.machine()} x{os.cpu_count()}, "
          f"Python {platform.python_version()}, load {os.getloadavg()[0]:.2f}")  # fmt: skip
    results = {"in-process": in_process(args.number, args.rounds)}
    if args.server:
        results["uvicorn + wrk"] = with_server(args.server_rounds, args.duration)
    verdict = 0
    for where, figures in results.items():
        ratio = figures["guarded"] / figures["open"]
        ok = ratio >= 0.90
        verdict |= 0 if ok else 1
        print(
            f"{where:14s} open {figures['open']:9.1f} req/s   "
            f"guarded+JWT {figures['guarded']:9.1f} req/s   "
            f"ratio {ratio:.3f}x  (>= 0.90: {'pass' if ok else 'FAIL'})"
        )
    print(json.dumps({k: {s: round(v, 1) for s, v in f.items()} for k, f in results.items()}))
    return verdict


if __name__ == "__main__":
    raise SystemExit(main())
