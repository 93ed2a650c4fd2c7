"""Async transactions wait for their turn on the event loop, not in worker threads.

An async unit of work reaches the database in worker threads and holds its connection,
and the locks it took, between those trips. A trip that has to wait (for SQLite's write
lock, for a row another transaction locked, for a connection of the pool) waits in its
thread. Once more of them wait than the executor has threads, the transaction holding
what they wait for gets no thread to commit in, and all of them stall until a timeout.
So async transactions take turns here first, on the event loop, where waiting ties up
nothing:

- on SQLite, one at a time per database (a unit starts with ``BEGIN IMMEDIATE``, and
  SQLite has one writer);
- elsewhere, as many at once per database as its pool has connections, less one kept
  for reads outside transactions (each transaction holds one between its trips);
- one at a time per row read for update (:func:`nitro.persistence.for_update`), the
  row a transaction is about to lock with ``SELECT ... FOR UPDATE``.

Turns are per event loop: other loops and other processes still meet at the
database's own locks, as before.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import AsyncIterator, Hashable
from contextlib import asynccontextmanager
from contextvars import ContextVar

import sqlalchemy as sa

from nitro.sql.config import Database


class _Held:
    """The turns an outermost transaction on a database holds until it ends."""

    __slots__ = ("database", "outer", "rows")

    def __init__(self, database: Database, outer: _Held | None) -> None:
        self.database = database
        self.outer = outer
        self.rows: list[Hashable] = []

    def covers(self, database: Database) -> _Held | None:
        held: _Held | None = self
        while held is not None and held.database is not database:
            held = held.outer
        return held

    def holds_row(self, key: Hashable) -> bool:
        held: _Held | None = self
        while held is not None:
            if key in held.rows:
                return True
            held = held.outer
        return False


class _Turns:
    """One event loop's gates: a semaphore per database, a lock per row in use."""

    def __init__(self) -> None:
        self.databases: dict[Database, asyncio.Semaphore | None] = {}
        self.rows: dict[Hashable, tuple[asyncio.Lock, int]] = {}

    def gate(self, database: Database) -> asyncio.Semaphore | None:
        try:
            return self.databases[database]
        except KeyError:
            turns = _capacity(database)
            gate = None if turns is None else asyncio.Semaphore(turns)
            self.databases[database] = gate
            return gate

    async def take_row(self, key: Hashable, timeout: float) -> bool:
        """Wait for the row's turn; ``False`` when it did not come within *timeout*."""
        lock, users = self.rows.get(key) or (asyncio.Lock(), 0)
        self.rows[key] = (lock, users + 1)
        try:
            await asyncio.wait_for(lock.acquire(), timeout)
        except TimeoutError:
            self._leave(key)
            return False
        except BaseException:
            self._leave(key)
            raise
        return True

    def give_row(self, key: Hashable) -> None:
        self.rows[key][0].release()
        self._leave(key)

    def _leave(self, key: Hashable) -> None:
        lock, users = self.rows[key]
        if users == 1:  # nobody else waits: forget the lock (rows are many)
            del self.rows[key]
        else:
            self.rows[key] = (lock, users - 1)


def _capacity(database: Database) -> int | None:
    """How many async transactions of one loop may be open on *database* at once."""
    if database.dialect == "sqlite":
        return 1
    pool = database.engine.pool
    if not isinstance(pool, sa.pool.QueuePool):
        return None  # no fixed number of connections
    overflow = getattr(pool, "_max_overflow", 0)
    if overflow < 0:
        return None  # unlimited overflow
    return max(1, pool.size() + overflow - 1)


#: How long a transaction waits for a row's turn before it goes on to the database's
#: own lock: two transactions locking two rows in opposite orders would otherwise wait
#: for each other here for ever, where the database detects the deadlock and fails one.
ROW_WAIT = 5.0

_loops: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Turns] = weakref.WeakKeyDictionary()
_held: ContextVar[_Held | None] = ContextVar("nitro_sql_turns", default=None)


def _turns() -> _Turns:
    loop = asyncio.get_running_loop()
    turns = _loops.get(loop)
    if turns is None:
        turns = _loops[loop] = _Turns()
    return turns


@asynccontextmanager
async def transaction_turn(database: Database) -> AsyncIterator[None]:
    """Around an async transaction on *database*: wait for a turn, hold it (and the
    row turns taken inside) until the block ends. A transaction inside one that holds
    the turn for the same database does not wait."""
    outer = _held.get()
    if outer is not None and outer.covers(database) is not None:
        yield
        return
    turns = _turns()
    gate = turns.gate(database)
    held = _Held(database, outer)
    if gate is not None:
        await gate.acquire()
    token = _held.set(held)
    try:
        yield
    finally:
        _held.reset(token)
        for key in reversed(held.rows):
            turns.give_row(key)
        if gate is not None:
            gate.release()


async def row_turn(database: Database, table: str, entity_id: str) -> None:
    """Wait until no other transaction of this loop holds the row's turn, then hold it
    until the transaction on *database* ends (after :data:`ROW_WAIT` seconds, go on
    without it). Outside such a transaction, and on SQLite (whose transactions take
    turns as a whole), there is nothing to wait for."""
    held = _held.get()
    if held is None or database.dialect == "sqlite":
        return
    owner = held.covers(database)
    key = (database, table, entity_id)
    if owner is None or held.holds_row(key):
        return
    if await _turns().take_row(key, ROW_WAIT):
        owner.rows.append(key)
