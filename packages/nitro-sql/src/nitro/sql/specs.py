"""Specifications in SQL.

A :class:`nitro.Specification` becomes part of the ``WHERE`` clause when it can say
what it means in SQL:

* the structural ones from nitro-core: :class:`~nitro.FieldEquals` (``filter(done=False)``)
  and ``&``/``|``/``~`` combinations of translatable specifications;
* any specification with a ``to_sql(entity_cls)`` method returning a SQLAlchemy
  boolean expression (or ``None`` when it cannot, for that class)::

      class InStock(Specification[Product]):
          def is_satisfied_by(self, product: Product) -> bool:
              return product.stock > 0

          def to_sql(self, model: type[Product]) -> ColumnElement[bool]:
              return model.stock > 0

Whatever cannot be translated is evaluated in memory on the rows the SQL part
returned, and a warning names it on the ``nitro.sql`` logger: correct, but it reads
more rows than needed. In an ``&`` the translatable parts still go to SQL.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, Protocol, runtime_checkable

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from nitro.specification import (
    AndSpecification,
    FieldEquals,
    NotSpecification,
    OrSpecification,
    Specification,
)

__all__ = ["SQLTranslatable", "split", "to_sql", "warn_in_memory"]

logger = logging.getLogger("nitro.sql")

#: ``(field, value) -> condition``, or ``None`` when the field cannot be compared in SQL.
EqualsSQL = Callable[[str, Any], "ColumnElement[bool] | None"]


@runtime_checkable
class SQLTranslatable(Protocol):
    """A specification that can express itself in SQL."""

    def to_sql(self, entity_cls: type[Any]) -> ColumnElement[bool] | None: ...


def to_sql(
    spec: Specification[Any], entity_cls: type[Any], equals: EqualsSQL, *, columns: bool
) -> ColumnElement[bool] | None:
    """The whole of *spec* as one SQL condition, or ``None`` if any part cannot be.

    *columns* says whether *entity_cls* has real columns (``to_sql`` methods are only
    asked then: a JSON-document table has none).
    """
    if isinstance(spec, FieldEquals):
        return equals(spec.field, spec.value)
    if isinstance(spec, AndSpecification | OrSpecification):
        parts = [to_sql(child, entity_cls, equals, columns=columns) for child in spec.specs]
        if any(part is None for part in parts):
            return None
        combine = sa.and_ if isinstance(spec, AndSpecification) else sa.or_
        return combine(*parts)  # type: ignore[arg-type]
    if isinstance(spec, NotSpecification):
        inner = to_sql(spec.spec, entity_cls, equals, columns=columns)
        return None if inner is None else sa.not_(inner)
    if columns and isinstance(spec, SQLTranslatable):
        expression = spec.to_sql(entity_cls)
        if expression is None or expression is NotImplemented:
            return None
        return expression
    return None


def split(
    spec: Specification[Any] | None,
    entity_cls: type[Any],
    equals: EqualsSQL,
    *,
    columns: bool,
) -> tuple[list[ColumnElement[bool]], Specification[Any] | None]:
    """``(conditions, rest)``: rows must satisfy every SQL condition, then *rest* in memory.

    The parts of a top-level ``&`` are split one by one, so ``InStock() &
    Untranslatable()`` still filters on stock in SQL.
    """
    if spec is None:
        return [], None
    parts = spec.specs if isinstance(spec, AndSpecification) else (spec,)
    conditions: list[ColumnElement[bool]] = []
    rest: list[Specification[Any]] = []
    for part in parts:
        expression = to_sql(part, entity_cls, equals, columns=columns)
        if expression is None:
            rest.append(part)
        else:
            conditions.append(expression)
    if not rest:
        return conditions, None
    return conditions, rest[0] if len(rest) == 1 else AndSpecification(*rest)


def warn_in_memory(entity_cls: type[Any], rest: Specification[Any]) -> None:
    """Log that part of a query's specification has no SQL form and is evaluated in memory, since
    that reads more rows than asked."""
    logger.warning(
        "%s: %r has no SQL form (give it a to_sql(entity_cls) method); it is evaluated in "
        "memory on the rows the SQL part of the query returns",
        entity_cls.__name__,
        rest,
    )
