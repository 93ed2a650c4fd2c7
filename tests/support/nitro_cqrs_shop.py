"""A small shop for nitro-cqrs's tests: products with stock, orders, a sales counter
and a recorded mailer; the same handlers written sync (``sync_bus``) and async
(``async_bus``), so every rule is checked on both paths."""

from __future__ import annotations

from typing import Any

from nitro import Entity
from nitro.cqrs import Bus, Command, Event, Query, Retry, record
from nitro.persistence import ConcurrencyError


class OutOfStock(ValueError):
    pass


class Product(Entity, versioned=True):
    name: str = ""
    stock: int = 0

    def reduce(self, quantity: int) -> None:
        if quantity > self.stock:
            raise OutOfStock(f"{self.id}: {self.stock} left, {quantity} wanted")
        self.stock -= quantity


class Order(Entity):
    lines: list[dict[str, Any]] = []


class Sales(Entity, versioned=True):
    count: int = 0
    events: list[str] = []


class PlaceOrder(Command):
    order_id: str
    lines: list[dict[str, Any]]


class GetStock(Query[int]):
    product_id: str


class OrderPlaced(Event):
    order_id: str
    quantity: int


class FakeMailer:
    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []

    def send(self, to: str, text: str) -> None:
        self.sent.append((to, text))


def _place(cmd: PlaceOrder, products: list[Product]) -> OrderPlaced:
    total = 0
    for line, product in zip(cmd.lines, products, strict=True):
        product.reduce(line["quantity"])
        total += line["quantity"]
    return OrderPlaced(order_id=cmd.order_id, quantity=total)


sync_bus = Bus()


@sync_bus.handles(PlaceOrder)
def place_order(cmd: PlaceOrder, uow: Any) -> str:
    products = [uow.repo(Product).get(line["product_id"]) for line in cmd.lines]
    placed = _place(cmd, products)
    for product in products:
        product.save()  # joins the unit
    Order(id=cmd.order_id, lines=cmd.lines).save()
    record(placed)  # what domain code does; bus.publish(placed) is the same here
    return cmd.order_id


@sync_bus.handles(GetStock)
def get_stock(query: GetStock) -> int:
    return Product.get_or_raise(query.product_id).stock


#: Concurrent orders race on the one Sales row: retry the handler on a lost race.
ON_CONFLICT = Retry(attempts=30, backoff=0.002, on=(ConcurrencyError,))


@sync_bus.handles(OrderPlaced, retry=ON_CONFLICT)
def count_sale(evt: OrderPlaced, uow: Any) -> None:
    sales = uow.repo(Sales).get("total") or Sales(id="total")
    if evt.id in sales.events:  # the event id makes a redelivery harmless
        return
    sales.count += evt.quantity
    sales.events = [*sales.events, evt.id]
    uow.repo(Sales).save(sales)


@sync_bus.handles(OrderPlaced)
def confirm(evt: OrderPlaced, mailer: FakeMailer) -> None:
    mailer.send("customer@example.com", f"order {evt.order_id} placed")


async_bus = Bus()


@async_bus.handles(PlaceOrder)
async def aplace_order(cmd: PlaceOrder, uow: Any) -> str:
    products = [await uow.repo(Product).get(line["product_id"]) for line in cmd.lines]
    placed = _place(cmd, products)
    for product in products:
        await product.asave()
    await Order(id=cmd.order_id, lines=cmd.lines).asave()
    await async_bus.apublish(placed)
    return cmd.order_id


@async_bus.handles(GetStock)
async def aget_stock(query: GetStock) -> int:
    product = await Product.aget(query.product_id)
    assert product is not None
    return product.stock


@async_bus.handles(OrderPlaced, retry=ON_CONFLICT)
async def acount_sale(evt: OrderPlaced, uow: Any) -> None:
    repo = uow.repo(Sales)
    sales = await repo.get("total") or Sales(id="total")
    if evt.id in sales.events:
        return
    sales.count += evt.quantity
    sales.events = [*sales.events, evt.id]
    await repo.save(sales)


@async_bus.handles(OrderPlaced)
async def aconfirm(evt: OrderPlaced, mailer: FakeMailer) -> None:
    mailer.send("customer@example.com", f"order {evt.order_id} placed")


ENTITIES = (Product, Order, Sales)
