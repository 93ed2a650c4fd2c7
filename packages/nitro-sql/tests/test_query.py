"""The query builder: where/order/limit/offset/join/eager/paginate and friends."""

# No `from __future__ import annotations`: SQLModel relationships need real annotations.

import datetime as dt
import functools
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from nitro.persistence import InvalidQuery
from nitro.sql import (
    Database,
    Field,
    MultipleResults,
    NoResult,
    Relationship,
    SQLEntity,
    SQLModelBackend,
    or_,
)


class Category(SQLEntity, table=True):
    __tablename__ = "query_category"
    title: str


class Product(SQLEntity, table=True):
    __tablename__ = "query_product"
    name: str
    price: float
    stock: int = 0
    category_id: str | None = Field(default=None, foreign_key="query_category.id")
    created_at: dt.datetime = Field(default_factory=lambda: dt.datetime.now(dt.UTC))


class Order(SQLEntity, table=True):
    __tablename__ = "query_order"
    customer: str
    items: list["OrderItem"] = Relationship(back_populates="order")


class OrderItem(SQLEntity, table=True):
    __tablename__ = "query_order_item"
    order_id: str = Field(foreign_key="query_order.id")
    sku: str
    quantity: int = 1
    order: Order | None = Relationship(back_populates="items")


@pytest.fixture
def products(db: Database) -> list[Product]:
    tools = Category(title="tools")
    tools.save()
    start = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
    made = [
        Product(
            name=f"p{n:02}",
            price=float(10 * n),
            stock=n % 3,
            category_id=tools.id if n % 2 else None,
            created_at=start + dt.timedelta(minutes=n),
        )
        for n in range(30)
    ]
    for product in made:
        product.save()
    return made


def names(items: list[Product]) -> list[str]:
    return [item.name for item in items]


def test_the_roadmap_query(products: list[Product]) -> None:
    found = (
        Product.query()
        .where(Product.price < 100)
        .where(Product.stock > 0)
        .join(Category, Product.category_id == Category.id)
        .order_by(Product.created_at.desc())
        .limit(3)
        .all()
    )
    # price < 100: p00..p09; stock > 0: n % 3 != 0; in a category: odd n.
    assert names(found) == ["p07", "p05", "p01"]


def test_where_by_keyword_expression_and_boolean_logic(products: list[Product]) -> None:
    query = Product.query()
    assert names(query.where(stock=0, price=30.0).all()) == ["p03"]
    assert names(query.where(or_(Product.price == 0, Product.price == 290)).all()) == ["p00", "p29"]
    assert names(query.where((Product.price < 20) | (Product.price > 280)).all()) == [
        "p00",
        "p01",
        "p29",
    ]
    assert query.where(~(Product.price < 280)).count() == 2
    assert names(query.where(Product.name.in_(["p02", "p04"])).all()) == ["p02", "p04"]
    assert query.where(category_id=None).count() == 15


def test_order_limit_offset_first_one(products: list[Product]) -> None:
    query = Product.query().where(Product.price < 50)
    assert names(query.order_by("-price").all()) == ["p04", "p03", "p02", "p01", "p00"]
    assert names(query.order_by("stock", "-name").all()) == ["p03", "p00", "p04", "p01", "p02"]
    assert names(query.order_by("-price").offset(1).limit(2).all()) == ["p03", "p02"]
    assert query.order_by("-price").first().name == "p04"
    assert query.where(name="p01").one().name == "p01"
    with pytest.raises(NoResult):
        query.where(name="nope").one()
    with pytest.raises(MultipleResults):
        query.one()
    assert query.where(name="nope").first() is None


def test_count_exists_and_immutability(products: list[Product]) -> None:
    base = Product.query()
    cheap = base.where(Product.price < 50)
    assert base.count() == 30
    assert cheap.count() == 5
    assert cheap.limit(2).count() == 5  # count ignores the window
    assert cheap.exists() is True
    assert base.where(name="nope").exists() is False
    joined = base.join(Category, Product.category_id == Category.id)
    assert joined.count() == 15


def test_paginate(products: list[Product]) -> None:
    page = Product.query().order_by("name").paginate(page=2, per_page=8)
    assert names(page.items) == [f"p{n:02}" for n in range(8, 16)]
    assert (page.total, page.pages, page.page, page.per_page) == (30, 4, 2, 8)
    assert page.has_next
    assert page.has_previous
    last = Product.query().order_by("name").paginate(page=4, per_page=8)
    assert names(last.items) == [f"p{n:02}" for n in range(24, 30)]
    assert not last.has_next
    empty = Product.query().where(name="none").paginate()
    assert (empty.items, empty.total, empty.pages) == ([], 0, 0)
    with pytest.raises(InvalidQuery, match="page must be an int >= 1"):
        Product.query().paginate(page=0)
    with pytest.raises(InvalidQuery, match="per_page"):
        Product.query().paginate(per_page=0)


def test_unknown_fields_are_named(products: list[Product]) -> None:
    with pytest.raises(InvalidQuery, match=r"'colour' is not a field of Product"):
        Product.query().where(colour="red")
    with pytest.raises(InvalidQuery, match=r"'colour' is not a field of Product"):
        Product.filter(colour="red")
    with pytest.raises(InvalidQuery, match=r"'size' is not a field of Product"):
        Product.query().order_by("-size")
    with pytest.raises(InvalidQuery, match=r"'colour' is not a field of Product"):
        Product.search("x", fields=["colour"])
    with pytest.raises(InvalidQuery, match="not a relationship"):
        Order.query().eager("nope")
    with pytest.raises(TypeError, match="where\\(\\) takes SQLAlchemy expressions"):
        Product.query().where("price < 10")
    with pytest.raises(InvalidQuery, match="limit"):
        Product.query().limit(-1)


@pytest.fixture
def orders(db: Database) -> None:
    from nitro.sql import UnitOfWork

    with UnitOfWork() as uow:
        for n in range(100):
            order = Order(customer=f"c{n:03}")
            order.save()
            for k in range(3):
                OrderItem(order_id=order.id, sku=f"s{n}-{k}", quantity=k + 1).save()
        uow.commit()


@pytest.fixture
def statements(db: Database) -> Iterator[list[str]]:
    seen: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    yield seen
    event.remove(db.engine, "before_cursor_execute", count)


@pytest.mark.parametrize("strategy", ["selectin", "joined"])
def test_eager_loading_100_orders_with_items_in_two_statements(
    orders: None, statements: list[str], strategy: Any
) -> None:
    Order.query().first()  # tables checked, pool warm: count only the listing itself
    statements.clear()
    listed = Order.query().order_by("customer").eager("items", strategy=strategy).all()
    total = sum(item.quantity for order in listed for item in order.items)
    assert len(listed) == 100
    assert total == 100 * (1 + 2 + 3)
    assert [len(order.items) for order in listed] == [3] * 100
    assert len(statements) <= 2, statements
    assert all(s.lstrip().upper().startswith("SELECT") for s in statements), statements


def test_without_eager_loading_relationships_cannot_be_read_lazily(orders: None) -> None:
    order = Order.query().first()
    with pytest.raises(sa.orm.exc.DetachedInstanceError):
        _ = order.items


def test_async_query(products: list[Product]) -> None:
    import asyncio

    async def run() -> None:
        query = Product.query().where(Product.price < 50).order_by("-price")
        assert names(await query.aall()) == ["p04", "p03", "p02", "p01", "p00"]
        assert (await query.afirst()).name == "p04"
        assert (await query.where(name="p00").aone()).name == "p00"
        assert await query.acount() == 5
        assert await query.aexists() is True
        assert names((await query.apaginate(2, 2)).items) == ["p02", "p01"]

    asyncio.run(run())


def test_statement_is_parameterised(products: list[Product]) -> None:
    statement = Product.query().where(name="x'; DROP TABLE query_product; --").statement
    compiled = statement.compile()
    assert "DROP TABLE" not in str(compiled)
    assert "x'; DROP TABLE query_product; --" in compiled.params.values()


def test_query_off_sql_is_generic_and_sql_only_calls_name_the_backend(db: Database) -> None:
    from nitro import MemoryRepo, use_backend
    from nitro.persistence import MemoryStore, UnsupportedOperation

    with use_backend(functools.partial(MemoryRepo, store=MemoryStore()), Product):
        Product(name="pen", price=2.0).save()
        assert [p.name for p in Product.query().where(name="pen").all()] == ["pen"]
        with pytest.raises(UnsupportedOperation, match=r"join\(\) needs SQL.*MemoryRepo"):
            Product.query().join(Product)
        with pytest.raises(UnsupportedOperation, match=r"eager\(\) needs SQL.*MemoryRepo"):
            Product.query().eager("category")
        with pytest.raises(UnsupportedOperation, match="use field=value keywords"):
            Product.query().where(Product.price < 100)
    assert isinstance(Product.repository(), SQLModelBackend)
