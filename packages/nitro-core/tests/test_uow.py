"""nitro.uow: the UnitOfWork protocol, its shared rules and MemoryUnitOfWork."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from typing import Any

import pytest

from nitro import Entity, MemoryRepo, event, use_backend
from nitro.persistence import MemoryStore
from nitro.uow import MemoryUnitOfWork, UnitOfWork, current_unit, publish

order_placed = event("test.uow.order_placed")


class UowOrder(Entity):
    total: int = 0


class UowProduct(Entity):
    stock: int = 0


@pytest.fixture(autouse=True)
def fresh_store() -> Iterator[None]:
    with use_backend(functools.partial(MemoryRepo, store=MemoryStore())):
        yield


@pytest.fixture
def received() -> Iterator[list[Any]]:
    seen: list[Any] = []

    def receiver(sender: Any, **kwargs: Any) -> None:
        seen.append((sender, kwargs))

    order_placed.connect(receiver)
    yield seen
    order_placed.disconnect(receiver)


def test_memory_unit_satisfies_the_protocol() -> None:
    assert isinstance(MemoryUnitOfWork(), UnitOfWork)


def test_commit_applies_everything_and_publishes_after(received: list[Any]) -> None:
    order, product = UowOrder(total=5), UowProduct(stock=3)
    with MemoryUnitOfWork(orders=UowOrder, products=UowProduct) as uow:
        assert current_unit() is uow
        uow.orders.save(order)
        product.stock -= 1
        uow.products.save(product)
        uow.publish(order_placed, order, total=5)
        assert UowOrder.get(order.id) is None  # buffered until commit
        assert uow.orders.get(order.id) == order  # ...but the unit sees it
        assert uow.products.all() == [product]
        assert received == []
        uow.commit()
        assert received == [(order, {"total": 5})]
    assert current_unit() is None
    assert UowOrder.get(order.id) == order
    assert UowProduct.get(product.id).stock == 2


def test_no_commit_or_an_exception_applies_nothing(received: list[Any]) -> None:
    with MemoryUnitOfWork(orders=UowOrder) as uow:
        uow.orders.save(UowOrder())
        uow.publish(order_placed, None)

    def failing() -> None:
        with MemoryUnitOfWork(orders=UowOrder) as uow:
            uow.orders.save(UowOrder())
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        failing()
    assert UowOrder.all() == []
    assert received == []


def test_nested_units(received: list[Any]) -> None:
    kept, dropped = UowOrder(total=1), UowOrder(total=2)
    with MemoryUnitOfWork(orders=UowOrder) as outer:
        outer.orders.save(kept)
        with MemoryUnitOfWork(orders=UowOrder) as inner:
            assert inner.parent is outer
            inner.orders.save(dropped)
            inner.publish(order_placed, dropped)
        with MemoryUnitOfWork(orders=UowOrder) as inner:
            inner.orders.delete(kept)
            assert inner.orders.get(kept.id) is None
            assert outer.orders.get(kept.id) == kept  # not handed over yet
        with MemoryUnitOfWork(orders=UowOrder) as inner:
            assert inner.orders.get(kept.id) == kept  # sees the outer unit's work
            inner.publish(order_placed, kept)
            inner.commit()
        assert received == []
        outer.commit()
    assert UowOrder.all() == [kept]
    assert received == [(kept, {})]


def test_delete_and_filter_inside_a_unit() -> None:
    stored = UowOrder(total=7)
    stored.save()
    with MemoryUnitOfWork(orders=UowOrder) as uow:
        new = UowOrder(total=7)
        uow.orders.save(new)
        assert uow.orders.filter(total=7) == [stored, new]
        assert uow.orders.delete(stored.id) is True
        assert uow.orders.filter(total=7) == [new]
        with pytest.raises(ValueError, match="already exists"):
            uow.orders.add(new)
        uow.commit()
    assert UowOrder.all() == [new]


def test_registration_errors() -> None:
    with MemoryUnitOfWork() as uow:
        with pytest.raises(AttributeError, match=r"no repository 'orders'"):
            _ = uow.orders
        uow.register("orders", UowOrder)
        with pytest.raises(TypeError, match="stores UowOrder entities, got UowProduct"):
            uow.orders.save(UowProduct())
    with pytest.raises(ValueError, match="cannot register"):
        MemoryUnitOfWork(commit=UowOrder)
    with pytest.raises(RuntimeError, match="outside its 'with' block"):
        uow.commit()


def test_publish_outside_a_unit_sends_now(received: list[Any]) -> None:
    publish(order_placed, "now")
    assert received == [("now", {})]
    with MemoryUnitOfWork() as uow:
        publish(order_placed, "later")
        assert len(received) == 1
        uow.commit()
    assert received == [("now", {}), ("later", {})]


async def test_async_unit(received: list[Any]) -> None:
    order = UowOrder(total=3)
    async with MemoryUnitOfWork(orders=UowOrder) as uow:
        await uow.orders.save(order)
        assert await uow.orders.get(order.id) == order
        uow.publish(order_placed, order)
        await uow.commit()
    assert UowOrder.get(order.id) == order
    assert received == [(order, {})]
    async with MemoryUnitOfWork(orders=UowOrder) as uow:
        await uow.orders.save(UowOrder())
        await uow.rollback()
        await uow.commit()
    assert UowOrder.all() == [order]


def test_sync_commit_is_awaitable_too() -> None:
    with MemoryUnitOfWork() as uow:
        done = uow.commit()
        assert list(done.__await__()) == []  # type: ignore[attr-defined]
