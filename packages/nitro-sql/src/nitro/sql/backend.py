"""SQLModelBackend: the SQL repository, for SQLEntity tables and plain entities alike.

.. code-block:: python

    class Todo(Entity):  # a plain nitro.Entity...
        title: str
        _persistence_backend_class = SQLModelBackend  # ...stored in SQL: one line


    class Product(SQLEntity, table=True):  # real columns; SQLModelBackend by default
        name: str
        price: float

Every statement is built with SQLAlchemy and every value is a bound parameter. Outside
a unit of work each call is its own short transaction; inside an active
:class:`~nitro.sql.UnitOfWork` on the same database, calls join the unit's transaction
(saves are batched and written before the next read and at commit).

TTL: ``save(ttl=...)`` stores the expiry in the hidden ``nitro_expires_at`` column;
reads never return an expired row, and expired rows are deleted by the first write
every :attr:`SQLModelBackend.purge_interval` seconds (or by :meth:`purge_expired`).
The expiry uses this machine's clock (Unix time).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any, ClassVar, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

from nitro.persistence import (
    BackendUnavailable,
    EntityLike,
    Repository,
    UnsupportedOperation,
    check_ttl,
)
from nitro.persistence.versioning import VERSION_FIELD, conflict, is_versioned, mark_saved
from nitro.sql._driver_errors import _translated
from nitro.sql._mapping import Mapping, mapping_for
from nitro.sql._reads import SQLReads
from nitro.sql._turns import transaction_turn
from nitro.sql.config import Database, database_for, get_database, sqlite_begin
from nitro.sql.errors import DuplicateId, constraint_violation, schema_mismatch
from nitro.sql.uow import AsyncUnitOfWork, SQLRepository, SQLUnit, UnitOfWork, active_unit

__all__ = ["SQLModelBackend"]

E = TypeVar("E", bound=EntityLike)


class SQLModelBackend(SQLReads[E], Repository[E], SQLRepository):
    """The repository of one entity class in a SQL database.

    *url* or *database* pins the class to a database (``functools.partial(
    SQLModelBackend, url=...)`` as ``_persistence_backend_class``); without them the
    database in effect at each call is used (:func:`nitro.sql.get_database`).
    """

    #: Seconds between two purges of expired rows (each by the first write after it).
    purge_interval: ClassVar[float] = 60.0

    def __init__(
        self,
        entity_cls: type[E],
        *,
        url: str | URL | None = None,
        database: Database | None = None,
    ) -> None:
        super().__init__(entity_cls)
        if url is not None and database is not None:
            raise TypeError("SQLModelBackend() takes url= or database=, not both")
        self._database = database if url is None else database_for(url)
        self.mapping: Mapping = mapping_for(entity_cls)
        self.supports_ttl = self.mapping.expires is not None  # type: ignore[misc]
        self._upserts: dict[str, Any] = {}
        self._versioned = is_versioned(entity_cls)
        self._last_purge: dict[Database, float] = {}

    @property
    def database(self) -> Database:
        """The database this repository works on now."""
        return self._database if self._database is not None else get_database()

    # -- connections --------------------------------------------------------------------

    def ping(self) -> None:
        """One ``SELECT 1`` on a connection of the pool (a stale one is replaced)."""
        with self.database.engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))

    @contextmanager
    def transaction(self) -> Iterator[UnitOfWork]:
        """A :class:`~nitro.sql.UnitOfWork` on this repository's database, committed
        when the block ends normally: every action on this class is one transaction
        (a SAVEPOINT inside a unit already open on the database)."""
        with UnitOfWork(self.database) as unit:
            yield unit
            unit.commit()

    @asynccontextmanager
    async def atransaction(self) -> AsyncIterator[AsyncUnitOfWork]:
        """The :meth:`transaction` for ``async with`` (an :class:`~nitro.sql.AsyncUnitOfWork`).

        These transactions take turns on the event loop first, so that none waits for
        a lock or a connection in a worker thread (:mod:`nitro.sql._turns`)."""
        database = self.database
        async with transaction_turn(database), AsyncUnitOfWork(database) as unit:
            yield unit
            await unit.commit()

    def unit(self, database: Database | None = None) -> SQLUnit | None:
        """The active SQL unit of work on this repository's database, if any."""
        return active_unit(database or self.database)

    @contextmanager
    def connection(self, *, write: bool = False) -> Iterator[sa.Connection]:
        """A connection for one operation: the active unit's (pending saves written
        first), else a fresh one, committed at the end when *write*."""
        database = self.database
        unit = self.unit(database)
        if unit is not None:
            with unit.connection() as conn:
                unit.ensure_tables(self.mapping.table)
                try:
                    yield conn
                except DBAPIError as exc:
                    raise self._translated(exc) from exc
            return
        try:
            database.ensure_tables(self.mapping.table)
            context = database.engine.begin() if write else database.engine.connect()
            conn = context.__enter__()
        except OperationalError as exc:
            raise BackendUnavailable(f"{database!r} cannot be reached: {exc.orig}") from exc
        if not write and conn.dialect.name == "sqlite":
            sqlite_begin(conn, None)
        try:
            yield conn
        except BaseException as exc:
            context.__exit__(type(exc), exc, exc.__traceback__)
            if isinstance(exc, DBAPIError) and exc.connection_invalidated:
                raise BackendUnavailable(f"{database!r} dropped the connection") from exc
            if isinstance(exc, DBAPIError):
                raise self._translated(exc) from exc
            raise
        context.__exit__(None, None, None)

    def _translated(self, exc: DBAPIError) -> Exception:
        """A driver error as a Nitro error where one says more (a missing column)."""
        mismatch = schema_mismatch(self.entity_cls, self.mapping.table.name, exc)
        return mismatch if mismatch is not None else exc

    def upsert(self, dialect: str) -> Any:
        """``INSERT ... ON CONFLICT (id) DO UPDATE`` for this table on *dialect*."""
        statement = self._upserts.get(dialect)
        if statement is None:
            table = self.mapping.table
            base = self._insert(dialect)
            updates = {c.name: base.excluded[c.name] for c in table.columns if not c.primary_key}
            statement = (
                base.on_conflict_do_update(index_elements=[table.c.id], set_=updates)
                if updates
                else base.on_conflict_do_nothing(index_elements=[table.c.id])
            )
            self._upserts[dialect] = statement
        return statement

    def _insert(self, dialect: str) -> Any:
        """This table's ``INSERT`` in *dialect*'s flavour (with ``ON CONFLICT``)."""
        insert: Any
        if dialect == "sqlite":
            from sqlalchemy.dialects.sqlite import insert as sqlite_insert

            insert = sqlite_insert
        elif dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as postgresql_insert

            insert = postgresql_insert
        else:
            raise UnsupportedOperation(
                f"SQLModelBackend supports SQLite and PostgreSQL, not {dialect}"
            )
        return insert(self.mapping.table)

    # -- writes ---------------------------------------------------------------------------

    def _row(self, entity: Any, ttl: float | None) -> dict[str, Any]:
        if type(entity) is not self.entity_cls:
            self.check_entity(entity)
        if ttl is None:
            return self.mapping.row(entity, None)
        ttl = check_ttl(ttl)
        if not self.supports_ttl:
            raise UnsupportedOperation(
                f"{self.entity_cls.__name__} has no expiry column (__nitro_ttl__ = False)"
            )
        return self.mapping.row(entity, time.time() + ttl)  # type: ignore[operator]

    def save(self, entity: E, ttl: float | None = None) -> bool:
        if self._versioned:
            return self._save_versioned(entity, ttl)
        row = self._row(entity, ttl)
        database = self.database
        unit = self.unit(database)
        if unit is not None:
            unit.stage(self, row)
            return True
        with self.connection(write=True) as conn, _translated(self.entity_cls):
            conn.execute(self.upsert(conn.dialect.name), row)
            self._purge_if_due(conn, database)
        return True

    async def asave(self, entity: E, ttl: float | None = None) -> bool:
        # Inside a unit of work on this database a save is only buffered (written by the
        # unit's next statement or its commit): no trip to a worker thread for that.
        if not self._versioned:
            unit = self.unit(self.database)
            if unit is not None and unit.try_stage(self, self._row(entity, ttl)):
                return True
        return await asyncio.to_thread(self.save, entity, ttl)

    def _save_versioned(self, entity: E, ttl: float | None) -> bool:
        """One conditional statement, never buffered by a unit of work: an ``UPDATE ...
        WHERE id = :id AND version = :expected`` for a loaded copy, an ``INSERT ... ON
        CONFLICT DO UPDATE ... WHERE`` (taking over only an expired or pre-versioning
        row) for a new entity. No row written (nothing ``RETURNING``, as not every driver
        reports an upsert's rowcount) means a stale copy."""
        row = self._row(entity, ttl)
        expected: int = entity.__dict__[VERSION_FIELD]
        self.mapping.set_version(row, expected + 1)
        table, version = self.mapping.table, self.mapping.version()
        entity_id = row["id"]
        database = self.database
        live = self.mapping.live(time.time())
        with self.connection(write=True) as conn, _translated(self.entity_cls):
            if expected == 0:
                takeover = sa.func.coalesce(version, 0) == 0
                if live is not None:
                    takeover = sa.or_(takeover, sa.not_(live))
                base = self._insert(conn.dialect.name)
                updates = {
                    c.name: base.excluded[c.name] for c in table.columns if not c.primary_key
                }
                statement = base.on_conflict_do_update(
                    index_elements=[table.c.id], set_=updates, where=takeover
                )
                written = conn.execute(statement.returning(table.c.id), row).first()
            else:
                condition = [table.c.id == entity_id, version == expected]
                if live is not None:
                    condition.append(live)
                values = {key: value for key, value in row.items() if key != "id"}
                statement = sa.update(table).where(*condition).values(values)
                written = conn.execute(statement.returning(table.c.id)).first()
            if written is None:
                found = conn.execute(
                    sa.select(version).where(*self._live_id(entity_id))
                ).scalar_one_or_none()
                raise conflict(self.entity_cls, entity_id, expected, found)
            self._purge_if_due(conn, database)
        mark_saved(entity, expected + 1)
        return True

    def _live_id(self, entity_id: str) -> list[Any]:
        condition = [self.mapping.id_column == entity_id]
        live = self.mapping.live(time.time())
        return condition if live is None else [*condition, live]

    def insert(self, entity: E) -> bool:
        """Insert *entity*, which must not be stored yet: :class:`~nitro.sql.DuplicateId`
        otherwise (the transaction, or unit of work, stays usable)."""
        row = self._row(entity, None)
        if self._versioned:
            self.mapping.set_version(row, entity.__dict__[VERSION_FIELD] + 1)
        table = self.mapping.table
        entity_id = row["id"]
        with self.connection(write=True) as conn:
            if self.mapping.expires is not None:  # an expired row does not count
                conn.execute(
                    sa.delete(table).where(
                        table.c.id == entity_id, self.mapping.expires <= time.time()
                    )
                )
            savepoint = conn.begin_nested()
            try:
                conn.execute(sa.insert(table), row)
            except IntegrityError as exc:
                savepoint.rollback()
                found = conn.execute(sa.select(table.c.id).where(table.c.id == entity_id))
                if found.first() is not None:
                    raise DuplicateId(self.entity_cls, entity_id) from exc
                raise constraint_violation(self.entity_cls, exc) from exc
            savepoint.commit()
        if self._versioned:
            mark_saved(entity, entity.__dict__[VERSION_FIELD] + 1)
        return True

    def delete(self, entity_id: str) -> bool:
        if type(entity_id) is not str:
            self.check_id(entity_id)
        table = self.mapping.table
        statement = sa.delete(table).where(table.c.id == entity_id)
        live = self.mapping.live(time.time())
        if live is not None:
            statement = statement.where(live)
        with self.connection(write=True) as conn, _translated(self.entity_cls):
            return bool(conn.execute(statement).rowcount)

    def clear(self) -> None:
        with self.connection(write=True) as conn, _translated(self.entity_cls):
            conn.execute(sa.delete(self.mapping.table))

    def purge_expired(self) -> int:
        """Delete every expired row now; returns how many."""
        if self.mapping.expires is None:
            return 0
        with self.connection(write=True) as conn:
            return self._purge(conn)

    def _purge(self, conn: sa.Connection) -> int:
        expires = self.mapping.expires
        assert expires is not None
        result = conn.execute(sa.delete(self.mapping.table).where(expires <= time.time()))
        return int(result.rowcount or 0)

    def _purge_if_due(self, conn: sa.Connection, database: Database) -> None:
        if self.mapping.expires is None:
            return
        now = time.monotonic()
        last = self._last_purge.get(database)
        if last is None or now - last >= self.purge_interval:
            self._last_purge[database] = now
            self._purge(conn)
