"""Specifications the admin needs and nitro-core does not have (yet).

nitro-core's structural specifications stop at equality (:class:`~nitro.FieldEquals`).
Search needs "contains, ignoring case" and the range filters need "between"; both
are defined here as plain data with an in-memory ``is_satisfied_by``, so they work on
every repository at once (MemoryRepo evaluates them; other backends may evaluate
them in memory too). For SQL they also have a ``to_sql(entity_cls)`` method, the hook
nitro-sql asks translatable specifications for, built from the column object's own
operators (``icontains``, ``>=``), so nitro-admin imports no SQL library.
"""

from __future__ import annotations

from typing import Any

from nitro.specification import Specification

__all__ = ["FieldContains", "FieldRange"]


class FieldContains(Specification[Any]):
    """``text`` occurs in ``str(getattr(candidate, field))``, ignoring case."""

    __slots__ = ("field", "text")

    def __init__(self, field: str, text: str) -> None:
        self.field = field
        self.text = text

    def is_satisfied_by(self, candidate: Any) -> bool:
        value = getattr(candidate, self.field)
        return value is not None and self.text.casefold() in str(value).casefold()

    def to_sql(self, entity_cls: type[Any]) -> Any:
        """``lower(column) LIKE '%text%'`` for SQL backends that ask (nitro-sql does).

        Duck-typed on the column object, so nitro-admin imports no SQL library.
        """
        column = getattr(entity_cls, self.field, None)
        icontains = getattr(column, "icontains", None)
        return None if icontains is None else icontains(self.text, autoescape=True)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, FieldContains) and (other.field, other.text) == (
            self.field,
            self.text,
        )

    def __hash__(self) -> int:
        return hash((FieldContains, self.field, self.text))

    def __repr__(self) -> str:
        return f"FieldContains({self.field!r}, {self.text!r})"


class FieldRange(Specification[Any]):
    """``low <= getattr(candidate, field) <= high``; either bound may be ``None``.

    ``None`` field values never match, like SQL comparisons with NULL.
    """

    __slots__ = ("field", "high", "low")

    def __init__(self, field: str, low: Any = None, high: Any = None) -> None:
        if low is None and high is None:
            raise ValueError("FieldRange needs a low or a high bound")
        self.field = field
        self.low = low
        self.high = high

    def is_satisfied_by(self, candidate: Any) -> bool:
        value = getattr(candidate, self.field)
        if value is None:
            return False
        if self.low is not None and value < self.low:
            return False
        return self.high is None or value <= self.high

    def to_sql(self, entity_cls: type[Any]) -> Any:
        """``column >= low AND column <= high`` for SQL backends that ask."""
        column = getattr(entity_cls, self.field, None)
        if column is None or not hasattr(column, "between"):
            return None
        if self.low is not None and self.high is not None:
            return (column >= self.low) & (column <= self.high)
        return column >= self.low if self.low is not None else column <= self.high

    def __eq__(self, other: object) -> bool:
        return isinstance(other, FieldRange) and (other.field, other.low, other.high) == (
            self.field,
            self.low,
            self.high,
        )

    def __hash__(self) -> int:
        return hash((FieldRange, self.field, self.low, self.high))

    def __repr__(self) -> str:
        return f"FieldRange({self.field!r}, low={self.low!r}, high={self.high!r})"
