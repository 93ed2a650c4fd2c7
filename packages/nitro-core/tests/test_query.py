"""nitro.persistence.query: Query validation, in-memory evaluation, check_ttl."""

from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nitro import Entity, FieldEquals
from nitro.persistence import InvalidQuery, Query, check_ttl
from nitro.persistence.query import values_predicate
from nitro.specification import PredicateSpecification, Specification


@dataclass
class Row:
    id: str
    name: str | None
    score: int


ROWS = [Row("3", "c", 1), Row("1", None, 2), Row("2", "a", 1), Row("4", "b", 2)]


def test_default_order_is_by_id() -> None:
    assert [r.id for r in Query().apply(ROWS)] == ["1", "2", "3", "4"]


def test_order_by_with_id_tie_breaker_and_descending() -> None:
    assert [r.id for r in Query(order_by=("score",)).apply(ROWS)] == ["2", "3", "1", "4"]
    assert [r.id for r in Query(order_by=("-score",)).apply(ROWS)] == ["1", "4", "2", "3"]
    assert Query(order_by=("-score",)).sort_keys() == [("score", True), ("id", False)]
    assert Query(order_by=("-id",)).sort_keys() == [("id", True)]


def test_none_sorts_last_ascending() -> None:
    assert [r.name for r in Query(order_by=("name",)).apply(ROWS)] == ["a", "b", "c", None]


def test_filter_then_window() -> None:
    query = Query(where=FieldEquals("score", 1), order_by=("name",), limit=1, offset=1)
    assert [r.id for r in query.apply(ROWS)] == ["3"]
    assert [r.id for r in query.apply(ROWS, window=False)] == ["2", "3"]
    assert Query(limit=0).apply(ROWS) == []


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"limit": -1}, "limit must be None or an int >= 0, got -1"),
        ({"limit": True}, "limit must be None or an int >= 0, got True"),
        ({"offset": -2}, "offset must be an int >= 0, got -2"),
        ({"offset": 1.5}, "offset must be an int >= 0, got 1.5"),
        ({"order_by": "name"}, "order_by must be a tuple of field names"),
        ({"order_by": ("-",)}, "order_by must be a tuple of field names"),
    ],
)
def test_bad_query_values_are_named(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidQuery, match=message.replace("(", r"\(")):
        Query(**kwargs)  # type: ignore[arg-type]


def test_where_must_be_a_specification() -> None:
    with pytest.raises(TypeError, match=r"Query\.where must be a Specification or None, got dict"):
        Query(where={"a": 1})  # type: ignore[arg-type]


def test_check_fields_walks_nested_specs() -> None:
    class Item(Entity):
        name: str = ""

    nested = ~(FieldEquals("name", "x") | FieldEquals("colour", "red"))
    with pytest.raises(
        InvalidQuery, match="'colour' is not a field of Item; its fields are: id, name"
    ):
        Query(where=nested).check_fields(Item)
    Query(where=FieldEquals("name", "x"), order_by=("-name",)).check_fields(Item)


@pytest.mark.parametrize(("ttl", "expected"), [(None, None), (1, 1.0), (0.5, 0.5)])
def test_check_ttl_accepts(ttl: float | None, expected: float | None) -> None:
    assert check_ttl(ttl) == expected


@pytest.mark.parametrize(
    ("ttl", "error", "message"),
    [
        (0, ValueError, "got 0"),
        (-3, ValueError, "got -3"),
        (float("inf"), ValueError, "got inf"),
        ("5", TypeError, "got str"),
        (True, TypeError, "got bool"),
    ],
)
def test_check_ttl_rejects(ttl: object, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        check_ttl(ttl)


# -- values_predicate: structural specs evaluated on stored field values --------------

leaf = st.builds(FieldEquals, st.sampled_from(["a", "b"]), st.integers(0, 2))
specs = st.recursive(
    leaf,
    lambda children: st.one_of(
        st.builds(lambda x, y: x & y, children, children),
        st.builds(lambda x, y: x | y, children, children),
        st.builds(lambda x: ~x, children),
    ),
    max_leaves=6,
)
rows = st.fixed_dictionaries({"a": st.integers(0, 2), "b": st.integers(0, 2)})


@given(specs, rows)
def test_values_predicate_agrees_with_is_satisfied_by(
    spec: Specification[object], row: dict[str, int]
) -> None:
    predicate = values_predicate(spec)
    assert predicate is not None
    assert predicate(row) == spec.is_satisfied_by(SimpleNamespace(**row))


def test_values_predicate_declines_custom_specifications() -> None:
    custom = PredicateSpecification(lambda row: True)
    assert values_predicate(custom) is None
    assert values_predicate(FieldEquals("a", 1) & ~custom) is None
    assert values_predicate(FieldEquals("a", 1) | FieldEquals("b", 2)) is not None
