"""nitro.events: lifecycle signals, domain events, @on, async receivers, receiver errors."""

from __future__ import annotations

import asyncio
import functools
import logging
import weakref
from collections.abc import Iterator
from typing import Any

import pytest

from nitro import Entity, MemoryRepo, event, on, post_delete, post_save, pre_delete, pre_save
from nitro.events import Event
from nitro.persistence import MemoryStore, use_backend

LIFECYCLE = (pre_save, post_save, pre_delete, post_delete)


class Order(Entity):
    total: int = 0


class Invoice(Entity):
    amount: int = 0


@pytest.fixture(autouse=True)
def isolated() -> Iterator[None]:
    with use_backend(functools.partial(MemoryRepo, store=MemoryStore())):
        yield
    for signal in LIFECYCLE:
        for receiver in list(signal.receivers.values()):
            fn = receiver() if isinstance(receiver, weakref.ref) else receiver
            if fn is not None:
                signal.disconnect(fn)


# -- lifecycle ------------------------------------------------------------------------------


def test_save_sends_pre_and_post_save_with_class_sender_entity_and_ttl() -> None:
    seen: list[tuple[str, Any, bool, Any]] = []

    @on(pre_save)
    def before(sender: type[Entity], entity: Entity, ttl: float | None) -> None:
        seen.append(("pre", sender, entity.exists(), ttl))

    @on(post_save)
    def after(sender: type[Entity], entity: Entity, ttl: float | None) -> None:
        seen.append(("post", sender, entity.exists(), ttl))

    order = Order(total=5)
    order.save(ttl=30)
    assert seen == [("pre", Order, False, 30.0), ("post", Order, True, 30.0)]


def test_delete_sends_pre_delete_and_post_delete_only_when_deleted() -> None:
    seen: list[tuple[str, bool]] = []

    @on(pre_delete)
    def before(sender: type[Entity], entity: Entity) -> None:
        seen.append(("pre", entity.exists()))

    @on(post_delete)
    def after(sender: type[Entity], entity: Entity) -> None:
        seen.append(("post", entity.exists()))

    order = Order()
    order.save()
    assert order.delete() is True
    assert order.delete() is False
    assert seen == [("pre", True), ("post", False), ("pre", False)]


def test_sender_filter_selects_the_entity_class() -> None:
    orders: list[Entity] = []

    @on(post_save, sender=Order)
    def only_orders(sender: type[Entity], entity: Entity, **kw: Any) -> None:
        orders.append(entity)

    Invoice().save()
    order = Order()
    order.save()
    assert orders == [order]


def test_a_raising_pre_save_receiver_aborts_the_save() -> None:
    @on(pre_save, sender=Order)
    def veto(sender: type[Entity], entity: Order, **kw: Any) -> None:
        if entity.total < 0:
            raise ValueError("total must not be negative")

    bad = Order(total=-1)
    with pytest.raises(ValueError, match="total must not be negative"):
        bad.save()
    assert Order.get(bad.id) is None
    good = Order(total=1)
    assert good.save() is True


def test_a_raising_pre_delete_receiver_aborts_the_delete() -> None:
    @on(pre_delete, sender=Order)
    def keep(sender: type[Entity], entity: Entity) -> None:
        raise PermissionError("orders are kept")

    order = Order()
    order.save()
    with pytest.raises(PermissionError):
        order.delete()
    assert order.exists()


def test_a_raising_post_save_receiver_is_logged_and_the_others_still_run(
    caplog: pytest.LogCaptureFixture,
) -> None:
    calls: list[str] = []

    @on(post_save)
    def broken(sender: type[Entity], **kw: Any) -> None:
        calls.append("broken")
        raise RuntimeError("mail server down")

    @on(post_save)
    def fine(sender: type[Entity], **kw: Any) -> None:
        calls.append("fine")

    order = Order()
    with caplog.at_level(logging.ERROR, logger="nitro.events"):
        assert order.save() is True
    assert sorted(calls) == ["broken", "fine"]
    assert Order.get(order.id) == order
    [record] = caplog.records
    assert "broken" in record.getMessage()
    assert "nitro.post_save" in record.getMessage()
    assert record.exc_info is not None
    assert str(record.exc_info[1]) == "mail server down"


def test_send_returns_each_result_and_the_exception_of_a_failed_receiver() -> None:
    evt = event("test.results")
    boom = ValueError("boom")

    def ok(sender: Any, **kw: Any) -> str:
        return "ok"

    def bad(sender: Any, **kw: Any) -> None:
        raise boom

    evt.connect(ok)
    evt.connect(bad)
    try:
        results = dict(evt.send("sender"))
    finally:
        evt.disconnect(ok)
        evt.disconnect(bad)
    assert results == {ok: "ok", bad: boom}


def test_an_event_with_errors_raise_propagates() -> None:
    strict = event("test.strict", errors="raise")

    @on(strict)
    def bad(sender: Any, **kw: Any) -> None:
        raise KeyError("missing")

    with pytest.raises(KeyError):
        strict.send(None)


# -- domain events -----------------------------------------------------------------------------


def test_event_returns_the_same_object_per_name() -> None:
    assert event("order.placed") is event("order.placed")
    assert isinstance(event("order.placed"), Event)
    assert event("order.placed").name == "order.placed"


def test_domain_event_reaches_receivers_with_instance_sender_and_kwargs() -> None:
    order_placed = event("order.placed")
    got: list[tuple[Any, dict[str, Any]]] = []

    @on(order_placed, sender=Order)  # a class filter also matches its instances
    def on_order(order: Order, **extra: Any) -> None:
        got.append((order, extra))

    @on("order.placed")  # by name, any sender
    def on_any(sender: Any, **extra: Any) -> None:
        got.append(("any", extra))

    order = Order(total=9)
    order_placed.send(order, channel="web")
    order_placed.send(Invoice())
    assert (order, {"channel": "web"}) in got
    assert got.count(("any", {"channel": "web"})) == 1
    assert got.count(("any", {})) == 1
    assert len(got) == 3


def test_exact_sender_filter() -> None:
    evt = event("test.exact")
    order = Order()
    got: list[Any] = []

    @on(evt, sender=order)
    def mine(sender: Any, **kw: Any) -> None:
        got.append(sender)

    evt.send(Order())
    evt.send(order)
    assert got == [order]


def test_bad_event_arguments_name_the_problem() -> None:
    with pytest.raises(TypeError, match="event\\(\\) needs a non-empty str name, got ''"):
        event("")
    with pytest.raises(TypeError, match="on\\(\\) takes an Event or an event name, got int"):
        on(42)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="errors must be 'raise' or 'log', got 'ignore'"):
        Event("x", errors="ignore")  # type: ignore[arg-type]
    event("test.policy")
    with pytest.raises(ValueError, match="already exists with errors='log'"):
        event("test.policy", errors="raise")


def test_receivers_are_weak_by_default_and_can_be_strong() -> None:
    evt = event("test.weak")
    calls: list[str] = []

    def register() -> None:
        @on(evt)
        def temporary(sender: Any, **kw: Any) -> None:
            calls.append("weak")

        on(evt, weak=False)(lambda sender, **kw: calls.append("strong"))

    register()
    evt.send(None)
    assert calls == ["strong"]


# -- async ---------------------------------------------------------------------------------------


async def test_asave_and_adelete_await_async_receivers() -> None:
    seen: list[str] = []

    @on(post_save, sender=Order)
    async def after_save(sender: type[Entity], entity: Entity, **kw: Any) -> None:
        await asyncio.sleep(0)
        seen.append("saved")

    @on(pre_delete, sender=Order)
    async def before_delete(sender: type[Entity], entity: Entity) -> None:
        await asyncio.sleep(0)
        seen.append("deleting")

    order = Order()
    await order.asave()
    await order.adelete()
    assert seen == ["saved", "deleting"]


async def test_asend_awaits_async_receivers_and_calls_sync_ones() -> None:
    evt = event("test.async")
    seen: list[str] = []

    @on(evt)
    async def slow(sender: Any, **kw: Any) -> str:
        await asyncio.sleep(0)
        seen.append("async")
        return "a"

    @on(evt)
    def quick(sender: Any, **kw: Any) -> str:
        seen.append("sync")
        return "s"

    results = dict(await evt.asend(None))
    assert sorted(seen) == ["async", "sync"]
    assert results == {slow: "a", quick: "s"}


async def test_async_receiver_errors_follow_the_policy(caplog: pytest.LogCaptureFixture) -> None:
    @on(pre_save, sender=Order)
    async def veto(sender: type[Entity], **kw: Any) -> None:
        raise ValueError("no")

    order = Order()
    with pytest.raises(ValueError, match="no"):
        await order.asave()
    assert not order.exists()
    pre_save.disconnect(veto)

    @on(post_save, sender=Order)
    async def broken(sender: type[Entity], **kw: Any) -> None:
        raise RuntimeError("later")

    with caplog.at_level(logging.ERROR, logger="nitro.events"):
        assert await order.asave() is True
    assert order.exists()
    assert "later" in caplog.text


def test_sync_save_with_an_async_receiver_fails_before_saving() -> None:
    @on(post_save, sender=Order)
    async def after(sender: type[Entity], **kw: Any) -> None:
        pass

    order = Order()
    with pytest.raises(
        RuntimeError, match=r"async receiver .*after, which sync code cannot await.*asave\(\)"
    ):
        order.save()
    assert not order.exists()


def test_sync_send_with_an_async_receiver_raises() -> None:
    evt = event("test.sync-async")
    calls: list[str] = []

    @on(evt)
    def sync_one(sender: Any, **kw: Any) -> None:
        calls.append("sync")

    @on(evt)
    async def async_one(sender: Any, **kw: Any) -> None:
        calls.append("async")

    with pytest.raises(RuntimeError, match=r"'test\.sync-async' has the async receiver"):
        evt.send(None)
    assert calls == []  # nothing ran


def test_muted_event_sends_nothing() -> None:
    evt = event("test.muted")
    calls: list[str] = []

    @on(evt)
    def receiver(sender: Any, **kw: Any) -> None:
        calls.append("x")

    with evt.muted():
        assert evt.send(None) == []
    assert calls == []
