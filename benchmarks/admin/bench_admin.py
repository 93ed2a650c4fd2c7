"""nitro-admin against SQLAdmin: the list page of 100,000 products on SQLite.

Both admins serve the *same* SQLite file and table (a nitro-sql ``SQLEntity``, which
is also a SQLAlchemy model for SQLAdmin), each from its own uvicorn server in this
process. A pure-ASGI middleware around each app measures server time: from the
request's arrival to the last byte of the response. Requests alternate between the
two admins so that drift (CPU frequency, page cache) hits both alike. Each answer is
checked: status 200 and 50 product rows.

    uv sync --all-packages --group bench
    uv run --no-sync python benchmarks/admin/bench_admin.py [--rows 100000] [--requests 400]
"""

from __future__ import annotations

import argparse
import enum
import os
import platform
import random
import re
import sqlite3
import statistics
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI

from nitro.adapters.fastapi import mount
from nitro.admin import Admin, AdminUser, PasswordAuth, hash_password
from nitro.sql import SQLEntity, configure

PASSWORD = "bench-password"


class Category(enum.Enum):
    TOOLS = "tools"
    TOYS = "toys"
    FOOD = "food"
    BOOKS = "books"


class Product(SQLEntity, table=True):
    name: str
    sku: str
    price: float
    stock: int = 0
    in_stock: bool = True
    category: Category = Category.TOOLS


#: The indexes a team would add for this page; both admins use them.
INDEXES = (
    "CREATE INDEX IF NOT EXISTS ix_product_price ON product (price)",
    "CREATE INDEX IF NOT EXISTS ix_product_stock_price ON product (in_stock, price)",
)


def build_database(path: Path, rows: int, indexes: tuple[str, ...] = INDEXES) -> None:
    """Create the table through nitro-sql, then bulk-insert with sqlite3 (fast)."""
    if path.exists():
        with sqlite3.connect(path) as db:
            if db.execute("SELECT count(*) FROM product").fetchone()[0] == rows:
                return
        path.unlink()
    Product.repository().clear()  # creates the table on first use
    rng = random.Random(42)
    categories = [c.name for c in Category]  # SQLAlchemy stores enum names
    data = [
        (
            f"{i:032x}",
            f"Product {i} {rng.choice(['red', 'blue', 'green', 'steel', 'oak'])}",
            f"SKU-{i:06}",
            round(rng.uniform(1, 1000), 2),
            rng.randrange(0, 500),
            rng.random() < 0.5,
            rng.choice(categories),
        )
        for i in range(rows)
    ]
    with sqlite3.connect(path) as db:
        db.executemany(
            "INSERT INTO product (id, name, sku, price, stock, in_stock, category) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            data,
        )
        for statement in indexes:
            db.execute(statement)
        db.execute("ANALYZE")


class Timing:
    """ASGI middleware: server time per request path, in seconds."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.samples: list[float] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()

        async def timed_send(message: Any) -> None:
            await send(message)
            if message["type"] == "http.response.body" and not message.get("more_body"):
                self.samples.append(time.perf_counter() - start)

        await self.app(scope, receive, timed_send)


def nitro_app() -> Any:
    admin = Admin(
        auth=PasswordAuth([AdminUser("bench", hash_password(PASSWORD), is_superuser=True)]),
        secret_key="b" * 40,
    )
    admin.register(
        Product,
        list_display=["name", "sku", "price", "stock", "in_stock", "category"],
        list_filter=["in_stock", "category", "price"],
        search_fields=["name"],
        list_per_page=50,
    )
    app = FastAPI()
    mount(app, admin)
    return app


def sqladmin_app(url: str, *, login: bool = False) -> Any:
    """SQLAdmin on the same table; with *login*, behind its documented
    ``AuthenticationBackend`` (a token in Starlette's signed session cookie)."""
    from sqladmin import Admin as SQLAdmin
    from sqladmin import ModelView
    from sqladmin.authentication import AuthenticationBackend
    from sqladmin.filters import BooleanFilter
    from sqlalchemy import create_engine

    class ProductView(ModelView, model=Product):  # type: ignore[call-arg]
        column_list = [
            Product.name,
            Product.sku,
            Product.price,
            Product.stock,
            Product.in_stock,
            Product.category,
        ]
        column_sortable_list = [Product.name, Product.price, Product.stock]
        column_searchable_list = [Product.name]
        column_filters = [BooleanFilter(Product.in_stock)]
        page_size = 50

    class Auth(AuthenticationBackend):
        async def login(self, request: Any) -> bool:
            form = await request.form()
            if form.get("username") != "bench" or form.get("password") != PASSWORD:
                return False
            request.session.update({"token": "bench"})
            return True

        async def logout(self, request: Any) -> bool:
            request.session.clear()
            return True

        async def authenticate(self, request: Any) -> bool:
            return request.session.get("token") == "bench"

    app = FastAPI()
    engine = create_engine(url, connect_args={"check_same_thread": False})
    backend = Auth(secret_key="s" * 40) if login else None
    SQLAdmin(app, engine, authentication_backend=backend).add_view(ProductView)
    return app


class Server:
    def __init__(self, app: Any) -> None:
        self.timing = Timing(app)
        with __import__("socket").socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        config = uvicorn.Config(
            self.timing, host="127.0.0.1", port=self.port, log_level="warning", lifespan="off"
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> str:
        self.thread.start()
        while not self.server.started:
            time.sleep(0.01)
        return f"http://127.0.0.1:{self.port}"

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(10)


SCENARIOS: dict[str, tuple[str, str]] = {
    # name: (nitro-admin path, SQLAdmin path)
    "filtered (in stock) + sorted by price desc, page 3": (
        "/admin/product?in_stock=true&o=-price&p=3",
        "/admin/product/list?in_stock=true&sortBy=price&sort=desc&page=3&pageSize=50",
    ),
    "sorted by price asc, page 1": (
        "/admin/product?o=price",
        "/admin/product/list?sortBy=price&sort=asc&page=1&pageSize=50",
    ),
    "filtered + sorted, page 1000 (offset 49,950)": (
        "/admin/product?in_stock=true&o=-price&p=1000",
        "/admin/product/list?in_stock=true&sortBy=price&sort=desc&page=1000&pageSize=50",
    ),
}


def add_keyset_scenario(path: Path) -> None:
    """Page 1000 as reached through nitro-admin's "Next" links (a keyset cursor)."""
    with sqlite3.connect(path) as db:
        price, last_id = db.execute(
            "SELECT price, id FROM product WHERE in_stock = 1 ORDER BY price DESC, id "
            "LIMIT 1 OFFSET 49949"
        ).fetchone()
    SCENARIOS["filtered + sorted, page 1000 via the Next link (nitro: keyset)"] = (
        f"/admin/product?in_stock=true&o=-price&p=1000&after={price}&after_id={last_id}",
        SCENARIOS["filtered + sorted, page 1000 (offset 49,950)"][1],
    )


#: One SKU cell per product row, on both pages.
ROW_PATTERN = re.compile(r">SKU-\d{6}\s*<")


def log_in(client: httpx.Client) -> None:
    page = client.get("/admin/login").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    response = client.post(
        "/admin/login", data={"username": "bench", "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 303, response.text


def run(
    requests: int, warmup: int, nitro_url: str, peer_url: str, nitro: Server, peer: Server
) -> dict[str, dict[str, list[float]]]:
    results: dict[str, dict[str, list[float]]] = {}
    with (
        httpx.Client(base_url=nitro_url, timeout=30) as nc,
        httpx.Client(base_url=peer_url, timeout=30) as pc,
    ):
        log_in(nc)
        for name, (nitro_path, peer_path) in SCENARIOS.items():
            for label, client, path in (("nitro", nc, nitro_path), ("sqladmin", pc, peer_path)):
                response = client.get(path)
                rows = len(ROW_PATTERN.findall(response.text))
                if response.status_code != 200 or rows != 50:
                    raise SystemExit(f"{label} {path}: status {response.status_code}, {rows} rows")
            for _ in range(warmup):
                nc.get(nitro_path)
                pc.get(peer_path)
            nitro.timing.samples.clear()
            peer.timing.samples.clear()
            for index in range(requests):
                pairs: list[tuple[httpx.Client, str]] = [(nc, nitro_path), (pc, peer_path)]
                for client, path in pairs if index % 2 == 0 else reversed(pairs):
                    client.get(path)
            results[name] = {
                "nitro": list(nitro.timing.samples),
                "sqladmin": list(peer.timing.samples),
            }
    return results


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--warmup", type=int, default=30)
    parser.add_argument(
        "--db", type=Path, default=Path(tempfile.gettempdir()) / "nitro-admin-bench.db"
    )
    args = parser.parse_args()

    url = f"sqlite:///{args.db}"
    configure(url)
    started = time.perf_counter()
    build_database(args.db, args.rows)
    add_keyset_scenario(args.db)
    print(
        f"database: {args.db} ({args.rows:,} rows, ready in {time.perf_counter() - started:.1f} s)"
    )

    import importlib.metadata as md

    nitro, peer = Server(nitro_app()), Server(sqladmin_app(url))
    with nitro as nitro_url, peer as peer_url:
        results = run(args.requests, args.warmup, nitro_url, peer_url, nitro, peer)

    machine = platform.processor() or platform.machine()
    print(
        f"\nMeasured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {machine}, "
        f"{os.cpu_count()} CPUs, {platform.system()}, CPython {platform.python_version()}, "
        f"nitro-admin {md.version('nitro-admin')}, sqladmin {md.version('sqladmin')}, "
        f"SQLAlchemy {md.version('sqlalchemy')}; {args.requests} requests per admin and "
        f"scenario, alternating, after {args.warmup} warm-up requests each.\n"
    )
    print_table(results, high=0.99)


def print_table(results: dict[str, dict[str, list[float]]], high: float) -> None:
    """The Markdown table of p50 and the *high* percentile per scenario, both admins."""
    label = f"p{round(high * 100)}"
    print(f"| scenario | nitro-admin p50 | {label} | SQLAdmin p50 | {label} | p50 ratio |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, samples in results.items():
        n, p = samples["nitro"], samples["sqladmin"]
        print(
            f"| {name} | {percentile(n, 0.5) * 1e3:.2f} ms | {percentile(n, high) * 1e3:.2f} ms "
            f"| {percentile(p, 0.5) * 1e3:.2f} ms | {percentile(p, high) * 1e3:.2f} ms "
            f"| {statistics.median(n) / statistics.median(p):.2f}x |"
        )


if __name__ == "__main__":
    main()
