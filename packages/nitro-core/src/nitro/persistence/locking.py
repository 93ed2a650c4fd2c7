"""Reads that lock what they read: the first half of a read-modify-write.

An action reads its entity, changes it and saves it. Two requests doing that at once
must not both start from the same state, or the second save overwrites the first's
change. The dispatcher therefore reads the entity inside the transaction that saves it,
and inside :func:`for_update`: a backend that can lock a row until its transaction
ends (``SELECT ... FOR UPDATE`` on PostgreSQL) does so for reads made in that block,
so the second request waits for the first to commit and reads its result.
``MemoryRepo`` locks the entity in the process until its transaction (the action) ends
(:mod:`nitro.persistence.entity_locks`). Backends that cannot lock a row, or need not
(SQLite's transactions already write one at a time), ignore it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

__all__ = ["for_update", "reading_for_update"]

_for_update: ContextVar[bool] = ContextVar("nitro_for_update", default=False)


@contextmanager
def for_update() -> Iterator[None]:
    """Reads of entities in this block lock them until the surrounding transaction
    ends, where the backend can (used with ``with`` in sync and async code alike)."""
    token = _for_update.set(True)
    try:
        yield
    finally:
        _for_update.reset(token)


def reading_for_update() -> bool:
    """Whether a read made now should lock what it reads (see :func:`for_update`)."""
    return _for_update.get()
