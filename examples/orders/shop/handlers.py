"""The handlers, on the module's bus. They say what happens; :mod:`shop.bootstrap` says
with which database, mailer and page.

The bus runs each command in its own SQL unit of work: every entity read and write in
the handler joins it, it commits when the handler returns and rolls back when it
raises. Events recorded meanwhile are stored in the outbox in that same transaction and
delivered after the commit, each handler on its own.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from nitro.broadcast import Broadcaster
from nitro.cqrs import Bus, Retry, record
from nitro.cqrs.jobs import Engine
from nitro.persistence import ConcurrencyError
from nitro.sql import UnitOfWork
from shop import jobs
from shop.domain import Order, Product, SalesCounter, UnknownProduct
from shop.mail import Mailer, send_confirmation_mail
from shop.messages import AddProduct, GetProducts, GetSales, GetStock, OrderPlaced, PlaceOrder

bus = Bus()

#: The topic of the live stock stream (see ``app.py``).
STOCK_TOPIC = "orders:stock"


# -- commands -----------------------------------------------------------------------------


# --8<-- [start:commands]
@bus.handles(AddProduct)
def add_product(cmd: AddProduct, uow: UnitOfWork) -> None:
    product = Product(
        id=cmd.product_id, name=cmd.name, price_cents=cmd.price_cents, stock=cmd.stock
    )
    uow.repo(Product).add(product)  # DuplicateId if the id is taken


@bus.handles(PlaceOrder)
def place_order(cmd: PlaceOrder) -> str:
    total = 0
    for line in cmd.lines:
        product = Product.get(line.product_id)
        if product is None:
            raise UnknownProduct(line.product_id)
        product.take(line.quantity)  # OutOfStock: the unit rolls back the earlier lines
        product.save()  # versioned: a stale copy raises ConcurrencyError (retried)
        total += product.price_cents * line.quantity
    Order(id=cmd.order_id, email=cmd.email, lines=cmd.lines, total_cents=total).save()
    record(OrderPlaced(order_id=cmd.order_id, email=cmd.email, lines=cmd.lines, total_cents=total))
    return cmd.order_id
    # --8<-- [end:commands]


# -- queries ------------------------------------------------------------------------------


# --8<-- [start:queries]
@bus.handles(GetProducts)
def get_products(query: GetProducts) -> list[Product]:
    return Product.query().order_by("name").all()


@bus.handles(GetStock)
def get_stock(query: GetStock) -> dict[str, int]:
    return {product.id: product.stock for product in Product.all()}


@bus.handles(GetSales)
def get_sales(query: GetSales) -> SalesCounter:
    return SalesCounter.get("total") or SalesCounter(id="total")


def live_signals(bus: Bus) -> dict[str, Any]:
    """What the page shows live: ``{"stock": {id: n}, "sales": {...}}``."""
    sales = bus.ask(GetSales())
    return {
        "stock": bus.ask(GetStock()),
        "sales": {"orders": sales.orders, "items": sales.items},
    }
    # --8<-- [end:queries]


# -- events -------------------------------------------------------------------------------

#: Orders placed at the same time race for the one counter: try again on a lost race.
# --8<-- [start:events]
ON_CONFLICT = Retry(attempts=20, backoff=0.01, on=(ConcurrencyError,))


@bus.handles(OrderPlaced, retry=ON_CONFLICT)
def count_sale(evt: OrderPlaced, uow: UnitOfWork) -> None:
    """Taking ``uow`` makes the outbox record this handler as done in the same
    transaction as the counter: a redelivered event is not counted twice."""
    counter = uow.repo(SalesCounter).get("total") or SalesCounter(id="total")
    counter.add_sale(sum(line.quantity for line in evt.lines), evt.total_cents)
    uow.repo(SalesCounter).save(counter)


@bus.handles(OrderPlaced)
def send_confirmation(
    evt: OrderPlaced, uow: UnitOfWork, mailer: Mailer, job_engine: Engine | None = None
) -> None:
    """Mail the customer, with the event id as the mail's idempotency key (a provider
    can drop a copy sent again after a crash).

    Without a jobs engine the mail leaves now, in this process. With one, the
    ``shop.jobs.send_confirmation`` job is enqueued instead: in this handler's ``uow``,
    so the outbox stores it in the transaction that records this handler as done, and
    sends it to the engine after the commit (a redelivered event enqueues nothing; the
    job's key, the event id, makes a second send of it a no-op)."""
    send: Callable[..., object]
    if job_engine is not None:
        send = jobs.send_confirmation.options(key=evt.id).enqueue
    else:
        send = partial(send_confirmation_mail, mailer)
    send(
        order_id=evt.order_id,
        email=evt.email,
        lines=evt.lines,
        total_cents=evt.total_cents,
        key=evt.id,
    )


@bus.handles(OrderPlaced)
def show_stock(evt: OrderPlaced, bus: Bus, broadcaster: Broadcaster | None = None) -> None:
    """Push the new stock and sales to the open pages (none in a process without one)."""
    if broadcaster is not None:
        broadcaster.publish(STOCK_TOPIC, live_signals(bus))
        # --8<-- [end:events]
