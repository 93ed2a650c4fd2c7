"""Specifications: business rules as composable, named objects.

A :class:`Specification` answers one question about a candidate object through
:meth:`~Specification.is_satisfied_by`. Specifications compose with ``&`` (both), ``|``
(either) and ``~`` (not), and any entity query accepts one::

    class InStock(Specification["Product"]):
        def is_satisfied_by(self, candidate: Product) -> bool:
            return candidate.stock > 0


    class Affordable(Specification["Product"]):
        def __init__(self, limit: float) -> None:
            self.limit = limit

        def is_satisfied_by(self, candidate: Product) -> bool:
            return candidate.price <= self.limit


    Product.filter(InStock() & Affordable(100))

Repositories that cannot evaluate Python (SQL, Redis) translate the structural
specifications they understand (:class:`FieldEquals`, :class:`AndSpecification`,
:class:`OrSpecification`, :class:`NotSpecification`) and may evaluate the rest in
memory. :class:`~nitro.persistence.MemoryRepo` calls ``is_satisfied_by`` directly.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any, Generic, TypeVar

__all__ = [
    "AndSpecification",
    "FieldEquals",
    "NotSpecification",
    "OrSpecification",
    "PredicateSpecification",
    "Specification",
    "where",
]

T = TypeVar("T")


class Specification(ABC, Generic[T]):
    """A business rule that a candidate object satisfies or not."""

    __slots__ = ()

    @abstractmethod
    def is_satisfied_by(self, candidate: T) -> bool:
        """Return ``True`` when *candidate* satisfies this rule."""

    def __call__(self, candidate: T) -> bool:
        return self.is_satisfied_by(candidate)

    def __and__(self, other: Specification[T]) -> Specification[T]:
        if not isinstance(other, Specification):
            return NotImplemented
        return AndSpecification(self, other)

    def __or__(self, other: Specification[T]) -> Specification[T]:
        if not isinstance(other, Specification):
            return NotImplemented
        return OrSpecification(self, other)

    def __invert__(self) -> Specification[T]:
        return NotSpecification(self)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class AndSpecification(Specification[T]):
    """Satisfied when every one of :attr:`specs` is (evaluated left to right, lazily)."""

    __slots__ = ("specs",)

    def __init__(self, *specs: Specification[T]) -> None:
        flat: list[Specification[T]] = []
        for spec in specs:
            _check_spec(spec, "AndSpecification")
            # (a & b) & c is stored flat, which keeps translated SQL shallow.
            flat.extend(spec.specs if isinstance(spec, AndSpecification) else (spec,))
        self.specs: tuple[Specification[T], ...] = tuple(flat)

    def is_satisfied_by(self, candidate: T) -> bool:
        return all(spec.is_satisfied_by(candidate) for spec in self.specs)

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other.specs == self.specs

    def __hash__(self) -> int:
        return hash((type(self), self.specs))

    def __repr__(self) -> str:
        return "(" + " & ".join(map(repr, self.specs)) + ")"


class OrSpecification(Specification[T]):
    """Satisfied when at least one of :attr:`specs` is (evaluated left to right, lazily)."""

    __slots__ = ("specs",)

    def __init__(self, *specs: Specification[T]) -> None:
        flat: list[Specification[T]] = []
        for spec in specs:
            _check_spec(spec, "OrSpecification")
            flat.extend(spec.specs if isinstance(spec, OrSpecification) else (spec,))
        self.specs: tuple[Specification[T], ...] = tuple(flat)

    def is_satisfied_by(self, candidate: T) -> bool:
        return any(spec.is_satisfied_by(candidate) for spec in self.specs)

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other.specs == self.specs

    def __hash__(self) -> int:
        return hash((type(self), self.specs))

    def __repr__(self) -> str:
        return "(" + " | ".join(map(repr, self.specs)) + ")"


class NotSpecification(Specification[T]):
    """Satisfied when :attr:`spec` is not."""

    __slots__ = ("spec",)

    def __init__(self, spec: Specification[T]) -> None:
        _check_spec(spec, "NotSpecification")
        self.spec = spec

    def is_satisfied_by(self, candidate: T) -> bool:
        return not self.spec.is_satisfied_by(candidate)

    def __invert__(self) -> Specification[T]:
        return self.spec

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other.spec == self.spec

    def __hash__(self) -> int:
        return hash((type(self), self.spec))

    def __repr__(self) -> str:
        return f"~{self.spec!r}"


class FieldEquals(Specification[Any]):
    """Satisfied when ``getattr(candidate, field) == value``.

    ``Entity.filter(done=False)`` builds one of these per keyword; SQL and Redis
    backends translate it to an equality condition on the column or field.
    """

    __slots__ = ("field", "value")

    def __init__(self, field: str, value: Any) -> None:
        if not isinstance(field, str) or not field:
            raise TypeError(f"FieldEquals() needs a field name (a non-empty str), got {field!r}")
        self.field = field
        self.value = value

    def is_satisfied_by(self, candidate: Any) -> bool:
        return bool(getattr(candidate, self.field) == self.value)

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other.field == self.field and other.value == self.value

    def __hash__(self) -> int:
        try:
            return hash((type(self), self.field, self.value))
        except TypeError:  # unhashable value, e.g. a list
            return hash((type(self), self.field))

    def __repr__(self) -> str:
        return f"FieldEquals({self.field!r}, {self.value!r})"


class PredicateSpecification(Specification[T]):
    """Wrap a plain function ``candidate -> bool`` as a specification.

    Handy for one-off rules; backends that translate specifications cannot translate
    these and evaluate them in memory.
    """

    __slots__ = ("name", "predicate")

    def __init__(self, predicate: Callable[[T], bool], name: str | None = None) -> None:
        if not callable(predicate):
            raise TypeError(
                f"PredicateSpecification() needs a callable, got {type(predicate).__name__}"
            )
        self.predicate = predicate
        self.name = name or getattr(predicate, "__name__", "predicate")

    def is_satisfied_by(self, candidate: T) -> bool:
        return bool(self.predicate(candidate))

    def __repr__(self) -> str:
        return f"PredicateSpecification({self.name})"


def where(**field_values: Any) -> Specification[Any] | None:
    """Turn keyword field values into one specification (``None`` when there are none).

    ``where(done=False, owner="ann")`` is ``FieldEquals("done", False) &
    FieldEquals("owner", "ann")``.
    """
    specs = [FieldEquals(name, value) for name, value in field_values.items()]
    if not specs:
        return None
    if len(specs) == 1:
        return specs[0]
    return AndSpecification(*specs)


def _check_spec(spec: object, where_: str) -> None:
    if not isinstance(spec, Specification):
        raise TypeError(f"{where_}() takes Specification objects, got {type(spec).__name__}")
