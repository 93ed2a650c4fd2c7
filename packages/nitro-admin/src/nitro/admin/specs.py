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

    Lists are sorted by *field* and then by ``id`` in the same direction (``price, id``
    or ``price DESC, id DESC``, so that one index on ``(price, id)`` serves both), and
    the rows after the row ``(value, last_id)`` are those with a *field* beyond
    *value*, or equal to it with an id beyond *last_id*. Unlike ``OFFSET``, an index on
    *field* finds them without walking the skipped rows. *field* must not hold
    ``None``. :class:`FieldBefore` is the same seek the other way.
    """

    __slots__ = ("descending", "field", "last_id", "value")

    #: Seek towards the start of the list (:class:`FieldBefore`) instead of its end.
    backwards = False

    def __init__(self, field: str, value: Any, last_id: str, *, descending: bool = False) -> None:
        self.field = field
        self.value = value
        self.last_id = last_id
        self.descending = descending

    @property
    def _falling(self) -> bool:
        """Whether *field* decreases in the direction of the seek."""
        return self.descending != self.backwards

    def is_satisfied_by(self, candidate: Any) -> bool:
        value = getattr(candidate, self.field)
        falling = self._falling
        if self.field == "id":
            return bool(value < self.last_id if falling else value > self.last_id)
        if value is None:
            return False
        if value == self.value:  # ties: the id moves the way the field does
            return bool(candidate.id < self.last_id if falling else candidate.id > self.last_id)
        return bool(value < self.value if falling else value > self.value)

    def to_sql(self, entity_cls: type[Any]) -> Any:
        column = getattr(entity_cls, self.field, None)
        id_column = getattr(entity_cls, "id", None)
        if column is None or id_column is None or not hasattr(column, "between"):
            return None
        falling = self._falling
        if self.field == "id":
            return column < self.last_id if falling else column > self.last_id
        # the ids that come next among rows with an equal *field* (same direction)
        further = id_column < self.last_id if falling else id_column > self.last_id
        if isinstance(self.value, bool):
            # SQLAlchemy allows only = and != with True/False (``column >= True`` raises),
            # and there are two values: "beyond" is the other one, or none at all.
            if self.value is falling:  # e.g. False seeking up, True seeking down
                return (column == (not self.value)) | ((column == self.value) & further)
            return (column == self.value) & further
        # "at or beyond, and (beyond or a further id)": the same rows as "beyond, or equal
        # with a further id", written so that the first term is a range an index can seek.
        if falling:
            return (column <= self.value) & ((column < self.value) | further)
        return (column >= self.value) & ((column > self.value) | further)

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
        return hash((type(self), self.field, self.last_id, self.descending))

    def __repr__(self) -> str:
        order = "desc" if self.descending else "asc"
        name = type(self).__name__
        return f"{name}({self.field!r}, {self.value!r}, {self.last_id!r}, {order})"


class FieldBefore(FieldAfter):
    """The rows *before* a row of a sorted list, for the "Previous" link: read with the
    list's order reversed (``-field, -id`` for ``field, id``), then turned around, they are the
    previous page, found without ``OFFSET`` (see :class:`FieldAfter`)."""

    __slots__ = ()
    backwards = True
