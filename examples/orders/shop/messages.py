"""What the shop can be asked to do (commands), asked (queries), and what it tells
(events). Data only, validated when built."""

from __future__ import annotations

from pydantic import Field, field_validator

from nitro.cqrs import Command, Event, Query
from nitro.ids import new_id
from shop.domain import SLUG, OrderLine, Product, SalesCounter

#: Enough to catch a typo; the mail server has the last word.
EMAIL = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"


class AddProduct(Command):
    product_id: str = Field(pattern=SLUG)
    name: str = Field(min_length=1, max_length=100)
    price_cents: int = Field(ge=0)
    stock: int = Field(ge=0)


class PlaceOrder(Command):
    """Buy several products at once: all of them, or nothing."""

    order_id: str = Field(default_factory=new_id)
    email: str = Field(pattern=EMAIL, max_length=254)
    lines: list[OrderLine] = Field(min_length=1, max_length=50)

    @field_validator("lines")
    @classmethod
    def _one_line_per_product(cls, lines: list[OrderLine]) -> list[OrderLine]:
        seen: set[str] = set()
        for line in lines:
            if line.product_id in seen:
                raise ValueError(f"{line.product_id!r} is on two lines; put it on one")
            seen.add(line.product_id)
        return lines


class GetProducts(Query[list[Product]]):
    """Every product, by name."""


class GetStock(Query[dict[str, int]]):
    """The stock of every product, by id."""


class GetSales(Query[SalesCounter]):
    """The sales counter (zero before the first order)."""


class OrderPlaced(Event):
    order_id: str
    email: str
    lines: list[OrderLine]
    total_cents: int
