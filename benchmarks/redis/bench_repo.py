"""RedisRepo save+get against raw redis-py storing the same JSON payloads.

    uv run python benchmarks/redis/bench_repo.py                # table + verdicts
    uv run python benchmarks/redis/bench_repo.py --json out.json --redis-url redis://...

Starts a redis-server on a free loopback port (or uses ``--redis-url``). For each
payload the baseline stores and reads the entity's JSON bytes with plain redis-py
(``SET key payload`` + ``GET key``) and the candidate does ``repo.save(entity)`` +
``repo.get(id)`` -- which also serialises, validates, and keeps the index. Rounds
of N save+get pairs are interleaved (baseline, candidate, baseline, ...); the best
and the median round of each side are reported, and the ratio uses the medians.
Target (issue 7): RedisRepo save+get within 1.5x of raw redis-py.
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
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pydantic
import redis
import redis.asyncio

from nitro import Entity
from nitro.redis import RedisRepo


class Item(Entity):
    name: str
    count: int = 0
    price: float = 0.0
    active: bool = True
    tags: list[str] = []


PAYLOADS = {
    "small entity (5 fields, ~110 B JSON)": Item(
        id="item-1", name="pen", count=3, price=1.25, tags=["a"]
    ),
    "larger entity (200 tags, ~2.8 KB JSON)": Item(
        id="item-2", name="box", count=7, price=9.5, tags=[f"tag-{n:05}" for n in range(200)]
    ),
}


def timed(fn: Callable[[int], None], n: int) -> float:
    started = time.perf_counter()
    fn(n)
    return (time.perf_counter() - started) / n


def compare(
    baseline: Callable[[int], None], candidate: Callable[[int], None], n: int, rounds: int
) -> dict[str, float]:
    base, cand = [], []
    baseline(200)  # warm up connections, scripts, caches
    candidate(200)
    for _ in range(rounds):
        base.append(timed(baseline, n))
        cand.append(timed(candidate, n))
    b, c = statistics.median(base), statistics.median(cand)
    return {
        "baseline_us": round(b * 1e6, 1),
        "nitro_us": round(c * 1e6, 1),
        "baseline_best_us": round(min(base) * 1e6, 1),
        "nitro_best_us": round(min(cand) * 1e6, 1),
        "ratio": round(c / b, 2),
    }


def sync_cases(url: str, n: int, rounds: int) -> list[dict[str, Any]]:
    raw = redis.Redis.from_url(url)
    repo = RedisRepo(Item, url)
    out = []
    for label, entity in PAYLOADS.items():
        payload = repo.dump(entity)
        key = f"raw:{entity.id}"

        def raw_pair(k: int, key: str = key, payload: bytes = payload) -> None:
            for _ in range(k):
                raw.set(key, payload)
                raw.get(key)

        def repo_pair(k: int, entity: Item = entity) -> None:
            for _ in range(k):
                repo.save(entity)
                repo.get(entity.id)

        def raw_pydantic(k: int, key: str = key, entity: Item = entity) -> None:
            for _ in range(k):
                raw.set(key, entity.model_dump_json())
                Item.model_validate_json(raw.get(key))  # type: ignore[arg-type]

        result = compare(raw_pair, repo_pair, n, rounds)
        out.append({"case": f"save+get, {label}", "target": 1.5, **result})
        result = compare(raw_pydantic, repo_pair, n, rounds)
        out.append({"case": f"vs redis-py + pydantic JSON, {label}", "target": None, **result})
    return out


def async_cases(url: str, n: int, rounds: int) -> list[dict[str, Any]]:
    async def run() -> list[dict[str, Any]]:
        raw = redis.asyncio.Redis.from_url(url)
        repo = RedisRepo(Item, url)
        out = []
        for label, entity in PAYLOADS.items():
            payload = repo.dump(entity)
            key = f"raw:{entity.id}"
            base, cand = [], []

            async def raw_pair(k: int, key: str = key, payload: bytes = payload) -> None:
                for _ in range(k):
                    await raw.set(key, payload)
                    await raw.get(key)

            async def repo_pair(k: int, entity: Item = entity) -> None:
                for _ in range(k):
                    await repo.asave(entity)
                    await repo.aget(entity.id)

            await raw_pair(200)
            await repo_pair(200)
            for _ in range(rounds):
                for side, fn in ((base, raw_pair), (cand, repo_pair)):
                    started = time.perf_counter()
                    await fn(n)
                    side.append((time.perf_counter() - started) / n)
            b, c = statistics.median(base), statistics.median(cand)
            out.append(
                {
                    "case": f"asave+aget (redis.asyncio), {label}",
                    "target": None,
                    "baseline_us": round(b * 1e6, 1),
                    "nitro_us": round(c * 1e6, 1),
                    "baseline_best_us": round(min(base) * 1e6, 1),
                    "nitro_best_us": round(min(cand) * 1e6, 1),
                    "ratio": round(c / b, 2),
                }
            )
        await raw.aclose()
        await repo.aclose()
        return out

    return asyncio.run(run())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=100, help="save+get pairs per round")
    parser.add_argument("--rounds", type=int, default=101)
    parser.add_argument("--redis-url", default=None)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()

    load_before = round(os.getloadavg()[0], 2)  # other work on the machine adds noise
    tmp = Path(tempfile.mkdtemp(prefix="nitro-bench-redis-"))
    server = None
    try:
        url = args.redis_url
        if url is None:
            import socket

            with socket.socket() as sock:
                sock.bind(("127.0.0.1", 0))
                port = sock.getsockname()[1]
            server = subprocess.Popen(
                [shutil.which("redis-server") or "redis-server", "--port", str(port),
                 "--bind", "127.0.0.1", "--dir", str(tmp), "--save", "", "--appendonly", "no"],
                stdout=subprocess.DEVNULL,
            )  # fmt: skip
            url = f"redis://127.0.0.1:{port}/0"
            deadline = time.monotonic() + 10
            while True:
                try:
                    redis.Redis.from_url(url).ping()
                    break
                except redis.ConnectionError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.05)
        rows = sync_cases(url, args.n, args.rounds) + async_cases(url, args.n, args.rounds)
    finally:
        if server is not None:
            server.terminate()
            server.wait(10)
        shutil.rmtree(tmp, ignore_errors=True)

    print(f"{'case':<62} {'redis-py':>10} {'RedisRepo':>10} {'ratio':>6}  target")
    for row in rows:
        target = row["target"]
        verdict = "reported" if target is None else (
            f"<= {target}x: {'pass' if row['ratio'] <= target else 'FAIL'}"
        )  # fmt: skip
        print(
            f"{row['case']:<62} {row['baseline_us']:>8.1f}us {row['nitro_us']:>8.1f}us "
            f"{row['ratio']:>5.2f}x  {verdict}"
        )
    meta = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs",
        "python": platform.python_version(),
        "load_average_1m_before": load_before,
        "redis_py": redis.__version__,
        "pydantic": pydantic.VERSION,
        "redis_server": subprocess.run(
            [shutil.which("redis-server") or "redis-server", "--version"],
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip(),
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
    }
    print(json.dumps(meta))
    if args.json:
        args.json.write_text(json.dumps({"meta": meta, "rows": rows}, indent=2) + "\n")


if __name__ == "__main__":
    main()
