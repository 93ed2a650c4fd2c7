"""The SQL unit of work: one database transaction around several operations.

.. code-block:: python

    with UnitOfWork() as uow:
        uow.repo(Order).save(order)
        product.reduce_stock(2)
        product.save()  # joins the active unit
        uow.publish(order_placed, order)  # sent after the commit succeeded
        uow.commit()

    async with AsyncUnitOfWork() as uow:  # ``async with UnitOfWork()`` enters one too
        await uow.repo(Order).save(order)
        await uow.commit()

Leaving the block without ``commit()``, or with an exception, rolls everything back.
A unit opened inside another on the same database is a SAVEPOINT: its rollback keeps
the outer unit's work. Saves are buffered per table and written with one
``executemany`` before the next read, delete or savepoint and at commit, so a bulk
save costs about what a bulk insert does. On SQLite the transaction starts with
``BEGIN IMMEDIATE``, so two units never deadlock upgrading a read lock.

In async code the blocking database work runs in worker threads (``asyncio.to_thread``),
one at a time per unit.
"""

from __future__ import annotations

import asyncio
import threading
from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, ClassVar

import sqlalchemy as sa
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

from nitro import uow as core
from nitro.persistence import BackendUnavailable, Repository
from nitro.sql._mapping import Mapping, tables_in_use
from nitro.sql.config import Database, database_for, get_database, sqlite_begin
from nitro.sql.errors import constraint_violation, schema_mismatch

__all__ = ["AsyncUnitOfWork", "SQLRepository", "UnitOfWork", "active_unit"]


class SQLRepository(ABC):
    """What a SQL unit of work asks of a repository that joins it
    (:class:`~nitro.sql.SQLModelBackend`): the unit covers it when :attr:`database` is
    the unit's, and writes its buffered saves with :meth:`upsert`. Declared here, below
    the backend, so that the unit never imports the backend."""

    entity_cls: type[Any]
    mapping: Mapping

    @property
    @abstractmethod
    def database(self) -> Database:
        """The database this repository works on now."""

    @abstractmethod
    def upsert(self, dialect: str) -> Any:
        """``INSERT ... ON CONFLICT (id) DO UPDATE`` for this table on *dialect*."""


def active_unit(database: Database) -> SQLUnit | None:
    """The innermost active SQL unit of work on *database* in this thread/task (also
    through units of other kinds opened inside it)."""
    unit = core.current_unit()
    while unit is not None:
        if isinstance(unit, SQLUnit) and unit.database is database:
            return unit
        unit = unit.enclosing
    return None


class _Transaction:
    """The connection, root transaction and pending saves shared by nested units."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self.lock = threading.RLock()
        self.conn: sa.Connection | None = None
        self.root: sa.RootTransaction | None = None
        # backend -> {id: row}; dicts keep write order and the last save of an id.
        self.pending: dict[SQLRepository, dict[str, dict[str, Any]]] = {}
        # Created inside this transaction: known to exist once it commits.
        self.created: set[sa.Table] = set()

    def stage(self, backend: SQLRepository, row: dict[str, Any]) -> None:
        """Buffer *row* (the caller holds :attr:`lock`); the last save of an id wins."""
        self.pending.setdefault(backend, {})[row["id"]] = row

    def ensure_tables(self, *tables: sa.Table) -> None:
        missing = [t for t in tables if t not in self.created and t not in self.database._ready]
        if not missing:
            return
        if self.conn is None:  # nothing locked yet: create them for good, right away
            self.database.ensure_tables(*missing)
        else:
            self.created.update(self.database.ensure_tables(*missing, connection=self.conn))

    def connection(self) -> sa.Connection:
        if self.conn is None:
            # Create the tables of every entity class in use first, on their own
            # connection: DDL inside the unit stays invisible to others until it commits.
            self.database.ensure_tables(*tables_in_use())
            try:
                conn = self.database.engine.connect()
            except OperationalError as exc:
                raise BackendUnavailable(
                    f"{self.database!r} cannot be reached: {exc.orig}"
                ) from exc
            if conn.dialect.name == "sqlite":
                sqlite_begin(conn, "BEGIN IMMEDIATE")
            self.conn = conn
        if self.root is None or not self.root.is_active:
            self.root = self.conn.begin()
        return self.conn

    def flush(self) -> None:
        if not self.pending:
            return
        conn = self.connection()
        pending, self.pending = self.pending, {}
        # Parents before children, so foreign keys hold row by row.
        order = {
            table: n
            for n, table in enumerate(
                sa.schema.sort_tables([backend.mapping.table for backend in pending])
            )
        }
        for backend in sorted(pending, key=lambda b: order[b.mapping.table]):
            self.ensure_tables(backend.mapping.table)
            rows = list(pending[backend].values())
            try:
                conn.execute(backend.upsert(conn.dialect.name), rows)
            except IntegrityError as exc:
                raise constraint_violation(backend.entity_cls, exc) from exc
            except DBAPIError as exc:
                mismatch = schema_mismatch(backend.entity_cls, backend.mapping.table.name, exc)
                if mismatch is None:
                    raise
                raise mismatch from exc

    def commit(self) -> None:
        self.flush()
        if self.root is not None and self.root.is_active:
            self.root.commit()
        self.root = None
        if self.created:
            self.database.mark_ready(self.created)
            self.created = set()

    def rollback(self) -> None:
        self.pending = {}
        self.created = set()
        try:
            if self.root is not None and self.root.is_active:
                self.root.rollback()
        finally:
            self.root = None
            if self.conn is not None:
                self.conn.close()
                self.conn = None


class SQLUnit(core.UnitCore):
    """The SQL hooks shared by :class:`UnitOfWork` and :class:`AsyncUnitOfWork`: one
    transaction on *database* (a :class:`~nitro.sql.Database` or URL; default: the
    database in effect, :func:`nitro.sql.get_database`), savepoints when nested."""

    covers: ClassVar[str] = "a SQL unit of work covers SQLModelBackend entities on its own database"

    def __init__(self, database: Database | str | URL | None = None, /, **repositories: type[Any]):
        super().__init__(**repositories)
        self._database_arg = database
        self.database: Database | None = None
        self._tx: _Transaction | None = None
        self._savepoint: sa.NestedTransaction | None = None

    def _enter(self) -> None:
        arg = self._database_arg
        if arg is None:
            self.database = get_database()
        else:
            self.database = arg if isinstance(arg, Database) else database_for(arg)
        super()._enter()

    def _joins(self, outer: core.UnitCore) -> bool:
        return isinstance(outer, SQLUnit) and outer.database is self.database

    def view(self, repository: Repository[Any]) -> Repository[Any] | None:
        # The backend joins the active unit on its own (SQLModelBackend.connection).
        if isinstance(repository, SQLRepository) and repository.database is self.database:
            return repository
        return None

    # -- hooks ------------------------------------------------------------------------

    def _begin(self) -> None:
        if self.parent is None:
            assert self.database is not None
            self._tx = _Transaction(self.database)
            return
        assert isinstance(self.parent, SQLUnit)
        assert self.parent._tx is not None
        tx = self._tx = self.parent._tx
        with tx.lock:
            tx.flush()  # what is pending belongs to the outer unit
            self._savepoint = tx.connection().begin_nested()

    def _commit(self) -> None:
        tx = self._tx
        assert tx is not None
        with tx.lock:
            if self._savepoint is None:
                tx.commit()
                return
            tx.flush()
            if self._savepoint.is_active:
                self._savepoint.commit()

    def _rollback(self) -> None:
        tx = self._tx
        if tx is None:
            return
        with tx.lock:
            if self._savepoint is None:
                tx.rollback()
                return
            tx.pending = {}  # staged after this unit's savepoint began
            if self._savepoint.is_active:
                self._savepoint.rollback()

    # -- what the backend uses ------------------------------------------------------

    @contextmanager
    def connection(self) -> Iterator[sa.Connection]:
        """This unit's connection, with pending saves written, for one statement."""
        tx = self._require_tx()
        with tx.lock:
            tx.flush()
            yield tx.connection()

    def ensure_tables(self, *tables: sa.Table) -> None:
        """Create missing tables inside this unit's transaction once it holds locks."""
        tx = self._require_tx()
        with tx.lock:
            tx.ensure_tables(*tables)

    def stage(self, backend: SQLRepository, row: dict[str, Any]) -> None:
        """Buffer a save; it is written before the next read and at commit."""
        tx = self._require_tx()
        with tx.lock:
            tx.stage(backend, row)

    def try_stage(self, backend: SQLRepository, row: dict[str, Any]) -> bool:
        """:meth:`stage`, unless this unit's connection is busy in another thread right
        now (``False``: stage from a worker thread instead; an event loop must not wait
        for a statement to finish)."""
        tx = self._require_tx()
        if not tx.lock.acquire(blocking=False):
            return False
        try:
            tx.stage(backend, row)
        finally:
            tx.lock.release()
        return True

    def _require_tx(self) -> _Transaction:
        if not self.active or self._tx is None:
            raise RuntimeError("this UnitOfWork is not active; use it inside its 'with' block")
        return self._tx


class UnitOfWork(SQLUnit, core.UnitOfWork):
    """A database transaction as a unit of work, used with ``with`` (see the module
    docs). ``async with UnitOfWork()`` enters an :class:`AsyncUnitOfWork` on the same
    database."""

    def as_async(self) -> AsyncUnitOfWork:
        return AsyncUnitOfWork(self._database_arg, **self._repositories)


class AsyncUnitOfWork(SQLUnit, core.AsyncUnitOfWork):
    """A database transaction as a unit of work, used with ``async with``; the
    blocking database work runs in worker threads, one at a time per unit.

    Each trip to a worker thread and back costs far more than the Python work on
    either side (two thread wake-ups, and the GIL handed over twice), so a unit makes
    one only where the database is reached: beginning the outermost unit only makes its
    transaction object (the connection is taken by the first statement, in that
    statement's thread); its commit gives the connection back in the same trip; and
    leaving the block after that has nothing left to undo.
    """

    async def _run(self, fn: Any) -> Any:
        if fn == self._begin and self.parent is None:
            return fn()
        if fn == self._rollback and self._nothing_to_undo():
            return fn()
        return await asyncio.to_thread(fn)

    def _nothing_to_undo(self) -> bool:
        tx = self._tx
        if tx is None:
            return True
        return self._savepoint is None and tx.conn is None and tx.root is None

    def _commit(self) -> None:
        super()._commit()
        tx = self._tx
        if self._savepoint is None and tx is not None:  # the outermost unit: done
            with tx.lock:
                if tx.conn is not None and tx.root is None and not tx.pending:
                    tx.conn.close()
                    tx.conn = None
