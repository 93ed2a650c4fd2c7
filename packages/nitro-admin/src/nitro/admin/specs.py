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

__all__ = ["FieldAfter", "FieldBefore", "FieldContains", "FieldRange"]


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


class FieldAfter(Specification[Any]):
    """The rows after a row of a sorted list: keyset ("seek") pagination.

    Lists are sorted by *field* (descending or not) and then by ``id`` ascending, so the
    rows after the row ``(value, last_id)`` are those with a *field* beyond *value*, or
    equal to it with a greater id. Unlike ``OFFSET``, an index on *field* finds them
    without walking the skipped rows. *field* must not hold ``None``.
    """

    __slots__ = ("descending", "field", "last_id", "value")

    def __init__(self, field: str, value: Any, last_id: str, *, descending: bool = False) -> None:
        self.field = field
        self.value = value
        self.last_id = last_id
        self.descending = descending

    def is_satisfied_by(self, candidate: Any) -> bool:
        value = getattr(candidate, self.field)
        if self.field == "id":
            return bool(value < self.last_id if self.descending else value > self.last_id)
        if value is None:
            return False
        if value == self.value:
            return bool(candidate.id > self.last_id)
        return bool(value < self.value if self.descending else value > self.value)

    def to_sql(self, entity_cls: type[Any]) -> Any:
        column = getattr(entity_cls, self.field, None)
        id_column = getattr(entity_cls, "id", None)
        if column is None or id_column is None or not hasattr(column, "between"):
            return None
        if self.field == "id":
            return column < self.last_id if self.descending else column > self.last_id
        if isinstance(self.value, bool):
            # SQLAlchemy allows only = and != with True/False (``column >= True`` raises),
            # and there are two values: "beyond" is the other one, or none at all.
            later = id_column > self.last_id
            if self.value is self.descending:  # False ascending, True descending
                return (column == (not self.value)) | ((column == self.value) & later)
            return (column == self.value) & later
        # "at or beyond, and (beyond or a later id)": the same rows as "beyond, or equal
        # with a later id", written so that the first term is a range an index can seek.
        if self.descending:
            return (column <= self.value) & ((column < self.value) | (id_column > self.last_id))
        return (column >= self.value) & ((column > self.value) | (id_column > self.last_id))

    def __eq__(self, other: object) -> bool:
        return (
            type(other) is type(self)
            and isinstance(other, FieldAfter)
            and (
                other.field,
                other.value,
                other.last_id,
                other.descending,
            )
            == (self.field, self.value, self.last_id, self.descending)
        )

    def __hash__(self) -> int:
        return hash((FieldAfter, self.field, self.last_id, self.descending))

    def __repr__(self) -> str:
        order = "desc" if self.descending else "asc"
        return f"FieldAfter({self.field!r}, {self.value!r}, {self.last_id!r}, {order})"


class FieldBefore(FieldAfter):
    """The rows *before* a row of a sorted list: keyset pagination backwards, for the
    "Previous" link. Read with the ordering reversed (``-field``, ``-id``), then
    reversed again, it gives the previous page without ``OFFSET`` (see
    :class:`FieldAfter`)."""

    __slots__ = ()

    def is_satisfied_by(self, candidate: Any) -> bool:
        value = getattr(candidate, self.field)
        if self.field == "id":
            return bool(value > self.last_id if self.descending else value < self.last_id)
        if value is None:
            return False
        if value == self.value:
            return bool(candidate.id < self.last_id)
        return bool(value > self.value if self.descending else value < self.value)

    def to_sql(self, entity_cls: type[Any]) -> Any:
        column = getattr(entity_cls, self.field, None)
        id_column = getattr(entity_cls, "id", None)
        if column is None or id_column is None or not hasattr(column, "between"):
            return None
        if self.field == "id":
            return column > self.last_id if self.descending else column < self.last_id
        earlier = id_column < self.last_id
        if isinstance(self.value, bool):  # see FieldAfter.to_sql
            if self.value is (not self.descending):  # True ascending, False descending
                return (column == (not self.value)) | ((column == self.value) & earlier)
            return (column == self.value) & earlier
        if self.descending:
            return (column >= self.value) & ((column > self.value) | earlier)
        return (column <= self.value) & ((column < self.value) | earlier)

    def __eq__(self, other: object) -> bool:
        return type(other) is FieldBefore and super().__eq__(other)

    def __hash__(self) -> int:
        return hash((FieldBefore, self.field, self.last_id, self.descending))

    def __repr__(self) -> str:
        return "FieldBefore" + super().__repr__().removeprefix("FieldAfter")
