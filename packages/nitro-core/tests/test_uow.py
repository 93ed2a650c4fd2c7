"""nitro.uow: the UnitOfWork protocol, its shared rules and MemoryUnitOfWork."""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from nitro import Entity, MemoryRepo, event, post_delete, post_save, use_backend
from nitro.persistence import MemoryStore, Query
from nitro.uow import (
    AsyncMemoryUnitOfWork,
    MemoryUnitOfWork,
    UnitOfWork,
    UnitRepository,
    current_unit,
    publish,
)

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
        uow.repo(UowOrder).save(order)
        product.stock -= 1
        uow.repo(UowProduct).save(product)
        uow.publish(order_placed, order, total=5)
        assert uow.repo(UowOrder).get(order.id) == order  # the unit sees its writes...
        assert UowOrder.get(order.id) == order  # ...through entity calls too
        assert _stored_elsewhere(UowOrder) == []  # ...but nothing is stored before commit
        assert uow.repo(UowProduct).all() == [product]
        assert received == []
        uow.commit()
        assert received == [(order, {"total": 5})]
    assert current_unit() is None
    assert UowOrder.get(order.id) == order
    assert UowProduct.get(product.id).stock == 2


def test_no_commit_or_an_exception_applies_nothing(received: list[Any]) -> None:
    with MemoryUnitOfWork(orders=UowOrder) as uow:
        uow.repo(UowOrder).save(UowOrder())
        uow.publish(order_placed, None)

    def failing() -> None:
        with MemoryUnitOfWork(orders=UowOrder) as uow:
            uow.repo(UowOrder).save(UowOrder())
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        failing()
    assert UowOrder.all() == []
    assert received == []


def test_nested_units(received: list[Any]) -> None:
    kept, dropped = UowOrder(total=1), UowOrder(total=2)
    with MemoryUnitOfWork(orders=UowOrder) as outer:
        outer.repo(UowOrder).save(kept)
        with MemoryUnitOfWork(orders=UowOrder) as inner:
            assert inner.parent is outer
            inner.repo(UowOrder).save(dropped)
            inner.publish(order_placed, dropped)
        with MemoryUnitOfWork(orders=UowOrder) as inner:
            inner.repo(UowOrder).delete(kept)
            assert inner.repo(UowOrder).get(kept.id) is None
            assert outer.repo(UowOrder).get(kept.id) == kept  # not handed over yet
        with MemoryUnitOfWork(orders=UowOrder) as inner:
            assert inner.repo(UowOrder).get(kept.id) == kept  # sees the outer unit's work
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
        uow.repo(UowOrder).save(new)
        assert uow.repo(UowOrder).filter(total=7) == [stored, new]
        assert uow.repo(UowOrder).delete(stored.id) is True
        assert uow.repo(UowOrder).filter(total=7) == [new]
        with pytest.raises(ValueError, match="already exists"):
            uow.repo(UowOrder).add(new)
        uow.commit()
    assert UowOrder.all() == [new]


def test_registration_errors() -> None:
    with MemoryUnitOfWork() as uow:
        with pytest.raises(AttributeError, match=r"no repository 'orders'"):
            _ = uow.orders
        uow.register("orders", UowOrder)
        with pytest.raises(TypeError, match="stores UowOrder entities, got UowProduct"):
            uow.repo(UowOrder).save(UowProduct())
        with pytest.warns(DeprecationWarning, match=r"use uow.repo\(UowOrder\)"):
            assert uow.orders.get("nothing") is None  # the old spelling still works
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
        await uow.repo(UowOrder).save(order)
        assert await uow.repo(UowOrder).get(order.id) == order
        uow.publish(order_placed, order)
        await uow.commit()
    assert UowOrder.get(order.id) == order
    assert received == [(order, {})]
    async with MemoryUnitOfWork(orders=UowOrder) as uow:
        await uow.repo(UowOrder).save(UowOrder())
        await uow.rollback()
        await uow.commit()
    assert UowOrder.all() == [order]


def _stored_elsewhere(entity_cls: type[Any]) -> list[Any]:
    """What a thread without the unit reads (a new thread has no active unit)."""
    found: list[Any] = []
    thread = threading.Thread(target=lambda: found.extend(entity_cls.all()))
    thread.start()
    thread.join()
    return found


# -- the faithful fake: entity calls join the unit, one event rule ---------------------


@pytest.fixture
def saved() -> Iterator[list[tuple[str, Any]]]:
    seen: list[tuple[str, Any]] = []

    def on_save(sender: Any, entity: Any, **kwargs: Any) -> None:
        seen.append(("saved", entity.id))

    def on_delete(sender: Any, entity: Any, **kwargs: Any) -> None:
        seen.append(("deleted", entity.id))

    post_save.connect(on_save, sender=UowOrder)
    post_delete.connect(on_delete, sender=UowOrder)
    yield seen
    post_save.disconnect(on_save, sender=UowOrder)
    post_delete.disconnect(on_delete, sender=UowOrder)


def test_entity_writes_in_an_uncommitted_unit_are_rolled_back(saved: list[Any]) -> None:
    kept = UowOrder(total=1)
    kept.save()
    assert saved == [("saved", kept.id)]  # outside a unit: at once
    with MemoryUnitOfWork():
        new = UowOrder(total=2)
        new.save()
        kept.delete()
        assert UowOrder.get(new.id) == new  # the unit reads its own writes
        assert UowOrder.all() == [new]
        assert UowOrder.filter(total=2) == [new]
        assert UowOrder.query().count() == 1
        assert not kept.exists()
    assert UowOrder.all() == [kept]
    assert saved == [("saved", kept.id)]  # post_save/post_delete dropped with the work


def test_entity_writes_are_applied_and_announced_after_the_commit(saved: list[Any]) -> None:
    order = UowOrder(total=1)
    with MemoryUnitOfWork() as uow:
        order.save()
        order.total = 2  # changed after the save: the saved copy is kept
        assert saved == []
        uow.commit()
        assert saved == [("saved", order.id)]
    assert UowOrder.get(order.id).total == 1


def test_a_failing_block_keeps_nothing(saved: list[Any]) -> None:
    def failing() -> None:
        with MemoryUnitOfWork():
            UowOrder(total=1).save()
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        failing()
    assert UowOrder.all() == []
    assert saved == []


def test_nested_entity_writes(saved: list[Any]) -> None:
    outer_order, inner_order = UowOrder(total=1), UowOrder(total=2)
    with MemoryUnitOfWork() as outer:
        outer_order.save()
        with MemoryUnitOfWork():
            inner_order.save()  # rolled back with the inner unit
        assert UowOrder.all() == [outer_order]
        with MemoryUnitOfWork() as inner:
            inner_order.save()
            inner.commit()  # handed to the outer unit, not stored yet
        assert saved == []
        assert _stored_elsewhere(UowOrder) == []
        outer.commit()
    assert UowOrder.all() == [outer_order, inner_order]
    assert saved == [("saved", outer_order.id), ("saved", inner_order.id)]


async def test_async_memory_unit_joins_entity_calls(saved: list[Any]) -> None:
    order = UowOrder(total=4)
    async with AsyncMemoryUnitOfWork() as uow:
        await order.asave()
        assert await UowOrder.aget(order.id) == order
        assert await UowOrder.aall() == [order]
    assert await UowOrder.aall() == []
    async with MemoryUnitOfWork() as uow:  # async with on a sync unit: its async twin
        assert isinstance(uow, AsyncMemoryUnitOfWork)
        await order.asave()
        await uow.repo(UowOrder).save(UowOrder(total=5))
        await uow.commit()
    assert [o.total for o in await UowOrder.aall()] == [4, 5]
    assert saved == [("saved", order.id)]


def test_repo_is_typed_and_checks_the_class() -> None:
    with MemoryUnitOfWork() as uow:
        orders = uow.repo(UowOrder)
        assert isinstance(orders, UnitRepository)
        order = UowOrder(total=1)
        assert orders.add(order) is True
        with pytest.raises(ValueError, match="already exists"):
            orders.add(order)
        assert orders.find(Query(order_by=("-total",))) == [order]
        uow.commit()
    with pytest.raises(RuntimeError, match="outside its 'with' block"):
        orders.get(order.id)
