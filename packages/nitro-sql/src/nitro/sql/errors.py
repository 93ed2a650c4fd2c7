"""Errors of nitro-sql; all derive from :class:`nitro.persistence.PersistenceError`.

Database driver errors are translated at the repository boundary so that callers (and
the web adapters, which map Nitro errors to status codes) never have to know
SQLAlchemy's exception hierarchy. The original error stays available as ``__cause__``.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.exc import IntegrityError

from nitro.persistence import PersistenceError

__all__ = [
    "ConstraintViolation",
    "DuplicateId",
    "MultipleResults",
    "NoResult",
    "constraint_violation",
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
