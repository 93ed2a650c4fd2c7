"""The roadmap's order example on Flask: several products bought in one unit of work,
an OrderPlaced event that counts the sale and mails a confirmation (through the
transactional outbox), and a page whose stock follows every order live.

    uv run --all-packages examples/orders/app.py  # http://127.0.0.1:8000

The application core is the ``shop`` package beside this file; this module is only
the web entry point: it turns a request into a command and the answer into a page.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
from collections.abc import Iterator
from typing import Annotated, Any

from flask import Flask, Response, current_app
from pydantic import Field
from shop.bootstrap import bootstrap
from shop.domain import SLUG, Order, OrderError, OrderLine, Product, SalesCounter
from shop.handlers import STOCK_TOPIC, live_signals
from shop.mail import Mailer
from shop.messages import EMAIL, AddProduct, GetProducts, PlaceOrder

from nitro import Entity, action
from nitro.actions import InvalidParameters
from nitro.actions.sse import SSE_HEADERS, keepalive, patch_signals
from nitro.adapters.flask import configure_app
from nitro.broadcast import InProcessBroadcaster
from nitro.cqrs import Bus
from nitro.cqrs.jobs import Engine
from nitro.sql import DuplicateId
from rusty_tags import (
    H1,
    Button,
    Div,
    Form,
    Input,
    Label,
    P,
    Page,
    Span,
    Style,
    Table,
    Tbody,
    Td,
    Th,
    Thead,
    Tr,
    js_string,
)

#: Used when neither ``create_app(database=...)`` nor ``NITRO_DATABASE_URL`` says.
DEFAULT_DATABASE = "sqlite:///orders.db"

#: What a new database starts with.
CATALOG = [
    AddProduct(product_id="tea", name="Green tea", price_cents=450, stock=10),
    AddProduct(product_id="mug", name="Mug", price_cents=1200, stock=10),
    AddProduct(product_id="kettle", name="Kettle", price_cents=3900, stock=3),
]

ProductId = Annotated[str, Field(pattern=SLUG)]
Quantity = Annotated[int, Field(ge=0, le=1000)]


def shop_bus() -> Bus:
    """The bus of the app serving this request (set up by :func:`create_app`)."""
    bus: Bus = current_app.extensions["orders"]
    return bus


# --8<-- [start:checkout]
class Checkout(Entity):
    """The order form's endpoint, never stored: an action gives it Nitro's request
    checks (allowed host, same origin, body size) and parameter validation (422)."""

    @action(method="POST")
    @classmethod
    def place(
        cls, email: Annotated[str, Field(pattern=EMAIL)], quantities: dict[ProductId, Quantity]
    ) -> dict[str, Any]:
        """``POST /checkout/place`` with ``{"email": ..., "quantities": {"tea": 2}}``."""
        chosen = {product_id: n for product_id, n in quantities.items() if n}
        if not chosen:
            raise _refused("quantities", "Choose at least one product.")
        lines = [OrderLine(product_id=p, quantity=n) for p, n in chosen.items()]
        try:
            order_id = shop_bus().send(PlaceOrder(email=email, lines=lines))
        except OrderError as exc:  # out of stock, unknown product: nothing was changed
            raise _refused("quantities", str(exc)) from None
        # Datastar merges this into the page's signals; other clients get it as JSON.
        return {
            "order_id": order_id,
            "notice": f"Order {order_id} placed; a confirmation is on its way to {email}.",
            "quantities": dict.fromkeys(quantities, 0),
        }


def _refused(parameter: str, message: str) -> InvalidParameters:
    """A 422 (for Datastar: the ``$_errors.<parameter>`` signal) with *message*."""
    return InvalidParameters(message, errors=[{"parameter": parameter, "message": message}])
    # --8<-- [end:checkout]


# --8<-- [start:create_app]
def create_app(
    database: str | None = None,
    mailer: Mailer | None = None,
    *,
    relay: bool = True,
    jobs: Engine | str | None = None,
) -> Flask:
    """The Flask app: wires the shop, fills an empty catalog, delivers the events a
    crashed process left (*relay*, then every second in a background thread). With a
    jobs engine (*jobs*, else ``NITRO_JOBS_URL``) a worker mails the confirmations."""
    app = Flask(__name__)
    broadcaster = InProcessBroadcaster()
    configure_app(app, broadcaster=broadcaster, openapi_url="/openapi.json")
    database = database or os.environ.get("NITRO_DATABASE_URL") or DEFAULT_DATABASE
    bus = bootstrap(mailer=mailer, database=database, broadcaster=broadcaster, jobs=jobs)
    app.extensions["orders"] = bus
    _create_tables(bus)
    _fill_catalog(bus)
    if relay:
        assert bus.outbox is not None
        bus.outbox.relay_pending(bus)
        bus.outbox.start(bus)

    @app.get("/")
    def index() -> str:
        return str(_page(bus.ask(GetProducts()), live_signals(bus)))

    @app.get("/stock/live")
    def stock_live() -> Response:
        """The page's live stream: the stock and sales now, then after every order."""

        def events() -> Iterator[str]:
            with broadcaster.subscribe(STOCK_TOPIC) as subscription:  # before reading
                yield patch_signals(live_signals(bus))
                while True:
                    signals = subscription.get(timeout=15)
                    yield keepalive() if signals is None else patch_signals(signals)

        return Response(events(), headers=SSE_HEADERS)

    @app.get("/api/stock")
    def stock_json() -> dict[str, Any]:
        return live_signals(bus)

    return app
    # --8<-- [end:create_app]


def _create_tables(bus: Bus) -> None:
    """Create missing tables now (a first read creates its entity's table), not when
    the first orders arrive together: SQLite can refuse a table created while other
    connections write ("database is locked")."""
    for entity in (Product, Order, SalesCounter):
        entity.query().first()
    assert bus.outbox is not None
    bus.outbox.ensure_tables()


def _fill_catalog(bus: Bus) -> None:
    if bus.ask(GetProducts()):
        return
    for command in CATALOG:
        with contextlib.suppress(DuplicateId):  # another process filled it meanwhile
            bus.send(command)


def _page(products: list[Product], live: dict[str, Any]) -> Any:
    rows = [
        Tr(
            Td(product.name),
            Td(f"{product.price_cents / 100:.2f}"),
            # product ids are slugs (shop.domain.SLUG), safe as signal names
            Td(Span(product.stock, id=f"stock-{product.id}", data_text=f"$stock.{product.id}")),
            Td(
                Input(
                    type="number",
                    min="0",
                    id=f"quantity-{product.id}",
                    aria_label=f"Quantity of {product.name}",
                    data_bind=f"quantities.{product.id}",
                )
            ),
        )
        for product in products
    ]
    sales = live["sales"]
    signals = {
        **live,
        "email": "",
        "quantities": {product.id: 0 for product in products},
        "notice": "",
        "_errors": {"email": "", "quantities": ""},
    }
    return Page(
        H1("Orders"),
        Div(
            P(
                Span(sales["orders"], id="orders", data_text="$sales.orders"),
                " orders, ",
                Span(sales["items"], id="items", data_text="$sales.items"),
                " items sold",
            ),
            Form(
                Table(
                    Thead(Tr(Th("Product"), Th("Price"), Th("In stock"), Th("Quantity"))),
                    Tbody(*rows),
                ),
                Label("Email ", Input(type="email", id="email", data_bind="email")),
                Button("Place order", id="place"),
                P(id="quantities-error", cls="error", data_text="$_errors.quantities"),
                P(id="email-error", cls="error", data_text="$_errors.email"),
                P(id="notice", data_text="$notice"),
                data_on_submit=Checkout.place(),
            ),
            data_signals=signals,
            data_init=f"@get({js_string('/stock/live')}, {{openWhenHidden: true}})",
        ),
        title="Nitro orders",
        hdrs=[Style(".error { color: #b00020 }")],
    )


def main() -> None:
    parser = argparse.ArgumentParser(description="Serve the Nitro order example on Flask.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    # Threaded: each open page holds its live stream, and so a worker thread.
    create_app().run(host=args.host, port=args.port, threaded=True)


if __name__ == "__main__":
    main()
