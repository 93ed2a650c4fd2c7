"""Errors of nitro-sql; all derive from :class:`nitro.persistence.PersistenceError`.

Database driver errors are translated at the repository boundary so that callers (and
the web adapters, which map Nitro errors to status codes) never have to know
SQLAlchemy's exception hierarchy. The original error stays available as ``__cause__``.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy.exc import DBAPIError, IntegrityError

from nitro.persistence import PersistenceError

__all__ = [
    "ConstraintViolation",
    "DuplicateId",
    "MultipleResults",
    "NoResult",
    "SchemaMismatch",
    "constraint_violation",
    "schema_mismatch",
]


class ConstraintViolation(PersistenceError, ValueError):
    """The database refused a write: a unique, foreign-key, not-null or check
    constraint. The statement was rolled back; the session stays usable."""


class DuplicateId(ConstraintViolation):
    """An insert-only operation (``repository.insert()``, ``uow.<name>.add()``) met an
    entity that is already stored with the same id."""

    def __init__(self, entity_cls: type[Any], entity_id: str) -> None:
        self.entity_cls = entity_cls
        self.entity_id = entity_id
        super().__init__(
            f"{entity_cls.__name__} with id {entity_id!r} already exists; "
            "use save() to replace it or give the new entity another id"
        )


def constraint_violation(entity_cls: type[Any], exc: IntegrityError) -> ConstraintViolation:
    """The :class:`ConstraintViolation` for a write of *entity_cls* the database refused."""
    detail = str(exc.orig).strip().splitlines()[0] if exc.orig is not None else str(exc)
    return ConstraintViolation(f"{entity_cls.__name__}: the database refused the write: {detail}")


class NoResult(PersistenceError, LookupError):
    """``query.one()`` found nothing."""


class MultipleResults(PersistenceError, LookupError):
    """``query.one()`` found more than one entity."""


class SchemaMismatch(PersistenceError):
    """The database's table lacks a column the model has: the models changed and the
    database was not migrated. The message names the table and the column and says
    what to run."""

    def __init__(self, entity_cls: type[Any], table: str, column: str | None) -> None:
        self.entity_cls = entity_cls
        self.table = table
        #: The missing column, ``None`` when the whole table is missing.
        self.column = column
        what = "it" if column is None else "the column"
        missing = (
            f"the table {table!r} does not exist, and {entity_cls.__name__} needs it"
            if column is None
            else f"the table {table!r} has no column {column!r}, which {entity_cls.__name__} needs"
        )
        super().__init__(
            f"{missing}: the database is behind the models. Run 'nitro migrate' (after "
            f"'nitro db revision --autogenerate -m ...' if no revision adds {what} yet)"
        )


# What SQLite and PostgreSQL say about a column a statement names and the table lacks:
# (pattern, group of the table or None, group of the column).
_MISSING_COLUMN = (
    (re.compile(r"no such column: (?:\w+\.)?(\w+)"), None, 1),  # SQLite, reads
    (re.compile(r"table \W?(\w+)\W? has no column named (\w+)"), 1, 2),  # SQLite, writes
    (re.compile(r'column "(\w+)" of relation "(\w+)" does not exist'), 2, 1),  # PostgreSQL
    (re.compile(r'column "?(?:\w+\.)?(\w+)"? does not exist'), None, 1),  # PostgreSQL
)


# SQLite, PostgreSQL: a table a statement names and the database lacks (a database
# whose schema is the migrations', never migrated).
_MISSING_TABLE = re.compile(
    r'no such table: (?:\w+\.)?(\w+)|relation "(?:\w+\.)?(\w+)" does not exist'
)


def schema_mismatch(entity_cls: type[Any], table: str, exc: BaseException) -> SchemaMismatch | None:
    """The :class:`SchemaMismatch` a driver error means, or ``None`` if it means
    something else."""
    if not isinstance(exc, DBAPIError) or isinstance(exc, IntegrityError):
        return None
    text = str(exc.orig)
    for pattern, table_group, column_group in _MISSING_COLUMN:
        found = pattern.search(text)
        if found:
            named = found.group(table_group) if table_group is not None else table
            return SchemaMismatch(entity_cls, named, found.group(column_group))
    found = _MISSING_TABLE.search(text)
    if found:
        return SchemaMismatch(entity_cls, found.group(1) or found.group(2), None)
    return None
