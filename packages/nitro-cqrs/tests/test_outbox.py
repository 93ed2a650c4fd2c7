"""The transactional outbox on SQLite and PostgreSQL: events stored with the command's
transaction, relayed after the commit, after a crash, and after a failing handler."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import sqlalchemy as sa
from nitro_cqrs_shop import (
    ENTITIES,
    FakeMailer,
    Order,
    OrderPlaced,
    PlaceOrder,
    Product,
    Sales,
    sync_bus,
)

from nitro.cqrs import Retry
from nitro.cqrs.outbox import Outbox, done_table, outbox_table
from nitro.persistence.registry import use_backend
from nitro.sql import SQLModelBackend, use_database
from nitro.sql.config import database_for

SUPPORT = Path(__file__).resolve().parents[3] / "tests" / "support"
ONE_APPLE = [{"product_id": "apple", "quantity": 1}]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path):
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'outbox.db'}"
    else:
        url = request.getfixturevalue("postgres_server").url
        database = database_for(url)
        with database.engine.begin() as conn:
            conn.execute(sa.text("DROP SCHEMA public CASCADE"))
            conn.execute(sa.text("CREATE SCHEMA public"))
        database.forget_tables()
    with use_database(url), use_backend(SQLModelBackend, *ENTITIES):
        Product(id="apple", name="Apple", stock=10).save()
        yield url
    database_for(url).dispose()


def rows(url: str, table: sa.Table) -> list[sa.Row]:
    Outbox(url).ensure_tables()
    with database_for(url).engine.connect() as conn:
        return list(conn.execute(sa.select(table)))


def test_the_event_row_commits_with_the_command_and_is_marked_delivered(db_url):
    mailer = FakeMailer()
    bus = sync_bus.bootstrap(outbox=Outbox(), mailer=mailer)
    bus.send(PlaceOrder(order_id="o1", lines=ONE_APPLE))
    [row] = rows(db_url, outbox_table)
    assert row.type == "nitro_cqrs_shop.OrderPlaced"
    assert row.delivered_at is not None
    assert row.attempts == 0
    handled = sorted(r.handler.rsplit(".", 1)[-1] for r in rows(db_url, done_table))
    assert handled == ["confirm", "count_sale"]
    assert mailer.sent == [("customer@example.com", "order o1 placed")]
    assert bus.outbox.relay_pending(bus) == 0  # nothing left


def test_a_rolled_back_command_leaves_no_row(db_url):
    bus = sync_bus.bootstrap(outbox=Outbox(), mailer=FakeMailer())
    with pytest.raises(ValueError, match="10 left, 11 wanted"):
        bus.send(PlaceOrder(order_id="o1", lines=[{"product_id": "apple", "quantity": 11}]))
    assert rows(db_url, outbox_table) == []


def test_a_failing_handler_is_retried_by_the_relay_without_rerunning_the_others(db_url):
    mailer = FakeMailer()
    bus = sync_bus.copy().bootstrap(outbox=Outbox(backoff=0), mailer=mailer)
    broken = {"on": True}

    @bus.handles(OrderPlaced)
    def flaky(evt: OrderPlaced) -> None:
        if broken["on"]:
            raise ConnectionError("the warehouse API is down")

    bus.send(PlaceOrder(order_id="o1", lines=ONE_APPLE))
    [row] = rows(db_url, outbox_table)
    assert row.delivered_at is None
    assert row.attempts == 1
    assert "flaky: ConnectionError: the warehouse API is down" in row.last_error
    broken["on"] = False
    assert bus.outbox.relay_pending(bus) == 1
    [row] = rows(db_url, outbox_table)
    assert row.delivered_at is not None
    assert Sales.get_or_raise("total").count == 1  # not counted twice
    assert len(mailer.sent) == 1  # not mailed twice


def test_a_row_that_keeps_failing_ends_dead_with_its_error(db_url):
    bus = sync_bus.copy().bootstrap(outbox=Outbox(backoff=0, max_attempts=2), mailer=FakeMailer())
    bus.handles(OrderPlaced, retry=Retry(attempts=1))(lambda evt: 1 / 0)
    bus.send(PlaceOrder(order_id="o1", lines=ONE_APPLE))
    bus.outbox.relay_pending(bus)
    [row] = rows(db_url, outbox_table)
    assert row.dead_at is not None
    assert row.attempts == 2
    assert "ZeroDivisionError" in row.last_error
    assert bus.outbox.pending() == []


def test_a_claimed_row_is_not_delivered_twice(db_url):
    outbox = Outbox()
    outbox.ensure_tables()
    evt = OrderPlaced(order_id="x", quantity=1)
    with database_for(db_url).engine.begin() as conn:
        conn.execute(
            outbox_table.insert(),
            {
                "id": evt.id,
                "type": "t",
                "payload": evt.model_dump_json(),
                "created_at": 0.0,
                "attempts": 0,
            },
        )
    assert outbox.claim(evt.id) == frozenset()
    assert outbox.claim(evt.id) is None  # another relay holds it
    assert outbox.pending() == []


CRASHING_APP = textwrap.dedent(
    """
    import os, signal, sys
    from nitro.events import on, post_save
    from nitro.persistence.registry import use_backend
    from nitro.sql import SQLModelBackend, use_database
    from nitro.cqrs.outbox import Outbox
    from nitro_cqrs_shop import ENTITIES, Order, PlaceOrder, Product, Sales, sync_bus

    url, mode, log = sys.argv[1:4]

    class FileMailer:
        def send(self, to, text):
            with open(log, "a") as f:
                f.write(text + "\\n")

    with use_database(url), use_backend(SQLModelBackend, *ENTITIES):
        bus = sync_bus.bootstrap(outbox=Outbox(), mailer=FileMailer())
        if mode == "crash":
            # post_save of the order runs after the commit and before the outbox
            # relay (it was queued first): die there, as a killed process would.
            @on(post_save, sender=Order, weak=False)
            def die(sender, **extra):
                os.kill(os.getpid(), signal.SIGKILL)

            bus.send(PlaceOrder(order_id="o1", lines=[{"product_id": "apple", "quantity": 2}]))
            print("not killed")
        else:
            print("relayed", bus.outbox.relay_pending(bus))
            print("sales", Sales.get_or_raise("total").count if Sales.get("total") else 0)
    """
)


def test_a_process_killed_between_commit_and_relay_loses_nothing(db_url, tmp_path):
    script = tmp_path / "app.py"
    script.write_text(CRASHING_APP)
    log = tmp_path / "mail.log"
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(SUPPORT), os.environ.get("PYTHONPATH", "")]),
    }

    def run(mode: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, str(script), db_url, mode, str(log)],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    crashed = run("crash")
    assert crashed.returncode == -signal.SIGKILL, crashed.stderr
    assert Product.get_or_raise("apple").stock == 8  # the command committed
    assert Order.get("o1") is not None
    [row] = rows(db_url, outbox_table)
    assert row.delivered_at is None  # ... and nothing was delivered
    assert not log.exists()

    restarted = run("relay")
    assert restarted.returncode == 0, restarted.stderr
    assert "relayed 1" in restarted.stdout
    assert "sales 2" in restarted.stdout
    assert log.read_text() == "order o1 placed\n"

    again = run("relay")  # a third start finds nothing to deliver
    assert "relayed 0" in again.stdout
    assert "sales 2" in again.stdout
    assert log.read_text() == "order o1 placed\n"
