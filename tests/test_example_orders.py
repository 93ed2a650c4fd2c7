"""examples/orders, run as its README says: real server processes on a SQLite file.

The example's entities are never imported here (their tables would meet the test
suite's own ``Product`` classes in one SQLModel registry): the tests talk HTTP to the
served app, read its mail log, and look at its database with ``sqlite3``.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from nitro_examples import EXAMPLES, serve_example

EXAMPLE = EXAMPLES / "orders"
TEA_AND_MUG = {"email": "ann@example.com", "quantities": {"tea": 1, "mug": 1}}
INITIAL_STOCK = {"tea": 10, "mug": 10, "kettle": 3}


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The example's database: the SQLite file it makes by default, or a fresh
    PostgreSQL database (given to it as ``NITRO_DATABASE_URL``)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'orders.db'}"
        return
    server = request.getfixturevalue("postgres_server")
    name = f"orders_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(server.url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        yield f"postgresql+psycopg://{server.user}@{server.host}:{server.port}/{name}"
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


@contextmanager
def orders_app(workdir: Path, database_url: str | None = None) -> Iterator[httpx.Client]:
    """The example served from *workdir* (its mail log goes there, and its database
    too unless *database_url* says otherwise)."""
    # No NITRO_JOBS_URL: the confirmation is mailed in-process (see test_example_orders_jobs).
    env = {"ORDERS_MAIL_LOG": str(workdir / "sent_mail.jsonl"), "NITRO_JOBS_URL": ""}
    if database_url is not None:
        env["NITRO_DATABASE_URL"] = database_url
    with (
        serve_example("orders", workdir, env) as base_url,
        httpx.Client(base_url=base_url, timeout=30) as client,
    ):
        yield client


def mails(workdir: Path) -> list[dict[str, Any]]:
    log = workdir / "sent_mail.jsonl"
    return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []


def sqlite_url(workdir: Path) -> str:
    """Where the example keeps its data when nothing else is configured."""
    return f"sqlite:///{workdir / 'orders.db'}"


def query(url: str, sql: str) -> list[tuple[Any, ...]]:
    """Rows of *sql* on the example's database; none when the table was never made."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return [tuple(row) for row in conn.execute(sa.text(sql))]
    except sa.exc.DBAPIError as exc:
        if "no such table" in str(exc) or "does not exist" in str(exc):
            return []
        raise
    finally:
        engine.dispose()


def outbox(url: str) -> list[tuple[Any, ...]]:
    return query(url, "SELECT id, type, delivered_at, dead_at FROM nitro_outbox")


def stock_and_sales(client: httpx.Client) -> dict[str, Any]:
    answer = client.get("/api/stock")
    assert answer.status_code == 200
    return answer.json()


def test_the_readme_command_runs_this_file():
    readme = (EXAMPLE / "README.md").read_text()
    assert "uv run --all-packages examples/orders/app.py" in readme
    assert (EXAMPLE / "app.py").exists()


def test_an_order_takes_stock_of_several_products_counts_the_sale_and_mails(tmp_path):
    with orders_app(tmp_path) as client:
        page = client.get("/")
        assert page.status_code == 200
        assert '<span id="stock-tea" data-text="$stock.tea">10</span>' in page.text
        order = {"email": "ann@example.com", "quantities": {"tea": 2, "mug": 1, "kettle": 0}}
        placed = client.post("/checkout/place", json=order)
        assert placed.status_code == 200, placed.text
        order_id = placed.json()["result"]["order_id"]
        assert stock_and_sales(client) == {
            "stock": {"tea": 8, "mug": 9, "kettle": 3},
            "sales": {"orders": 1, "items": 3},
        }
    [mail] = mails(tmp_path)
    assert mail["to"] == "ann@example.com"
    assert mail["subject"] == f"Order {order_id} confirmed"
    assert mail["body"] == "Thank you! 2 x tea, 1 x mug; total 21.00."
    [(event_id, event_type, delivered_at, dead_at)] = outbox(sqlite_url(tmp_path))
    assert (event_type, dead_at) == ("shop.messages.OrderPlaced", None)
    assert delivered_at is not None
    assert mail["key"] == event_id  # the event id goes with the mail


def read_event(lines: Iterator[str]) -> dict[str, Any]:
    """The signals of the next ``datastar-patch-signals`` event of a live stream."""
    for line in lines:
        if line.startswith("data: signals "):
            return json.loads(line.removeprefix("data: signals "))
    raise AssertionError("the live stream ended")


def test_a_failing_stock_check_rolls_back_everything_and_publishes_nothing(tmp_path, database_url):
    """Tea is taken first, then the kettle fails: the tea comes back, nothing is sent."""
    too_many = {"email": "ann@example.com", "quantities": {"tea": 2, "kettle": 4}}
    with orders_app(tmp_path, database_url) as client, client.stream("GET", "/stock/live") as live:
        events = live.iter_lines()
        assert read_event(events) == {"stock": INITIAL_STOCK, "sales": {"orders": 0, "items": 0}}
        tea_version = query(database_url, "SELECT version FROM product WHERE id = 'tea'")

        refused = client.post("/checkout/place", json=too_many)
        assert refused.status_code == 422
        message = "Kettle: only 3 left, 4 wanted. Nothing was ordered."
        assert refused.json() == {
            "error": message,
            "errors": [{"parameter": "quantities", "message": message}],
        }
        assert stock_and_sales(client) == {
            "stock": INITIAL_STOCK,
            "sales": {"orders": 0, "items": 0},
        }
        assert query(database_url, "SELECT version FROM product WHERE id = 'tea'") == tea_version
        assert query(database_url, "SELECT id FROM nitro_doc_order") == []
        assert outbox(database_url) == []
        assert mails(tmp_path) == []

        # The next thing on the page's stream is the next order: the refused one sent none.
        kettles = client.post("/checkout/place", json={**too_many, "quantities": {"kettle": 3}})
        assert kettles.status_code == 200
        assert read_event(events) == {
            "stock": {**INITIAL_STOCK, "kettle": 0},
            "sales": {"orders": 1, "items": 3},
        }
    assert len(mails(tmp_path)) == 1


def test_bad_input_is_a_422_that_names_the_field(tmp_path):
    with orders_app(tmp_path) as client:
        cases = {
            "email": {"email": "not an address", "quantities": {"tea": 1}},
            "quantities.tea": {"email": "ann@example.com", "quantities": {"tea": -1}},
            "quantities.x-y.[key]": {"email": "ann@example.com", "quantities": {"x-y": 1}},
        }
        for parameter, body in cases.items():
            answer = client.post("/checkout/place", json=body)
            assert answer.status_code == 422
            assert [e["parameter"] for e in answer.json()["errors"]] == [parameter]
        for quantities, message in [
            ({"tea": 0}, "Choose at least one product."),
            ({"teapot": 1}, "There is no product 'teapot'."),
        ]:
            answer = client.post(
                "/checkout/place", json={"email": "a@b.co", "quantities": quantities}
            )
            assert answer.status_code == 422
            assert answer.json()["error"] == message
        cross_site = client.post(
            "/checkout/place", json=TEA_AND_MUG, headers={"Origin": "https://evil.example"}
        )
        assert cross_site.status_code == 403
        assert stock_and_sales(client)["stock"] == INITIAL_STOCK
    assert mails(tmp_path) == []


def test_twenty_concurrent_orders_for_ten_items_place_exactly_ten(tmp_path, database_url):
    """Each order takes a tea and a mug (ten of each): ten succeed, ten are refused."""
    with orders_app(tmp_path, database_url) as client:

        def order(_: int) -> httpx.Response:
            return client.post("/checkout/place", json=TEA_AND_MUG)

        with ThreadPoolExecutor(20) as pool:
            answers = list(pool.map(order, range(20)))
        statuses = sorted(answer.status_code for answer in answers)
        assert statuses == [200] * 10 + [422] * 10, [a.text for a in answers]
        for refused in answers:
            if refused.status_code == 422:
                assert refused.json()["error"].endswith("Nothing was ordered.")
        assert stock_and_sales(client) == {
            "stock": {"tea": 0, "mug": 0, "kettle": 3},
            "sales": {"orders": 10, "items": 20},
        }
        placed = {a.json()["result"]["order_id"] for a in answers if a.status_code == 200}
    assert len(placed) == 10
    assert {mail["subject"] for mail in mails(tmp_path)} == {
        f"Order {order_id} confirmed" for order_id in placed
    }
    assert len(mails(tmp_path)) == 10
    assert len(query(database_url, "SELECT id FROM nitro_doc_order")) == 10
    rows = outbox(database_url)
    assert len(rows) == 10
    assert all(delivered is not None for _, _, delivered, _ in rows)


#: Places one order through the app's own route and dies the moment its transaction
#: has committed: the order's post_save signal is sent after the commit, and before the
#: outbox delivers the OrderPlaced event recorded after the order was saved.
CRASHING_CLIENT = textwrap.dedent(
    """
    import os
    import signal

    from nitro.events import on, post_save

    from app import create_app
    from shop.domain import Order

    app = create_app(relay=False)  # no background relay: nothing may deliver early


    @on(post_save, sender=Order, weak=False)
    def die(sender, **extra):
        os.kill(os.getpid(), signal.SIGKILL)


    order = {"email": "ann@example.com", "quantities": {"tea": 2, "mug": 1}}
    answer = app.test_client().post("/checkout/place", json=order)
    print("not killed:", answer.status_code, answer.get_data(as_text=True))
    """
)


def test_a_process_killed_between_commit_and_relay_delivers_after_restart(tmp_path):
    url = sqlite_url(tmp_path)  # the default: orders.db in the working directory
    script = tmp_path / "crash.py"
    script.write_text(CRASHING_CLIENT)
    env = {
        **{
            k: v for k, v in os.environ.items() if k not in ("NITRO_DATABASE_URL", "NITRO_JOBS_URL")
        },
        "ORDERS_MAIL_LOG": str(tmp_path / "sent_mail.jsonl"),
        "PYTHONPATH": str(EXAMPLE),
    }
    crashed = subprocess.run(
        [sys.executable, str(script)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert crashed.returncode == -signal.SIGKILL, crashed.stdout + crashed.stderr

    # The command committed: stock taken, order stored, event stored, nothing delivered.
    stock = dict(query(url, "SELECT id, stock FROM product"))
    assert stock == {"tea": 8, "mug": 9, "kettle": 3}
    assert len(query(url, "SELECT id FROM nitro_doc_order")) == 1
    [(event_id, _, delivered_at, _)] = outbox(url)
    assert delivered_at is None
    assert query(url, "SELECT id FROM nitro_doc_sales_counter") == []
    assert mails(tmp_path) == []

    with orders_app(tmp_path) as client:  # the restart relays what was left
        assert stock_and_sales(client) == {
            "stock": {"tea": 8, "mug": 9, "kettle": 3},
            "sales": {"orders": 1, "items": 3},
        }
    [mail] = mails(tmp_path)
    assert mail["key"] == event_id
    [(_, _, delivered_at, _)] = outbox(url)
    assert delivered_at is not None
    done = query(url, f"SELECT handler FROM nitro_outbox_done WHERE event_id = '{event_id}'")
    assert sorted(name for (name,) in done) == [
        "shop.handlers.count_sale",
        "shop.handlers.send_confirmation",
        "shop.handlers.show_stock",
    ]

    with orders_app(tmp_path) as client:  # a third start has nothing left to deliver
        time.sleep(1.5)  # a turn of the background relay, too
        assert stock_and_sales(client)["sales"] == {"orders": 1, "items": 3}
    assert len(mails(tmp_path)) == 1
