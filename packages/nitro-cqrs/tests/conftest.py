"""The shop on each store (MemoryRepo; SQLite and PostgreSQL with the outbox) and
each path (sync handlers with ``send``; async handlers with ``asend``)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from nitro_cqrs_shop import ENTITIES, FakeMailer, Product, async_bus, sync_bus

from nitro.cqrs import Bus, RetryOnConflict
from nitro.persistence import MemoryRepo
from nitro.persistence.registry import use_backend


@dataclass
class Shop:
    """A bootstrapped bus on one store, called the way *mode* says."""

    bus: Bus
    mailer: FakeMailer
    store: str
    mode: str

    def run(self, method: str, message: Any) -> Any:
        if self.mode == "sync":
            return getattr(self.bus, method)(message)
        return asyncio.run(getattr(self.bus, "a" + method)(message))

    def send(self, command: Any) -> Any:
        return self.run("send", command)

    def ask(self, query: Any) -> Any:
        return self.run("ask", query)

    def publish(self, event: Any) -> Any:
        return self.run("publish", event)

    def stock(self, product_id: str) -> int:
        return Product.get_or_raise(product_id).stock


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The shop's entities on MemoryRepo, SQLite or PostgreSQL (fresh for each test)."""
    if request.param == "memory":
        with use_backend(MemoryRepo, *ENTITIES):
            for entity_cls in ENTITIES:
                entity_cls.repository().clear()
            yield "memory"
        return
    from nitro.sql import SQLModelBackend, use_database
    from nitro.sql.config import database_for

    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'shop.db'}"
    else:
        url = request.getfixturevalue("postgres_server").url
        _reset_postgres(url)
    with use_database(url), use_backend(SQLModelBackend, *ENTITIES):
        yield request.param
    database_for(url).dispose()


def _reset_postgres(url: str) -> None:
    import sqlalchemy as sa

    from nitro.sql.config import database_for

    database = database_for(url)
    with database.engine.begin() as conn:
        conn.execute(sa.text("DROP SCHEMA public CASCADE"))
        conn.execute(sa.text("CREATE SCHEMA public"))
    database.forget_tables()


@pytest.fixture(params=["sync", "async"])
def shop(request: pytest.FixtureRequest, store: str) -> Iterator[Shop]:
    """The bootstrapped shop: the outbox on SQL stores, conflicts retried."""
    mailer = FakeMailer()
    config: dict[str, Any] = {"mailer": mailer, "middleware": [RetryOnConflict(attempts=50)]}
    if store != "memory":
        from nitro.cqrs.outbox import Outbox

        config["outbox"] = Outbox()
    base = sync_bus if request.param == "sync" else async_bus
    bus = base.copy().bootstrap(**config)  # tests may add handlers
    Product(id="apple", name="Apple", stock=10).save()
    Product(id="pear", name="Pear", stock=5).save()
    yield Shop(bus, mailer, store, request.param)
    if bus.outbox is not None:
        bus.outbox.stop()
