"""Specifications: translated to SQL when they can be, evaluated in memory (with a
warning) when they cannot; Product.filter(InStock() & Affordable(100)) either way."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.sql.elements import ColumnElement

from nitro import Entity, FieldEquals, Specification
from nitro.sql import Database, SQLEntity, SQLModelBackend


class Item(SQLEntity, table=True):
    __tablename__ = "spec_item"
    name: str
    price: float
    stock: int = 0


class InStock(Specification[Item]):
    def is_satisfied_by(self, candidate: Item) -> bool:
        return candidate.stock > 0

    def to_sql(self, model: type[Item]) -> ColumnElement[bool]:
        return model.stock > 0  # type: ignore[return-value]


class Affordable(Specification[Item]):
    def __init__(self, limit: float) -> None:
        self.limit = limit

    def is_satisfied_by(self, candidate: Item) -> bool:
        return candidate.price <= self.limit

    def to_sql(self, model: type[Item]) -> ColumnElement[bool]:
        return model.price <= self.limit  # type: ignore[return-value]


class PlainInStock(Specification[Any]):
    """No SQL form: evaluated in memory."""

    def is_satisfied_by(self, candidate: Any) -> bool:
        return bool(candidate.stock > 0)


class PlainAffordable(Specification[Any]):
    def __init__(self, limit: float) -> None:
        self.limit = limit

    def is_satisfied_by(self, candidate: Any) -> bool:
        return bool(candidate.price <= self.limit)

    def __repr__(self) -> str:
        return f"PlainAffordable({self.limit})"


@pytest.fixture
def items(db: Database) -> dict[str, Item]:
    made = {
        "cheap_in": Item(name="cheap_in", price=10, stock=5),
        "cheap_out": Item(name="cheap_out", price=20, stock=0),
        "dear_in": Item(name="dear_in", price=500, stock=1),
        "dear_out": Item(name="dear_out", price=900, stock=0),
        "mid_in": Item(name="mid_in", price=100, stock=2),
    }
    for item in made.values():
        item.save()
    return made


@pytest.fixture
def sql(db: Database) -> Iterator[list[str]]:
    seen: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    yield seen
    event.remove(db.engine, "before_cursor_execute", record)


def names(found: list[Any]) -> list[str]:
    return sorted(item.name for item in found)


def test_translatable_specs_run_in_sql(
    items: dict[str, Item], sql: list[str], caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="nitro.sql"):
        found = Item.filter(InStock() & Affordable(100))
    assert names(found) == ["cheap_in", "mid_in"]
    (select,) = [s for s in sql if "spec_item" in s and s.lstrip().startswith("SELECT")]
    assert "spec_item.stock >" in select
    assert "spec_item.price <=" in select
    assert caplog.records == []
    assert names(Item.filter(~InStock() | Affordable(10))) == ["cheap_in", "cheap_out", "dear_out"]
    assert Item.query().where(InStock(), name="dear_in").count() == 1


def test_untranslatable_specs_run_in_memory_with_a_warning(
    items: dict[str, Item], caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="nitro.sql"):
        found = Item.filter(PlainInStock() & PlainAffordable(100))
    assert names(found) == ["cheap_in", "mid_in"]
    assert any("evaluated in memory" in r.getMessage() for r in caplog.records)
    assert any("PlainAffordable(100)" in r.getMessage() for r in caplog.records)


def test_mixed_specs_split_between_sql_and_memory(
    items: dict[str, Item], sql: list[str], caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="nitro.sql"):
        found = Item.filter(InStock() & PlainAffordable(100))
    assert names(found) == ["cheap_in", "mid_in"]
    (select,) = [s for s in sql if "spec_item" in s and s.lstrip().startswith("SELECT")]
    assert "spec_item.stock >" in select  # the translatable half still filtered in SQL
    assert "price" not in select.split("WHERE", 1)[1]
    assert [r.getMessage() for r in caplog.records if "PlainInStock" in r.getMessage()] == []


def test_in_memory_parts_respect_order_window_and_count(items: dict[str, Item]) -> None:
    query = Item.query().where(PlainInStock()).order_by("-price")
    assert [i.name for i in query.all()] == ["dear_in", "mid_in", "cheap_in"]
    assert [i.name for i in query.offset(1).limit(1).all()] == ["mid_in"]
    assert query.count() == 3
    assert query.exists() is True
    assert query.first().name == "dear_in"
    page = query.paginate(page=2, per_page=2)
    assert ([i.name for i in page.items], page.total, page.pages) == (["cheap_in"], 3, 2)


def test_or_with_an_untranslatable_part_runs_in_memory(items: dict[str, Item]) -> None:
    assert names(Item.filter(PlainInStock() | Affordable(20))) == [
        "cheap_in",
        "cheap_out",
        "dear_in",
        "mid_in",
    ]


def test_field_equals_and_keywords(items: dict[str, Item]) -> None:
    assert names(Item.filter(FieldEquals("stock", 0))) == ["cheap_out", "dear_out"]
    assert names(Item.filter(InStock(), price=500.0)) == ["dear_in"]


class Gadget(Entity):
    """A plain entity: stored as a JSON document, fields compared through JSON paths."""

    name: str
    price: float = 0
    stock: int = 0
    tags: list[str] = []

    _persistence_backend_class = SQLModelBackend


def test_specs_on_document_entities(
    db: Database, sql: list[str], caplog: pytest.LogCaptureFixture
) -> None:
    for n, (price, stock) in enumerate([(10, 5), (20, 0), (500, 1), (100, 2)]):
        Gadget(name=f"g{n}", price=price, stock=stock, tags=[f"t{n % 2}"]).save()
    sql.clear()
    with caplog.at_level(logging.WARNING, logger="nitro.sql"):
        assert names(Gadget.filter(stock=0)) == ["g1"]
        assert names(Gadget.filter(name="g2")) == ["g2"]
    assert caplog.records == []  # str/int fields compare in SQL...
    # The JSON path itself is a bound parameter; the extraction is in the WHERE clause.
    assert any("JSON_EXTRACT" in s.upper() or "->>" in s for s in sql), sql
    with caplog.at_level(logging.WARNING, logger="nitro.sql"):
        assert names(Gadget.filter(InStock() & Affordable(100))) == ["g0", "g3"]
        assert names(Gadget.filter(tags=["t1"])) == ["g1", "g3"]
    assert len(caplog.records) == 2  # ...columns-only specs and lists in memory
    assert [g.name for g in Gadget.query().order_by("-price").all()] == ["g2", "g3", "g1", "g0"]
    assert Gadget.query().where(stock=0).count() == 1


def test_a_row_rule_filters_in_sql(items: dict[str, Item], sql: list[str]) -> None:
    """A RowRule is a specification of the user, so a list filtered by it is one
    WHERE clause, not every row loaded and checked."""
    from nitro.auth import RowRule, User

    named = RowRule(lambda user: FieldEquals("name", user.id) | InStock())
    found = Item.filter(named.spec(User(id="dear_out")))
    assert names(found) == ["cheap_in", "dear_in", "dear_out", "mid_in"]
    (select,) = [s for s in sql if "spec_item" in s and s.lstrip().startswith("SELECT")]
    assert "spec_item.name =" in select
    assert "spec_item.stock >" in select
    assert named.spec(User(id="root", is_superuser=True)) is None
