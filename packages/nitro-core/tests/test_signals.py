"""Datastar signals: entity.signals, JSON safety, references, data_signals."""

from __future__ import annotations

import datetime as dt
import enum
import json
import uuid
from decimal import Decimal
from typing import ClassVar

import pytest
from pydantic import BaseModel, Field

from nitro import Entity
from nitro.signals import data_signals, json_safe, signal_path, signal_ref, signals_namespace


class Colour(enum.Enum):
    RED = "red"


class Size(enum.IntEnum):
    L = 3


class Dimensions(BaseModel):
    width: Decimal
    height: Decimal


class Product(Entity):
    name: str = "chair"
    price: Decimal = Decimal("19.90")
    released: dt.date = dt.date(2024, 5, 1)
    updated: dt.datetime = dt.datetime(2024, 5, 1, 12, 30, tzinfo=dt.UTC)
    sku: uuid.UUID = uuid.UUID("12345678-1234-5678-1234-567812345678")
    colour: Colour = Colour.RED
    size: Size = Size.L
    tags: set[str] = {"new"}
    dims: Dimensions = Dimensions(width=Decimal("1.5"), height=Decimal("2"))
    secret: str = Field(default="hidden", exclude=True)
    _cache: dict[str, int] = {}


def test_entity_signals_are_namespaced_and_json_safe() -> None:
    product = Product(id="p1")
    product._cache["x"] = 1
    assert product.signals == {
        "Product": {
            "id": "p1",
            "name": "chair",
            "price": "19.90",
            "released": "2024-05-01",
            "updated": "2024-05-01T12:30:00Z",
            "sku": "12345678-1234-5678-1234-567812345678",
            "colour": "red",
            "size": 3,
            "tags": ["new"],
            "dims": {"width": "1.5", "height": "2"},
        }
    }
    # round-trips through JSON unchanged: nothing in it needs a custom encoder
    assert json.loads(json.dumps(product.signals)) == product.signals


def test_counter_signals_match_the_contract() -> None:
    class Counter(Entity):
        count: int = 0

    counter = Counter()
    assert counter.signals == {"Counter": {"id": counter.id, "count": 0}}
    assert Counter.count_signal == "$Counter.count"


def test_signals_reflect_the_current_state() -> None:
    product = Product()
    product.name = "table"
    assert product.signals["Product"]["name"] == "table"


def test_custom_namespace() -> None:
    class Cart(Entity):
        _signals_namespace: ClassVar[str | None] = "cart"
        items: int = 0

    assert Cart().signals.keys() == {"cart"}
    assert Cart.items_signal == "$cart.items"
    assert signals_namespace(Cart) == "cart"


def test_signal_helpers() -> None:
    assert signal_path(Product, "price") == "Product.price"
    assert signal_ref(Product, "price") == "$Product.price"
    with pytest.raises(
        AttributeError, match="'cost' is not a field of Product; its fields are: id"
    ):
        signal_ref(Product, "cost")


def test_json_safe_converts_and_names_what_it_cannot() -> None:
    assert json_safe({"when": dt.time(8, 0), "d": Decimal("1.10"), "c": Colour.RED}) == {
        "when": "08:00:00",
        "d": "1.10",
        "c": "red",
    }
    assert json_safe((1, 2)) == [1, 2]
    with pytest.raises(TypeError, match="cannot convert object to a JSON signal value"):
        json_safe(object())


def test_data_signals_merges_entities_and_extra_signals() -> None:
    class Counter(Entity):
        count: int = 0

    counter = Counter(id="c1", count=2)
    product = Product(id="p1")
    payload = json.loads(data_signals(counter, product, loading=False, at=dt.date(2024, 1, 1)))
    assert payload["Counter"] == {"id": "c1", "count": 2}
    assert payload["Product"]["price"] == "19.90"
    assert payload["loading"] is False
    assert payload["at"] == "2024-01-01"


def test_non_finite_floats_and_binary_bytes_stay_json_safe() -> None:
    class Reading(Entity):
        value: float = float("nan")
        peak: float = float("inf")
        raw: bytes = b"\xff\x00"

    reading = Reading(id="r1")
    assert reading.signals == {"Reading": {"id": "r1", "value": None, "peak": None, "raw": "_wA="}}
    json.loads(json.dumps(reading.signals, allow_nan=False))
    assert json_safe({"n": float("-inf"), "b": b"\xff"}) == {"n": None, "b": "_w=="}


def test_bytes_round_trip_through_json() -> None:
    class Blob(Entity):
        data: bytes = b""

    blob = Blob(data=b"\x00\xff binary")
    assert Blob.model_validate_json(blob.model_dump_json()) == blob


def test_nan_is_null_in_data_signals_and_sse_too() -> None:
    from nitro.actions import sse

    class Gauge(Entity):
        level: float = float("nan")

    gauge = Gauge(id="g1")
    assert json.loads(data_signals(gauge)) == {"Gauge": {"id": "g1", "level": None}}
    event = sse.patch_signals(gauge.signals)
    assert "NaN" not in event
    assert '"level":null' in event
