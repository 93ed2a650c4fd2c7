"""The transactional outbox: events written in the command's own SQL transaction and
relayed after it commits, so that a crash between the two loses nothing.

.. code-block:: python

    from nitro.cqrs import Bus
    from nitro.cqrs.outbox import Outbox

    bus = Bus(outbox=Outbox())  # the database in effect (nitro.sql.get_database())
    bus.outbox.relay_pending(bus)  # at start-up: what a crashed process left
    bus.outbox.start(bus)  # or keep relaying in a background thread

How it works. Inside a SQL unit of work on the outbox's database, ``bus.publish(evt)``
inserts a row (the event's id, its class name and JSON) into ``nitro_outbox`` with the
unit's connection: the row commits or rolls back with the command's writes. After the
commit the bus delivers the event at once; :meth:`Outbox.relay_pending` (on start-up,
or every ``interval`` seconds with :meth:`Outbox.start`) delivers rows whose delivery
never finished — the process died, or a handler failed.

Delivery is at least once, and once per handler in the usual case: each handler that
succeeds is recorded in ``nitro_outbox_done`` (inside the handler's own SQL unit of work
when it takes ``uow``, so its writes and the record commit together), and a
redelivery skips the handlers recorded. A handler with effects outside the database can
still see an event twice (a crash after its effect, before its record): it gets
:attr:`Event.id <nitro.cqrs.Event.id>` to recognise one. Rows are claimed before
delivery (``claimed_until``), so two processes relaying the same table do not deliver
the same row at the same time; a claim that is not finished expires after ``lease``
seconds. A row whose handlers keep failing is tried ``max_attempts`` times, with a
doubling wait, then left with ``dead_at`` set and its last error.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Collection
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from nitro.cqrs.delivery import Failure
from nitro.cqrs.messages import Event, message_name
from nitro.sql import Database, UnitOfWork, get_database
from nitro.sql.uow import SQLUnit, active_unit

if TYPE_CHECKING:
    from nitro.cqrs.bus import Bus
    from nitro.cqrs.handlers import BoundHandler

__all__ = ["Outbox"]

logger = logging.getLogger("nitro.cqrs")

metadata = sa.MetaData()
outbox_table = sa.Table(
    "nitro_outbox",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("type", sa.String(300), nullable=False),
    sa.Column("payload", sa.Text, nullable=False),
    sa.Column("created_at", sa.Float, nullable=False, index=True),
    sa.Column("claimed_until", sa.Float),
    sa.Column("delivered_at", sa.Float),
    sa.Column("dead_at", sa.Float),
    sa.Column("attempts", sa.Integer, nullable=False, default=0),
    sa.Column("last_error", sa.Text),
)
done_table = sa.Table(
    "nitro_outbox_done",
    metadata,
    sa.Column("event_id", sa.String(64), primary_key=True),
    sa.Column("handler", sa.String(300), primary_key=True),
    sa.Column("done_at", sa.Float, nullable=False),
)


# The statements of the delivery path, built once (building them costs more than
# running them on SQLite).
_c = outbox_table.c
_INSERT = outbox_table.insert()
_CLAIM = (
    outbox_table.update()
    .where(
        _c.id == sa.bindparam("b_id"),
        _c.delivered_at.is_(None),
        _c.dead_at.is_(None),
        sa.or_(_c.claimed_until.is_(None), _c.claimed_until < sa.bindparam("b_now")),
    )
    .values(claimed_until=sa.bindparam("b_until"))
)
_DONE_OF = sa.select(done_table.c.handler).where(done_table.c.event_id == sa.bindparam("b_id"))
_MARK_DONE = done_table.insert()
_DELIVERED = (
    outbox_table.update()
    .where(_c.id == sa.bindparam("b_id"))
    .values(delivered_at=sa.bindparam("b_now"), claimed_until=None, last_error=None)
)


class Outbox:
    """Events stored with the command's transaction on *database* (a
    :class:`~nitro.sql.Database`, a URL, or ``None`` for the database in effect)."""

    def __init__(
        self,
        database: Database | str | None = None,
        *,
        lease: float = 30.0,
        max_attempts: int = 10,
        backoff: float = 1.0,
        grace: float = 5.0,
    ) -> None:
        self._database_arg = database
        self.lease = lease
        self.max_attempts = max_attempts
        self.backoff = backoff
        #: Seconds the background relay leaves a new row to its own process.
        self.grace = grace
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._buses: list[Bus] = []
        self._buses_lock = threading.Lock()

    @property
    def database(self) -> Database:
        arg = self._database_arg
        if arg is None:
            return get_database()
        if isinstance(arg, Database):
            return arg
        from nitro.sql.config import database_for

        return database_for(arg)

    def unit_factory(self) -> UnitOfWork:
        """A SQL unit of work on the outbox's database (the bus's default unit)."""
        return UnitOfWork(self.database)

    def ensure_tables(self) -> None:
        self.database.ensure_tables(outbox_table, done_table)

    # -- writing, inside the command's transaction ----------------------------------------

    def _unit(self) -> SQLUnit | None:
        return active_unit(self.database)

    def store(self, event: Event) -> bool:
        """Insert *event* with the active SQL unit on this database; ``False`` (nothing
        stored) when no such unit is active."""
        unit = self._unit()
        if unit is None:
            return False
        unit.ensure_tables(outbox_table, done_table)
        now = time.time()
        row = {
            "id": event.id,
            "type": message_name(type(event)),
            "payload": event.model_dump_json(),
            "created_at": now,
            "attempts": 0,
        }
        with unit.connection() as conn:
            conn.execute(_INSERT, row)
        return True

    def relayed(self, bus: Bus, event: Event) -> _Relayed:
        """What waits in the unit for the commit: delivers the stored row."""
        return _Relayed(self, bus, event)

    # -- delivering -------------------------------------------------------------------

    def _claim(self, conn: sa.Connection, event_id: str, now: float) -> bool:
        claimed = conn.execute(
            _CLAIM, {"b_id": event_id, "b_now": now, "b_until": now + self.lease}
        )
        return claimed.rowcount == 1

    def claim(self, event_id: str) -> frozenset[str] | None:
        """Claim a row for delivery; the handlers already done, or ``None`` when the
        row is delivered, dead, or claimed by someone else."""
        self.ensure_tables()
        with self.database.engine.begin() as conn:
            if not self._claim(conn, event_id, time.time()):
                return None
            return frozenset(conn.execute(_DONE_OF, {"b_id": event_id}).scalars())

    def mark_done(self, event_id: str, handler: BoundHandler, unit: Any) -> None:
        """Record that *handler* handled the event: in *unit*'s transaction when it is
        a SQL unit on this database, else on its own."""
        row = {"event_id": event_id, "handler": handler.name, "done_at": time.time()}
        if isinstance(unit, SQLUnit) and unit.database is self.database:
            with unit.connection() as conn:
                conn.execute(_MARK_DONE, row)
            return
        with self.database.engine.begin() as conn:
            conn.execute(_MARK_DONE, row)

    def finish(self, event_id: str, failures: list[Failure]) -> None:
        """After a delivery: the row is delivered, or waits for its next try (or is
        dead after :attr:`max_attempts`)."""
        t = outbox_table.c
        now = time.time()
        with self.database.engine.begin() as conn:
            if not failures:
                conn.execute(_DELIVERED, {"b_id": event_id, "b_now": now})
                return
            # The UPDATE first takes the write lock at once (on SQLite a read before it
            # could not upgrade while others write); then read what it made.
            error = "; ".join(f"{f.handler}: {type(f.error).__name__}: {f.error}" for f in failures)
            conn.execute(
                outbox_table.update()
                .where(t.id == event_id)
                .values(attempts=t.attempts + 1, last_error=error[:4000])
            )
            attempts: int = conn.execute(sa.select(t.attempts).where(t.id == event_id)).scalar_one()
            dead = attempts >= self.max_attempts
            conn.execute(
                outbox_table.update()
                .where(t.id == event_id)
                .values(
                    claimed_until=now + self.backoff * 2 ** (attempts - 1),
                    dead_at=now if dead else None,
                )
            )
        if dead:
            logger.error("outbox event %s is dead after %d tries: %s", event_id, attempts, error)

    def deliver(self, bus: Bus, event: Event) -> list[Failure] | None:
        """Claim and deliver *event*'s row; ``None`` when someone else has it."""
        done = self.claim(event.id)
        if done is None:
            return None
        failures = bus.deliver(event, skip=done, on_done=self._on_done(event))
        self.finish(event.id, failures)
        return failures

    async def adeliver(self, bus: Bus, event: Event) -> list[Failure] | None:
        """:meth:`deliver` for async code."""
        import asyncio

        done = await asyncio.to_thread(self.claim, event.id)
        if done is None:
            return None
        failures = await bus.adeliver(event, skip=done, on_done=self._on_done(event))
        await asyncio.to_thread(self.finish, event.id, failures)
        return failures

    def _on_done(self, event: Event) -> Any:
        return lambda handler, unit: self.mark_done(event.id, handler, unit)

    def pending(
        self, limit: int = 100, types: Collection[str] | None = None, min_age: float = 0.0
    ) -> list[tuple[str, str, str]]:
        """``(id, type, payload)`` of rows due for delivery (of *types*, stored at least
        *min_age* seconds ago), oldest first."""
        self.ensure_tables()
        t = outbox_table.c
        now = time.time()
        with self.database.engine.connect() as conn:
            rows = conn.execute(
                sa.select(t.id, t.type, t.payload)
                .where(
                    t.delivered_at.is_(None),
                    t.dead_at.is_(None),
                    sa.or_(t.claimed_until.is_(None), t.claimed_until < now),
                    *([] if types is None else [t.type.in_(sorted(types))]),
                    *([] if min_age <= 0 else [t.created_at < now - min_age]),
                )
                .order_by(t.created_at)
                .limit(limit)
            )
            return [(row.id, row.type, row.payload) for row in rows]

    def relay_pending(self, bus: Bus, limit: int = 100, min_age: float = 0.0) -> int:
        """Deliver the rows due now whose event classes *bus* handles (see the module
        docs), stored at least *min_age* seconds ago; return how many were delivered."""
        delivered = 0
        for _event_id, type_name, payload in self.pending(limit, bus.event_names(), min_age):
            event_type = bus.event_type(type_name)
            if event_type is None:  # pragma: no cover - filtered by the query
                continue
            failures = self.deliver(bus, event_type.model_validate_json(payload))
            delivered += failures == []
        return delivered

    # -- the background relay ---------------------------------------------------------

    def start(self, bus: Bus, interval: float = 1.0) -> None:
        """Relay pending rows of *bus*'s events every *interval* seconds in a daemon
        thread (until :meth:`stop`). One thread serves every bus started on this outbox
        (an app's bus and the jobs' relay may share it)."""
        with self._buses_lock:
            if all(known is not bus for known in self._buses):
                self._buses.append(bus)
            if self._thread is not None and self._thread.is_alive():
                return
            self._stop.clear()
            self._thread = threading.Thread(
                target=self._loop, args=(interval,), name="nitro-outbox-relay", daemon=True
            )
            self._thread.start()

    def _loop(self, interval: float) -> None:
        while not self._stop.is_set():
            with self._buses_lock:
                buses = list(self._buses)
            for bus in buses:
                try:
                    # Rows younger than the grace period are left to the delivery that
                    # follows their commit in the process that stored them.
                    self.relay_pending(bus, min_age=self.grace)
                except Exception:
                    logger.exception("outbox relay failed; trying again in %.1f s", interval)
            self._stop.wait(interval)

    def stop(self, timeout: float | None = 5.0) -> None:
        """Stop the background relay (after the row it is delivering)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        with self._buses_lock:
            self._buses.clear()


class _Relayed:
    """An outboxed event waiting in the unit for the commit; sent by the unit after it."""

    __slots__ = ("bus", "event", "outbox")

    def __init__(self, outbox: Outbox, bus: Bus, event: Event) -> None:
        self.outbox = outbox
        self.bus = bus
        self.event = event

    def send(self, sender: Any = None, /, **kwargs: Any) -> Any:
        try:
            return self.outbox.deliver(self.bus, self.event)
        except Exception:  # the relay will deliver it; the command succeeded
            logger.exception("outbox delivery of %s failed; left for the relay", self.event.id)
            return None

    async def asend(self, sender: Any = None, /, **kwargs: Any) -> Any:
        try:
            return await self.outbox.adeliver(self.bus, self.event)
        except Exception:
            logger.exception("outbox delivery of %s failed; left for the relay", self.event.id)
            return None
