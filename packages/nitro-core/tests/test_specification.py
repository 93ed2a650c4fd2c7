"""Specification: is_satisfied_by, &, |, ~, structural specs, and the boolean laws."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nitro import FieldEquals, Specification, where
from nitro.specification import (
    AndSpecification,
    NotSpecification,
    OrSpecification,
    PredicateSpecification,
)


@dataclass
class Product:
    price: float
    stock: int


class InStock(Specification[Product]):
    def is_satisfied_by(self, candidate: Product) -> bool:
        return candidate.stock > 0


class Affordable(Specification[Product]):
    def __init__(self, limit: float) -> None:
        self.limit = limit

    def is_satisfied_by(self, candidate: Product) -> bool:
        return candidate.price <= self.limit


CHEAP_IN_STOCK = Product(price=5, stock=3)
CHEAP_SOLD_OUT = Product(price=5, stock=0)
DEAR_IN_STOCK = Product(price=500, stock=3)


def test_composition_operators() -> None:
    spec = InStock() & Affordable(100)
    assert spec.is_satisfied_by(CHEAP_IN_STOCK)
    assert not spec.is_satisfied_by(CHEAP_SOLD_OUT)
    assert not spec.is_satisfied_by(DEAR_IN_STOCK)
    either = InStock() | Affordable(100)
    assert [either(p) for p in (CHEAP_IN_STOCK, CHEAP_SOLD_OUT, DEAR_IN_STOCK)] == [True] * 3
    sold_out = ~InStock()
    assert sold_out(CHEAP_SOLD_OUT)
    assert not sold_out(CHEAP_IN_STOCK)


def test_composites_flatten_and_double_negation_unwraps() -> None:
    a, b, c = InStock(), Affordable(1), Affordable(2)
    assert isinstance(a & b & c, AndSpecification)
    assert (a & b & c).specs == (a, b, c)  # type: ignore[attr-defined]
    assert (a | b | c).specs == (a, b, c)  # type: ignore[attr-defined]
    assert ~~a is a
    assert isinstance(~a, NotSpecification)
    assert isinstance(a | b, OrSpecification)


def test_and_or_short_circuit() -> None:
    calls: list[str] = []

    def tracked(name: str, result: bool) -> PredicateSpecification[object]:
        return PredicateSpecification(lambda _: calls.append(name) or result, name=name)

    assert not (tracked("f", False) & tracked("never", True))(object())
    assert (tracked("t", True) | tracked("never", True))(object())
    assert calls == ["f", "t"]


def test_field_equals_and_where() -> None:
    assert FieldEquals("stock", 0)(CHEAP_SOLD_OUT)
    assert not FieldEquals("stock", 0)(CHEAP_IN_STOCK)
    spec = where(price=5, stock=3)
    assert spec == FieldEquals("price", 5) & FieldEquals("stock", 3)
    assert spec(CHEAP_IN_STOCK)
    assert not spec(CHEAP_SOLD_OUT)
    assert where(price=5) == FieldEquals("price", 5)
    assert where() is None


def test_structural_specs_compare_by_value_and_hash() -> None:
    assert FieldEquals("a", 1) == FieldEquals("a", 1)
    assert FieldEquals("a", 1) != FieldEquals("a", 2)
    assert hash(FieldEquals("a", [1])) == hash(FieldEquals("a", [1]))  # unhashable value
    assert {~FieldEquals("a", 1), ~FieldEquals("a", 1)} == {~FieldEquals("a", 1)}
    assert repr(FieldEquals("a", 1) & ~FieldEquals("b", 2)) == (
        "(FieldEquals('a', 1) & ~FieldEquals('b', 2))"
    )


def test_bad_operands_are_type_errors_naming_the_type() -> None:
    with pytest.raises(TypeError, match="unsupported operand"):
        InStock() & True  # type: ignore[operator]
    with pytest.raises(
        TypeError, match=r"AndSpecification\(\) takes Specification objects, got str"
    ):
        AndSpecification(InStock(), "x")  # type: ignore[arg-type]
    with pytest.raises(
        TypeError, match=r"NotSpecification\(\) takes Specification objects, got int"
    ):
        NotSpecification(1)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"FieldEquals\(\) needs a field name"):
        FieldEquals("", 1)
    with pytest.raises(TypeError, match="needs a callable, got int"):
        PredicateSpecification(3)  # type: ignore[arg-type]


def test_specification_is_abstract() -> None:
    with pytest.raises(TypeError, match="abstract"):
        Specification()  # type: ignore[abstract]


bits = st.booleans()


def const(value: bool) -> PredicateSpecification[object]:
    return PredicateSpecification(lambda _: value, name=str(value))


@given(bits, bits, bits)
def test_boolean_algebra_laws(a: bool, b: bool, c: bool) -> None:
    x = object()
    sa, sb, sc = const(a), const(b), const(c)
    assert (sa & sb)(x) == (a and b)
    assert (sa | sb)(x) == (a or b)
    assert (~sa)(x) == (not a)
    assert (~(sa & sb))(x) == (~sa | ~sb)(x)  # De Morgan
    assert (~(sa | sb))(x) == (~sa & ~sb)(x)
    assert (sa & (sb | sc))(x) == ((sa & sb) | (sa & sc))(x)  # distributivity
