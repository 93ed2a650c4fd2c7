"""Entity locks for stores without row locks of their own (``MemoryRepo``, and
``RedisRepo`` within one process).

An action reads its entity, changes it and saves it (:mod:`nitro.persistence.locking`).
A database locks the row it read for update until the transaction ends; an in-memory
store has no transaction, so two actions on one entity at once (two threads of a sync
server, or two async actions that await between reading and saving) would both start
from the same state and the second save would overwrite the first's change. Here the
store's "transaction" holds a lock per entity read for update until it ends.

Sync code waits for the lock in its thread. Async code of one event loop waits in turn
on the loop (an ``asyncio.Lock`` per loop and entity), and only the first in line tries
the shared lock, so no worker thread is tied up; it polls only while another thread or
loop holds that entity. After :data:`ENTITY_WAIT` seconds without the lock the work goes
on without it (and says so in the log): two actions locking two entities in opposite
orders would otherwise wait for each other for ever.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Awaitable, Callable, Hashable
from contextvars import ContextVar, Token
from typing import Any

__all__ = ["ENTITY_WAIT", "EntityLocks"]

logger = logging.getLogger("nitro.persistence")

#: Seconds a read for update waits for an entity another action holds.
ENTITY_WAIT = 5.0


class _Key:
    """One entity's lock, with the loops' queues in front of it, while anyone uses it."""

    __slots__ = ("gates", "lock", "users")

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.users = 0
        # (made when an async waiter first needs it: most entities are never contended)
        self.gates: dict[asyncio.AbstractEventLoop, asyncio.Lock] | None = None


class _Held:
    """The entities one transaction holds, released when it ends, and what a backend
    holds besides (a lock in Redis: :meth:`EntityLocks.hold`)."""

    __slots__ = ("keys", "locks", "more", "token")

    def __init__(self, locks: EntityLocks) -> None:
        self.token: Token[_Held | None] | None = None
        self.locks = locks
        self.keys: list[tuple[Hashable, asyncio.Lock | None]] = []
        self.more: list[tuple[Callable[[], object], Callable[[], Awaitable[object]] | None]] = []

    def holds(self, key: Hashable) -> bool:
        # (usually none held yet: no generator then)
        return bool(self.keys) and any(held == key for held, _gate in self.keys)


_held: ContextVar[_Held | None] = ContextVar("nitro_entity_locks", default=None)


def _quietly(release: Callable[[], object]) -> None:
    """A backend's release that fails (its store went away) is logged: the action's
    work is done, and such a lock expires on its own."""
    try:
        release()
    except Exception:
        logger.warning("releasing an entity lock failed", exc_info=True)


async def _aquietly(arelease: Callable[[], Awaitable[object]]) -> None:
    """:func:`_quietly` for a release that is awaited."""
    try:
        await arelease()
    except Exception:
        logger.warning("releasing an entity lock failed", exc_info=True)


class EntityLocks:
    """The entity locks of one store (entities are keyed by any hashable)."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._keys: dict[Hashable, _Key] = {}

    # -- the transaction ---------------------------------------------------------------

    def transaction(self) -> _Transaction:
        """Entities read for update inside the block stay locked until it ends (a block
        inside another of the same store adds to the outer one). Usable with ``with``
        and ``async with`` (then a backend's own release is awaited)."""
        return _Transaction(self)

    def atransaction(self) -> _Transaction:
        """:meth:`transaction` for ``async with``."""
        return _Transaction(self)

    def _open(self) -> _Held | None:
        """A new transaction's holdings, made current (``None`` inside one already)."""
        outer = _held.get()
        if outer is not None and outer.locks is self:
            return None
        held = _Held(self)
        held.token = _held.set(held)
        return held

    def _close(self, held: _Held) -> list[Any]:
        """End *held*'s time as the current transaction; what backends hold besides."""
        if held.token is not None:
            _held.reset(held.token)
        return held.more

    def hold(
        self,
        release: Callable[[], object],
        arelease: Callable[[], Awaitable[object]] | None = None,
    ) -> None:
        """Call *release* when the current transaction ends (await *arelease* instead
        when it is an async one): how a backend adds a lock of its own, taken after
        :meth:`lock` said the entity is newly held."""
        held = _held.get()
        if held is None or held.locks is not self:
            raise RuntimeError("EntityLocks.hold() outside a transaction of these locks")
        held.more.append((release, arelease))

    # -- reads for update --------------------------------------------------------------

    def lock(self, key: Hashable) -> bool:
        """Hold *key* until the current transaction ends; ``True`` when it is newly
        held now (``False``: outside a transaction, held already, or not had in
        time)."""
        held = self._holder(key)
        if held is None:
            return False
        entry = self._enter(key)
        if entry.lock.acquire(timeout=ENTITY_WAIT):
            held.keys.append((key, None))
            return True
        self._gave_up(key, entry)
        return False

    async def alock(self, key: Hashable) -> bool:
        """:meth:`lock` for async code: waits on the event loop."""
        held = self._holder(key)
        if held is None:
            return False
        entry = self._enter(key)
        if entry.lock.acquire(blocking=False):  # the usual case: nobody holds it
            held.keys.append((key, None))
            return True
        loop = asyncio.get_running_loop()
        with self._guard:
            gates = entry.gates
            if gates is None:
                gates = entry.gates = {}
            gate = gates.get(loop)
            if gate is None:
                gate = gates[loop] = asyncio.Lock()
        deadline = time.monotonic() + ENTITY_WAIT
        try:
            await asyncio.wait_for(gate.acquire(), ENTITY_WAIT)
        except TimeoutError:
            self._gave_up(key, entry)
            return False
        pause = 0.0005  # first in this loop's line: wait for other threads and loops
        while not entry.lock.acquire(blocking=False):
            if time.monotonic() >= deadline:
                gate.release()
                self._gave_up(key, entry)
                return False
            await asyncio.sleep(pause)
            pause = min(pause * 2, 0.01)
        held.keys.append((key, gate))
        return True

    # -- inside ------------------------------------------------------------------------

    def _holder(self, key: Hashable) -> _Held | None:
        held = _held.get()
        if held is None or held.locks is not self or held.holds(key):
            return None
        return held

    def _enter(self, key: Hashable) -> _Key:
        with self._guard:
            entry = self._keys.get(key)
            if entry is None:
                entry = self._keys[key] = _Key()
            entry.users += 1
            return entry

    def _leave(self, key: Hashable, entry: _Key) -> None:
        with self._guard:
            entry.users -= 1
            if entry.users == 0:  # nobody else waits: forget it (entities are many)
                del self._keys[key]

    def _gave_up(self, key: Hashable, entry: _Key) -> None:
        self._leave(key, entry)
        logger.warning(
            "an action waited %.0f s for %r, held by another; it goes on without the lock",
            ENTITY_WAIT,
            key,
        )

    def _release_all(self, held: _Held) -> None:  # (the store's own locks, last)
        for key, gate in reversed(held.keys):
            entry = self._keys[key]
            entry.lock.release()
            if gate is not None:
                gate.release()
            self._leave(key, entry)
        held.keys.clear()


class _Transaction:
    """The block of :meth:`EntityLocks.transaction` (a class: one per action, where a
    generator-based context manager costs a microsecond more)."""

    __slots__ = ("held", "locks")

    def __init__(self, locks: EntityLocks) -> None:
        self.locks = locks
        self.held: _Held | None = None

    def __enter__(self) -> None:
        self.held = self.locks._open()

    def __exit__(self, *exc_info: object) -> None:
        held = self.held
        if held is None:
            return
        try:
            for release, _arelease in reversed(self.locks._close(held)):
                _quietly(release)
        finally:
            self.locks._release_all(held)

    async def __aenter__(self) -> None:
        self.held = self.locks._open()

    async def __aexit__(self, *exc_info: object) -> None:
        held = self.held
        if held is None:
            return
        try:
            for release, arelease in reversed(self.locks._close(held)):
                if arelease is None:
                    _quietly(release)
                else:
                    await _aquietly(arelease)
        finally:
            self.locks._release_all(held)
