"""Typed persistence errors.

Every error a repository raises on purpose derives from :class:`PersistenceError`, so
web adapters can map them to status codes (``NotFound`` -> 404,
``ConcurrencyError`` -> 409, ``BackendUnavailable`` -> 503, ``InvalidQuery`` -> 400)
without knowing the backend.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "BackendUnavailable",
    "ConcurrencyError",
    "InvalidQuery",
    "NotFound",
    "PersistenceError",
    "UnsupportedOperation",
]


class PersistenceError(Exception):
    """Base class of the errors raised by repositories."""


class NotFound(PersistenceError, LookupError):
    """No entity of :attr:`entity_cls` has the id :attr:`entity_id`."""

    def __init__(self, entity_cls: type[Any], entity_id: str) -> None:
        self.entity_cls = entity_cls
        self.entity_id = entity_id
        super().__init__(f"{entity_cls.__name__} with id {entity_id!r} was not found")


class BackendUnavailable(PersistenceError):
    """The storage behind a repository cannot be reached (connection refused, file
    system gone, ...). Backends raise it from the underlying error, which stays
    available as ``__cause__``."""


class ConcurrencyError(PersistenceError):
    """A concurrent change was detected and the operation was not applied (for example
    an optimistic-lock version mismatch, or a Redis ``WATCH`` that fired). Retrying
    with fresh data is usually the fix.

    Raised by every repository when a versioned entity (``class Order(Entity,
    versioned=True)``) is saved from a stale copy; then :attr:`entity_cls`,
    :attr:`entity_id`, :attr:`expected` (the copy's version) and :attr:`found` (the
    stored version, ``None`` when nothing is stored) say what clashed.
    """

    def __init__(
        self,
        message: str = "a concurrent change was detected",
        *,
        entity_cls: type[Any] | None = None,
        entity_id: str | None = None,
        expected: int | None = None,
        found: int | None = None,
    ) -> None:
        self.entity_cls = entity_cls
        self.entity_id = entity_id
        self.expected = expected
        self.found = found
        super().__init__(message)


class InvalidQuery(PersistenceError, ValueError):
    """A query names a field the entity does not have, or has a bad limit/offset/order."""


class UnsupportedOperation(PersistenceError, NotImplementedError):
    """The backend does not support this operation (e.g. TTL on a backend without expiry)."""
