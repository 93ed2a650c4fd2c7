"""List pages over 100,000 rows: nitro-admin against SQLAdmin, in one process.

Both admins serve the *same* SQLite file and table (a nitro-sql ``SQLEntity``, which
is also the SQLAlchemy model SQLAdmin is given), with the indexes docs/admin.md
recommends for deep pages: ``(price, id, nitro_expires_at)`` and ``(in_stock, price,
id, nitro_expires_at)``. Both are logged in (nitro-admin's session cookie; SQLAdmin's
``AuthenticationBackend`` over Starlette's signed session cookie) and both are called
in-process through ``httpx.ASGITransport``. A pure-ASGI middleware around each app
measures server time: from the request's arrival to the last byte of the response.
Requests alternate between the admins (the order flips every round) after a warm-up.

Scenarios: page 1 sorted by price; page 1000 typed into the URL (``OFFSET 49,950``);
"Previous" from page 1000 (nitro-admin's link carries a keyset cursor; SQLAdmin has no
such link, so its page 999); a search (``steel``, about one row in five); a filter
(in stock, sorted by price descending); and that filter's page 1000 by URL.

    uv sync --all-packages --group bench   # or: uv pip install sqladmin==0.32.0
    uv run --no-sync python benchmarks/admin/bench_list_100k.py [--requests 200]
"""

from __future__ import annotations

import argparse
import asyncio
import html
import importlib.metadata as md
import os
import platform
import re
import sqlite3
import subprocess
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
from bench_admin import (
    PASSWORD,
    ROW_PATTERN,
    Timing,
    build_database,
    nitro_app,
    print_table,
    sqladmin_app,
)

from nitro.sql import configure

ROWS_PER_PAGE = 50


#: The indexes docs/admin.md recommends: filter column(s), sort column, id, and the
#: TTL column every read checks (SQLEntity tables have it unless __nitro_ttl__ = False).
INDEXES = (
    "CREATE INDEX IF NOT EXISTS ix_product_price_id ON product (price, id, nitro_expires_at)",
    "CREATE INDEX IF NOT EXISTS ix_product_stock_price_id "
    "ON product (in_stock, price, id, nitro_expires_at)",
)


LIST = "/admin/product/list?pageSize=50&"
SCENARIOS: dict[str, tuple[str, str]] = {
    # name: (nitro-admin path, SQLAdmin path); "Previous" is filled in from page 1000
    "page 1 (sorted by price)": ("/admin/product?o=price", LIST + "sortBy=price&sort=asc&page=1"),
    "page 1000 by URL (OFFSET 49,950)": (
        "/admin/product?o=price&p=1000",
        LIST + "sortBy=price&sort=asc&page=1000",
    ),
    '"Previous" from page 1000': ("", LIST + "sortBy=price&sort=asc&page=999"),
    "search 'steel' (1 row in 5), page 1": (
        "/admin/product?o=price&q=steel",
        LIST + "sortBy=price&sort=asc&search=steel&page=1",
    ),
    "filter in stock, price desc, page 1": (
        "/admin/product?in_stock=true&o=-price",
        LIST + "in_stock=true&sortBy=price&sort=desc&page=1",
    ),
    "filter in stock, price desc, page 1000 by URL": (
        "/admin/product?in_stock=true&o=-price&p=1000",
        LIST + "in_stock=true&sortBy=price&sort=desc&page=1000",
    ),
}


async def log_in_nitro(client: httpx.AsyncClient) -> None:
    page = (await client.get("/admin/login")).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    response = await client.post(
        "/admin/login", data={"username": "bench", "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 303, response.text


async def log_in_sqladmin(client: httpx.AsyncClient) -> None:
    response = await client.post("/admin/login", data={"username": "bench", "password": PASSWORD})
    assert response.status_code == 302, response.text


async def check(client: httpx.AsyncClient, path: str, label: str) -> str:
    response = await client.get(path)
    rows = len(ROW_PATTERN.findall(response.text))
    if response.status_code != 200 or rows != ROWS_PER_PAGE:
        raise SystemExit(f"{label} {path}: status {response.status_code}, {rows} rows")
    return response.text


async def run(
    requests: int, warmup: int, url: str
) -> tuple[dict[str, dict[str, list[float]]], dict[str, str]]:
    nitro, peer = Timing(nitro_app()), Timing(sqladmin_app(url, login=True))
    results: dict[str, dict[str, list[float]]] = {
        name: {"nitro": [], "sqladmin": []} for name in SCENARIOS
    }
    base = "http://localhost"
    async with (
        httpx.AsyncClient(transport=httpx.ASGITransport(app=nitro), base_url=base) as nc,
        httpx.AsyncClient(transport=httpx.ASGITransport(app=peer), base_url=base) as pc,
    ):
        await log_in_nitro(nc)
        await log_in_sqladmin(pc)
        # "Previous" as the browser would follow it: the link on page 1000.
        page = await check(nc, SCENARIOS["page 1000 by URL (OFFSET 49,950)"][0], "nitro")
        link = re.search(r'href="([^"]+)"[^>]*id="prev-page"', page)
        assert link is not None
        assert "before_id=" in link.group(1)
        name = '"Previous" from page 1000'
        SCENARIOS[name] = (html.unescape(link.group(1)), SCENARIOS[name][1])
        for nitro_path, peer_path in SCENARIOS.values():
            await check(nc, nitro_path, "nitro-admin")
            await check(pc, peer_path, "SQLAdmin")
        sides = [(nc, nitro, "nitro"), (pc, peer, "sqladmin")]
        for index in range(warmup + requests):
            for name, paths in SCENARIOS.items():
                for client, timing, label in sides if index % 2 == 0 else reversed(sides):
                    timing.samples.clear()
                    await client.get(paths[0] if label == "nitro" else paths[1])
                    if index >= warmup:
                        results[name][label].extend(timing.samples)
    return results, {name: paths[0] for name, paths in SCENARIOS.items()}


def git_commit() -> str:
    try:
        found = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True
        )
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "packages"], capture_output=True, text=True
        )
        return found.stdout.strip() + (
            " (+ uncommitted changes in packages/)" if dirty.stdout.strip() else ""
        )
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=200, help="timed rounds per scenario")
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument(
        "--db", type=Path, default=Path(tempfile.gettempdir()) / "nitro-admin-list-100k.db"
    )
    args = parser.parse_args()

    url = f"sqlite:///{args.db}"
    configure(url)
    started = time.perf_counter()
    build_database(args.db, args.rows, INDEXES)
    print(
        f"database: {args.db} ({args.rows:,} rows, ready in {time.perf_counter() - started:.1f} s)"
    )
    load_before = os.getloadavg()
    started = time.perf_counter()
    results, nitro_paths = asyncio.run(run(args.requests, args.warmup, url))
    elapsed = time.perf_counter() - started
    load_after = os.getloadavg()

    print(
        f"\n{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.platform()}, {os.cpu_count()} CPUs, "
        f"CPython {platform.python_version()}, SQLite {sqlite3.sqlite_version}, "
        f"nitro-admin {md.version('nitro-admin')}, sqladmin {md.version('sqladmin')}, "
        f"SQLAlchemy {md.version('sqlalchemy')}, git {git_commit()}\n"
        f"{args.requests} timed requests per admin and scenario (after {args.warmup} warm-up "
        f"rounds), interleaved; {elapsed:.0f} s; load average {load_before[0]:.2f} before, "
        f"{load_after[0]:.2f} after (1 min)\n"
    )
    print_table(results, high=0.9)
    print("\nnitro-admin URLs:")
    for name, path in nitro_paths.items():
        print(f"  {name}: {path}")


if __name__ == "__main__":
    main()
