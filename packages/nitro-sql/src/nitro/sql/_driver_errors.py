"""The driver's refusals of a statement as Nitro errors, for the backend's reads and writes.

They live apart from :mod:`nitro.sql.backend` because both halves of the repository
(its writes there, its reads in :mod:`nitro.sql._reads`) wrap their statements in them.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy.exc import DataError, IntegrityError

from nitro.persistence import InvalidQuery
from nitro.sql.errors import constraint_violation


@contextmanager
def _refused_values(entity_cls: type[Any]) -> Iterator[None]:
    """A read holding a value the database cannot compare is the query's fault:
    :class:`InvalidQuery` (a 400 for web adapters), not a driver error.

    SQLite cannot bind an integer beyond 64 bits (``OverflowError``); PostgreSQL
    refuses one beyond its column (``INTEGER`` is 32-bit) and text holding U+0000
    (``DataError``). The statement was rolled back; the repository stays usable.
    """
    try:
        yield
    except OverflowError as exc:
        raise InvalidQuery(
            f"{entity_cls.__name__}: a value of the query is out of range: {exc}"
        ) from exc
    except DataError as exc:
        detail = str(exc.orig).strip().splitlines()[0] if exc.orig is not None else "bad value"
        raise InvalidQuery(
            f"{entity_cls.__name__}: the database refused a value of the query: {detail}"
        ) from exc


@contextmanager
def _translated(entity_cls: type[Any]) -> Iterator[None]:
    try:
        yield
    except IntegrityError as exc:
        raise constraint_violation(entity_cls, exc) from exc
