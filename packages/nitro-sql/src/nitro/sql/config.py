"""Where the database is: URL resolution, engines, tables created on demand.

The database URL is read when it is first *used*, never at import time, in this
order (first match wins):

1. the innermost :func:`use_database` block (tests, per-request routing);
2. the database given to :func:`configure` (the app's start-up code);
3. the ``NITRO_DATABASE_URL`` environment variable;
4. ``sqlite:///nitro.db``: a file in the current working directory.

A :class:`Database` owns one SQLAlchemy engine, created lazily. Databases are shared
per URL, so ``SQLModelBackend(url=...)`` and ``UnitOfWork(url=...)`` with the same URL
use the same engine (and therefore the same unit of work).
"""

from __future__ import annotations

import os
import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import StaticPool

from nitro.events import event as named_event

__all__ = [
    "DEFAULT_URL",
    "ENV_VAR",
    "Database",
    "configure",
    "get_database",
    "use_database",
]

#: The URL used when nothing else is configured: a SQLite file in the working directory.
DEFAULT_URL = "sqlite:///nitro.db"
#: The environment variable holding the database URL.
ENV_VAR = "NITRO_DATABASE_URL"

#: Where a SQLite connection keeps how its next transaction begins, in the DBAPI
#: connection's ``info`` (see :func:`sqlite_begin`); emptied at each checkout.
_BEGIN = "nitro_sqlite_begin"


def sqlite_begin(connection: sa.Connection, statement: str | None) -> None:
    """Make the next transaction of *connection* (SQLite) begin with *statement*:
    ``"BEGIN IMMEDIATE"`` takes the write lock up front (a unit of work's
    read-then-write never deadlocks), ``None`` sends no ``BEGIN`` (a read-only
    connection: each SELECT its own implicit transaction, one statement less per read).
    Without it, a transaction begins with ``BEGIN``."""
    connection.info[_BEGIN] = statement


class Database:
    """One database: its URL, a lazily created engine and the tables known to exist.

    *create_tables* (default ``True``) creates a table, and the tables it references,
    the first time an entity class uses it; set it to ``False`` when migrations own the
    schema. *engine_options* go to :func:`sqlalchemy.create_engine`.
    """

    def __init__(
        self,
        url: str | URL,
        *,
        create_tables: bool = True,
        echo: bool = False,
        **engine_options: Any,
    ) -> None:
        self.url: URL = make_url(url)
        self.create_tables = create_tables
        self.echo = echo
        self.engine_options = engine_options
        self._engine: Engine | None = None
        self._lock = threading.RLock()
        self._ready: set[sa.Table] = set()

    def __repr__(self) -> str:
        return f"Database({self.url.render_as_string(hide_password=True)!r})"

    @property
    def dialect(self) -> str:
        """``"sqlite"``, ``"postgresql"``, ..."""
        return self.url.get_backend_name()

    @property
    def engine(self) -> Engine:
        """The SQLAlchemy engine, created on first access."""
        engine = self._engine
        if engine is None:
            with self._lock:
                if self._engine is None:
                    self._engine = _create_engine(self.url, self.echo, self.engine_options)
                    _with_engines.add(self)
                engine = self._engine
        return engine

    def ensure_tables(
        self, *tables: sa.Table, connection: sa.Connection | None = None
    ) -> list[sa.Table]:
        """Create *tables* (and the tables their foreign keys point at) if missing, and
        return the ones that were checked now.

        A no-op once a table is known to exist, or when ``create_tables`` is off. With
        *connection* the DDL runs in that connection's transaction (a unit of work
        holding locks must not wait for a second connection) and the tables are not
        marked as existing: the caller does that with :meth:`mark_ready` once the
        transaction committed.
        """
        if not self.create_tables:
            return []
        missing = [table for table in tables if table not in self._ready]
        if not missing:
            return []
        with self._lock:
            needed = _with_dependencies(t for t in missing if t not in self._ready)
            by_metadata: dict[sa.MetaData, list[sa.Table]] = {}
            for table in needed:
                by_metadata.setdefault(table.metadata, []).append(table)
            for metadata, group in by_metadata.items():
                if connection is not None:
                    metadata.create_all(connection, tables=group, checkfirst=True)
                    continue
                try:
                    self._create(metadata, group)
                except DBAPIError:
                    # Another connection created it between the check and the CREATE.
                    self._create(metadata, group)
            if connection is None:
                self._ready.update(needed)
            return needed

    def _create(self, metadata: sa.MetaData, tables: list[sa.Table]) -> None:
        """Check and create in one transaction that holds SQLite's write lock from its
        start: a plain one reads first and then cannot upgrade while other connections
        write ("database is locked" at once, not after the busy timeout)."""
        with self.engine.connect() as conn:
            if conn.dialect.name == "sqlite":
                sqlite_begin(conn, "BEGIN IMMEDIATE")
            with conn.begin():
                metadata.create_all(conn, tables=tables, checkfirst=True)

    def mark_ready(self, tables: Any) -> None:
        """Record that *tables* exist (created in a transaction that has committed)."""
        with self._lock:
            self._ready.update(tables)

    def forget_tables(self, tables: Any = None) -> None:
        """Forget that *tables* (default: all) exist, so the next use checks again
        (after dropping them behind the engine's back, or a rolled-back CREATE)."""
        with self._lock:
            if tables is None:
                self._ready.clear()
            else:
                self._ready.difference_update(tables)

    def dispose(self) -> None:
        """Close every pooled connection; the engine is recreated on next use."""
        with self._lock:
            if self._engine is not None:
                self._engine.dispose()
                self._engine = None
            self._ready.clear()


def _with_dependencies(tables: Any) -> list[sa.Table]:
    found: dict[sa.Table, None] = {}
    pending = list(tables)
    while pending:
        table = pending.pop()
        if table in found:
            continue
        found[table] = None
        pending.extend(fk.column.table for fk in table.foreign_keys)
    return list(found)


def _create_engine(url: URL, echo: bool, options: dict[str, Any]) -> Engine:
    options = dict(options)  # the Database keeps its own for the next engine
    if url.get_backend_name() != "sqlite":
        return sa.create_engine(url, echo=echo, pool_pre_ping=True, **options)
    memory = url.database in (None, "", ":memory:") or "mode=memory" in str(url)
    connect_args = {"check_same_thread": False, "timeout": 30, **options.pop("connect_args", {})}
    if memory:
        # One shared connection, or every connection would see its own empty database.
        options.setdefault("poolclass", StaticPool)
    engine = sa.create_engine(url, echo=echo, connect_args=connect_args, **options)
    _sqlite_hooks(engine, wal=not memory)
    return engine


def _sqlite_hooks(engine: Engine, *, wal: bool) -> None:
    """Make pysqlite transactional the way SQLAlchemy expects.

    The sqlite3 module opens transactions on its own and breaks SAVEPOINT; the recipe
    from the SQLAlchemy docs turns that off and sends ``BEGIN`` when SQLAlchemy begins a
    transaction. The recipe's ``begin`` listener is replaced here by the dialect's own
    ``do_begin``, which SQLAlchemy calls for every transaction: a listener on an engine
    turns on SQLAlchemy's event dispatch for each of its connections and statements.
    WAL lets readers run while one connection writes; foreign keys are off in SQLite by
    default.
    """

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        if wal:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "checkout")
    def _checkout(_dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        record.info.pop(_BEGIN, None)  # (what sqlite_begin asked of the last user)

    def do_begin(connection: Any) -> None:  # (the pool's proxy of the DBAPI connection)
        statement = connection.info.pop(_BEGIN, "BEGIN")
        if statement is not None:
            connection.dbapi_connection.execute(statement)

    engine.dialect.do_begin = do_begin  # type: ignore[method-assign, assignment]


#: Every database whose engine exists, for :func:`_existing_engines`.
_with_engines: weakref.WeakSet[Database] = weakref.WeakSet()


def _existing_engines(sender: Any, **kwargs: Any) -> list[Engine]:
    """The engines made so far: tracing turned on later instruments them too (the
    ``nitro.observability.sqlalchemy_engines`` event, sent by ``nitro.observability``),
    so an app that touched its database before observability was on still gets
    SQLAlchemy's statement spans."""
    return [engine for d in list(_with_engines) if (engine := d._engine) is not None]


named_event("nitro.observability.sqlalchemy_engines").connect(_existing_engines, weak=False)

_lock = threading.RLock()  # configure() -> get_database() re-enters it
_by_url: dict[str, Database] = {}
#: The same, by the text asked with, for URLs that do not depend on the working directory.
_by_text: dict[str, Database] = {}
_configured: Database | None = None
# A process-wide stack rather than a ContextVar, like nitro's use_backend(): an
# override set by a test must also reach the threads that test starts.
_overrides: list[Database] = []


def database_for(url: str | URL) -> Database:
    """The shared :class:`Database` for *url* (created on first request).

    A relative SQLite path is made absolute against the working directory of the
    first use, so a later ``chdir`` does not silently open a second database file.
    """
    if isinstance(url, str):  # every operation of an entity asks: parse a text once
        known = _by_text.get(url)
        if known is not None:
            return known
    parsed = make_url(url)
    resolved = _absolute(parsed)
    key = resolved.render_as_string(hide_password=False)
    database = _by_url.get(key)
    if database is None:
        with _lock:
            database = _by_url.setdefault(key, Database(key))
    # (not a relative SQLite path: where it points depends on the working directory)
    if isinstance(url, str) and resolved is parsed and len(_by_text) < 1000:
        _by_text[url] = database
    return database


def _absolute(url: URL) -> URL:
    database = url.database
    if url.get_backend_name() != "sqlite" or not database or database == ":memory:":
        return url
    if database.startswith("file:") or os.path.isabs(database):
        return url
    return url.set(database=os.path.abspath(database))


def configure(
    url: str | URL | Database | None = None,
    *,
    create_tables: bool = True,
    echo: bool = False,
    **engine_options: Any,
) -> Database:
    """Set the app's database and return it: ``nitro.sql.configure(url="postgresql+psycopg://...")``.

    *url* may also be a ready :class:`Database`. ``configure()`` with no URL goes back
    to the environment variable / default. Entities already in use switch at once:
    the URL is looked up at each operation.
    """
    global _configured
    if url is None:
        with _lock:
            _configured = None
        return get_database()
    with _lock:
        if isinstance(url, Database):
            _configured = url
        else:
            _configured = Database(url, create_tables=create_tables, echo=echo, **engine_options)
        return _configured


def get_database() -> Database:
    """The database in effect now (see the module docs for the order)."""
    if _overrides:
        return _overrides[-1]
    if _configured is not None:
        return _configured
    return database_for(os.environ.get(ENV_VAR) or DEFAULT_URL)


@contextmanager
def use_database(database: str | URL | Database) -> Iterator[Database]:
    """Route every SQL entity without a database of its own to *database* inside
    the block (a URL or a :class:`Database`). Meant for tests; blocks nest."""
    if not isinstance(database, Database):
        database = database_for(database)
    with _lock:
        _overrides.append(database)
    try:
        yield database
    finally:
        with _lock:
            _overrides.remove(database)
