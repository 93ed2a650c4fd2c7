"""Backend-neutral queries: a filter, an ordering and a window.

A :class:`Query` is plain data that every repository understands through
:meth:`Repository.find <nitro.persistence.Repository.find>` and
:meth:`Repository.count <nitro.persistence.Repository.count>`: SQL turns it into
``WHERE``/``ORDER BY``/``LIMIT``/``OFFSET``, while memory-like backends call
:meth:`Query.apply`. Results are always ordered: by :attr:`Query.order_by` and then by
``id``, so pages never overlap or skip entities.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from nitro.persistence.errors import InvalidQuery
from nitro.specification import (
    AndSpecification,
    FieldEquals,
    NotSpecification,
    OrSpecification,
    Specification,
)

__all__ = ["Query", "check_ttl", "values_predicate"]

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Query:
    """What to list: entities satisfying :attr:`where`, sorted by :attr:`order_by`
    (``"price"`` ascending, ``"-price"`` descending; ``id`` breaks ties), skipping
    :attr:`offset` and returning at most :attr:`limit` (``None``: no limit)."""

    where: Specification[Any] | None = None
    order_by: tuple[str, ...] = ()
    limit: int | None = None
    offset: int = 0

    def __post_init__(self) -> None:
        if self.where is not None and not isinstance(self.where, Specification):
            raise TypeError(
                f"Query.where must be a Specification or None, got {type(self.where).__name__}"
            )
        if isinstance(self.order_by, str) or not all(
            isinstance(key, str) and key.lstrip("-") for key in self.order_by
        ):
            raise InvalidQuery(
                f"order_by must be a tuple of field names such as ('-price', 'name'), "
                f"got {self.order_by!r}"
            )
        if self.limit is not None and (
            type(self.limit) is not int or self.limit < 0  # bool is not a limit
        ):
            raise InvalidQuery(f"limit must be None or an int >= 0, got {self.limit!r}")
        if type(self.offset) is not int or self.offset < 0:
            raise InvalidQuery(f"offset must be an int >= 0, got {self.offset!r}")

    def sort_keys(self) -> list[tuple[str, bool]]:
        """``[(field, descending), ...]`` including the final ``id`` tie-breaker."""
        keys = [(key.lstrip("-"), key.startswith("-")) for key in self.order_by]
        if all(name != "id" for name, _ in keys):
            keys.append(("id", False))
        return keys

    def field_names(self) -> set[str]:
        """Every field this query refers to (in ``FieldEquals`` and ``order_by``)."""
        names = {name for name, _ in self.sort_keys()}
        if self.where is not None:
            names.update(spec.field for spec in _walk(self.where) if isinstance(spec, FieldEquals))
        return names

    def check_fields(self, entity_cls: type[Any]) -> None:
        """Raise :class:`InvalidQuery` naming any field *entity_cls* does not have."""
        known = entity_cls.__pydantic_fields__
        unknown = sorted(name for name in self.field_names() if name not in known)
        if unknown:
            raise InvalidQuery(
                f"{', '.join(map(repr, unknown))} "
                f"{'is not a field' if len(unknown) == 1 else 'are not fields'} of "
                f"{entity_cls.__name__}; its fields are: {', '.join(known)}"
            )

    def matches(self, candidate: Any) -> bool:
        return self.where is None or self.where.is_satisfied_by(candidate)

    def select(self, candidates: Iterable[T]) -> list[T]:
        """The candidates satisfying :attr:`where`."""
        where = self.where
        return list(candidates) if where is None else [c for c in candidates if where(c)]

    def order(self, items: list[T], get: Callable[[Any, str], Any] = getattr) -> list[T]:
        """Sort *items* in place by :meth:`sort_keys`; *get* reads a field of an item
        (``getattr`` for entities, ``operator.getitem`` for dicts of field values)."""
        for name, descending in reversed(self.sort_keys()):
            items.sort(key=_key_function(name, get), reverse=descending)
        return items

    def window(self, items: list[T]) -> list[T]:
        """Apply :attr:`offset` and :attr:`limit`."""
        if not self.offset and self.limit is None:
            return items
        end = None if self.limit is None else self.offset + self.limit
        return items[self.offset : end]

    def apply(self, candidates: Iterable[T], *, window: bool = True) -> list[T]:
        """Evaluate the query in memory: filter, sort and (if *window*) slice."""
        items = self.order(self.select(candidates))
        return self.window(items) if window else items


def values_predicate(spec: Specification[Any]) -> Callable[[Mapping[str, Any]], bool] | None:
    """Compile a structural specification into a test on a mapping of field values.

    Returns ``None`` when *spec* contains a specification that only an entity can
    answer (a custom ``is_satisfied_by``); stores then build entities to evaluate it.
    """
    kind = type(spec)
    if kind is FieldEquals:
        field, value = spec.field, spec.value  # type: ignore[attr-defined]
        return lambda values: bool(values[field] == value)
    if kind is NotSpecification:
        inner = values_predicate(spec.spec)  # type: ignore[attr-defined]
        return None if inner is None else (lambda values: not inner(values))
    if kind is AndSpecification or kind is OrSpecification:
        parts = [values_predicate(child) for child in spec.specs]  # type: ignore[attr-defined]
        if any(part is None for part in parts):
            return None
        checks = tuple(part for part in parts if part is not None)
        if kind is AndSpecification:
            return lambda values: all(check(values) for check in checks)
        return lambda values: any(check(values) for check in checks)
    return None


def _key_function(name: str, get: Callable[[Any, str], Any]) -> Callable[[Any], tuple[bool, Any]]:
    def key(item: Any) -> tuple[bool, Any]:
        value = get(item, name)
        # None sorts after every value (ascending), like SQL's NULLS LAST.
        return (True, 0) if value is None else (False, value)

    return key


def _walk(spec: Specification[Any]) -> Iterator[Specification[Any]]:
    yield spec
    if isinstance(spec, AndSpecification | OrSpecification):
        for child in spec.specs:
            yield from _walk(child)
    elif isinstance(spec, NotSpecification):
        yield from _walk(spec.spec)


def check_ttl(ttl: object) -> float | None:
    """Validate a TTL in seconds: ``None`` (no expiry) or a number > 0.

    Raises :class:`TypeError`/:class:`ValueError` naming the bad value.
    """
    if ttl is None:
        return None
    if isinstance(ttl, bool) or not isinstance(ttl, int | float):
        raise TypeError(f"ttl must be a number of seconds or None, got {type(ttl).__name__}")
    if not ttl > 0 or ttl != ttl or ttl == float("inf"):
        raise ValueError(f"ttl must be a positive, finite number of seconds, got {ttl!r}")
    return float(ttl)
