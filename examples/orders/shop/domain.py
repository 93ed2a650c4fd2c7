"""The domain: products with stock, orders and the sales counter.

Plain Nitro entities with their rules, and nothing about buses, HTTP or mail. Every one
is stored in SQL, in the same database as the outbox, so that a command's writes and
its events commit in one transaction.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from nitro import Entity
from nitro.sql import SQLEntity, SQLModelBackend

#: Product ids are slugs: they are keys of the page's signals (``$stock.tea``).
SLUG = r"^[a-z][a-z0-9_]{0,39}$"


class OrderError(ValueError):
    """An order that cannot be placed as asked; the message says why, for the customer."""


class UnknownProduct(OrderError):
    def __init__(self, product_id: str) -> None:
        super().__init__(f"There is no product {product_id!r}.")
        self.product_id = product_id


class OutOfStock(OrderError):
    def __init__(self, product: Product, wanted: int) -> None:
        left = f"only {product.stock} left" if product.stock else "sold out"
        super().__init__(f"{product.name}: {left}, {wanted} wanted. Nothing was ordered.")
        self.product_id = product.id


class OrderLine(BaseModel):
    """So many of one product (a value: immutable, compared by content)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    product_id: str = Field(pattern=SLUG)
    quantity: int = Field(gt=0, le=1000)


class Product(SQLEntity, table=True, versioned=True):
    """A product on sale. Versioned: two orders that read the same stock cannot both
    write it (the second save raises ``ConcurrencyError`` and its command is retried)."""

    name: str
    price_cents: int
    stock: int = 0

    def take(self, quantity: int) -> None:
        """Take *quantity* from the stock; never oversells."""
        if quantity <= 0:
            raise OrderError(f"{self.name}: order at least one.")
        if quantity > self.stock:
            raise OutOfStock(self, quantity)
        self.stock -= quantity


class Order(Entity):
    """A placed order: what was bought, at which prices, by whom."""

    _persistence_backend_class = SQLModelBackend  # a JSON document in SQL

    email: str
    lines: list[OrderLine]
    total_cents: int

    @property
    def items(self) -> int:
        return sum(line.quantity for line in self.lines)


class SalesCounter(Entity, versioned=True):
    """Orders and items sold so far: a projection kept up to date by the OrderPlaced
    handler, read by the page."""

    _persistence_backend_class = SQLModelBackend

    orders: int = 0
    items: int = 0
    revenue_cents: int = 0

    def add_sale(self, items: int, total_cents: int) -> None:
        self.orders += 1
        self.items += items
        self.revenue_cents += total_cents
