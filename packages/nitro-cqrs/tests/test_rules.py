"""The bus's rules on every store and both paths: a unit of work per command,
read-only queries, events after the commit only, failures isolated."""

from __future__ import annotations

import pytest
from nitro_cqrs_shop import GetStock, Order, OrderPlaced, OutOfStock, PlaceOrder, Product, Sales

from nitro.cqrs import QueryWriteError

LINES = [{"product_id": "apple", "quantity": 3}, {"product_id": "pear", "quantity": 2}]


def test_a_command_commits_its_changes_and_then_its_events(shop):
    assert shop.send(PlaceOrder(order_id="o1", lines=LINES)) == "o1"
    assert (shop.stock("apple"), shop.stock("pear")) == (7, 3)
    assert Order.get("o1") is not None
    assert Sales.get_or_raise("total").count == 5
    assert shop.mailer.sent == [("customer@example.com", "order o1 placed")]


def test_a_failing_command_keeps_nothing_and_publishes_nothing(shop):
    lines = [{"product_id": "apple", "quantity": 3}, {"product_id": "pear", "quantity": 6}]
    with pytest.raises(OutOfStock, match="pear: 5 left, 6 wanted"):
        shop.send(PlaceOrder(order_id="o2", lines=lines))
    assert (shop.stock("apple"), shop.stock("pear")) == (10, 5)  # apple's reduction undone
    assert Order.get("o2") is None
    assert Sales.get("total") is None
    assert shop.mailer.sent == []
    if shop.bus.outbox is not None:
        assert shop.bus.outbox.pending() == []


def test_a_query_answers_and_cannot_write(shop):
    assert shop.ask(GetStock(product_id="pear")) == 5

    from nitro.cqrs import Query

    class Sneaky(Query[int]):
        product_id: str

    bus = shop.bus

    if shop.mode == "sync":

        @bus.handles(Sneaky)
        def sneaky(query: Sneaky) -> int:
            product = Product.get_or_raise(query.product_id)
            product.stock = 0
            product.save()
            return 0

    else:

        @bus.handles(Sneaky)
        async def sneaky(query: Sneaky) -> int:
            product = await Product.aget(query.product_id)
            assert product is not None
            product.stock = 0
            await product.asave()
            return 0

    with pytest.raises(QueryWriteError, match="Sneaky is a query and must not write"):
        shop.ask(Sneaky(product_id="pear"))
    assert shop.stock("pear") == 5


def test_a_failing_event_handler_is_logged_and_the_others_run(shop, caplog):
    bus = shop.bus

    class Exploding(RuntimeError):
        pass

    if shop.mode == "sync":

        @bus.handles(OrderPlaced)
        def explode(evt: OrderPlaced) -> None:
            raise Exploding("boom")

    else:

        @bus.handles(OrderPlaced)
        async def explode(evt: OrderPlaced) -> None:
            raise Exploding("boom")

    shop.send(PlaceOrder(order_id="o3", lines=LINES))
    assert Sales.get_or_raise("total").count == 5
    assert len(shop.mailer.sent) == 1
    failed = [r for r in caplog.records if "explode failed" in r.getMessage()]
    assert failed
    assert failed[0].exc_info is not None
    assert failed[0].exc_info[0] is Exploding


def test_publishing_outside_a_command_delivers_at_once(shop):
    shop.publish(OrderPlaced(order_id="manual", quantity=4))
    assert Sales.get_or_raise("total").count == 4
    assert shop.mailer.sent == [("customer@example.com", "order manual placed")]


def test_concurrent_orders_never_oversell(shop):
    """20 orders of 1 pear each for 5 pears, from 4 threads: exactly 5 placed."""
    from concurrent.futures import ThreadPoolExecutor

    def order(n: int) -> bool:
        try:
            shop.send(PlaceOrder(order_id=f"c{n}", lines=[{"product_id": "pear", "quantity": 1}]))
        except OutOfStock:
            return False
        return True

    with ThreadPoolExecutor(4) as pool:
        placed = sum(pool.map(order, range(20)))
    assert placed == 5
    assert shop.stock("pear") == 0
    assert Sales.get_or_raise("total").count == 5
    assert len(shop.mailer.sent) == 5
