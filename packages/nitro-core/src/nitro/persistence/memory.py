"""MemoryRepo: a thread-safe, process-wide in-memory store with TTL.

Entities are kept as snapshots of their field values keyed by (entity class, id), so
mutating an instance after ``save()`` changes nothing stored until the next save, and
every read returns a fresh instance.

Expiry needs no background thread: a read never returns an expired entity (and
removes it), and every write first sweeps the entries whose TTL has passed, found
cheaply through a heap ordered by expiry time. :meth:`MemoryStore.sweep` runs the same
sweep on demand. Entities saved without a TTL are never touched by the sweep.
"""

from __future__ import annotations

import heapq
import itertools
import operator
import threading
import time
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager, AbstractContextManager
from typing import Any, ClassVar, TypeVar

from nitro.persistence._snapshot import copy_values, restore
from nitro.persistence.base import EntityLike, Repository
from nitro.persistence.entity_locks import EntityLocks
from nitro.persistence.locking import reading_for_update
from nitro.persistence.query import Query, check_ttl, values_predicate
from nitro.persistence.versioning import VERSION_FIELD, accepts, conflict, is_versioned, mark_saved
from nitro.specification import Specification

__all__ = ["MemoryRepo", "MemoryStore"]

E = TypeVar("E", bound=EntityLike)

# A stored entry: (field values snapshot, expires_at or None). Entries are immutable
# tuples replaced as a whole and their dict is never mutated, so a reader never sees
# half of a write.
_Entry = tuple[dict[str, Any], float | None]
_MIN_COMPACT = 1024


class MemoryStore:
    """The storage behind :class:`MemoryRepo`: one dict of entries per entity class.

    *clock* returns seconds on a monotonic scale (default :func:`time.monotonic`);
    tests pass a fake clock to expire entries without sleeping.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        #: Entities held by actions between their read and their save
        #: (:mod:`nitro.persistence.entity_locks`).
        self.entity_locks = EntityLocks()
        self._lock = threading.Lock()
        self._buckets: dict[type[Any], dict[str, _Entry]] = {}
        # (expires_at, tie-breaker, bucket, id); stale rows are skipped when popped.
        self._expiries: list[tuple[float, int, dict[str, _Entry], str]] = []
        self._sequence = itertools.count()
        # Re-saving an entity with a TTL leaves its old heap row behind until that row's
        # time comes; past this many rows the heap is rebuilt from the live entries.
        self._compact_at = _MIN_COMPACT

    def bucket(self, entity_cls: type[Any]) -> dict[str, _Entry]:
        """The (live) dict of entries of *entity_cls*, created on first use."""
        bucket = self._buckets.get(entity_cls)
        if bucket is None:
            with self._lock:
                bucket = self._buckets.setdefault(entity_cls, {})
        return bucket

    def put(self, bucket: dict[str, _Entry], entity_id: str, entry: _Entry) -> None:
        with self._lock:
            self._put_locked(bucket, entity_id, entry)

    def put_versioned(
        self, bucket: dict[str, _Entry], entity_id: str, entry: _Entry, expected: int
    ) -> int | None:
        """Store *entry* only if the live stored entry has version *expected* (none
        stored when 0), checked and written under the lock. Returns ``-1`` when stored,
        else the stored version (``None``: nothing live is stored)."""
        with self._lock:
            current = bucket.get(entity_id)
            found: int | None = None
            if current is not None and (current[1] is None or current[1] > self.clock()):
                found = current[0].get(VERSION_FIELD, 0)
            if not accepts(expected, found):
                return found
            self._put_locked(bucket, entity_id, entry)
            return -1

    def _put_locked(self, bucket: dict[str, _Entry], entity_id: str, entry: _Entry) -> None:
        expires_at = entry[1]
        if self._expiries:
            now = self.clock()
            if self._expiries[0][0] <= now:
                self._sweep_locked(now)
        bucket[entity_id] = entry
        if expires_at is not None:
            row = (expires_at, next(self._sequence), bucket, entity_id)
            heapq.heappush(self._expiries, row)
            if len(self._expiries) > self._compact_at:
                self._compact_locked()

    def _compact_locked(self) -> None:
        live = [
            (entry[1], next(self._sequence), bucket, entity_id)
            for bucket in self._buckets.values()
            for entity_id, entry in bucket.items()
            if entry[1] is not None
        ]
        heapq.heapify(live)
        self._expiries = live
        self._compact_at = max(_MIN_COMPACT, 2 * len(live))

    def pop(self, bucket: dict[str, _Entry], entity_id: str) -> _Entry | None:
        with self._lock:
            return bucket.pop(entity_id, None)

    def discard_expired(self, bucket: dict[str, _Entry], entity_id: str, entry: _Entry) -> None:
        """Remove *entry* if it is still the stored one (a reader found it expired)."""
        with self._lock:
            if bucket.get(entity_id) is entry:
                del bucket[entity_id]

    def sweep(self) -> int:
        """Remove every expired entry now; returns how many were removed."""
        with self._lock:
            return self._sweep_locked(self.clock())

    def _sweep_locked(self, now: float) -> int:
        removed = 0
        expiries = self._expiries
        while expiries and expiries[0][0] <= now:
            expires_at, _, bucket, entity_id = heapq.heappop(expiries)
            entry = bucket.get(entity_id)
            # Skip rows left behind by a later save (new TTL, or no TTL at all).
            if entry is not None and entry[1] == expires_at:
                del bucket[entity_id]
                removed += 1
        return removed

    def clear(self, entity_cls: type[Any] | None = None) -> None:
        """Forget the entities of *entity_cls*, or of every class when ``None``."""
        with self._lock:
            if entity_cls is None:
                buckets = list(self._buckets.values())
            else:
                buckets = [self._buckets.get(entity_cls, {})]
            for bucket in buckets:
                bucket.clear()  # in place: repositories hold references to buckets
            if entity_cls is None:
                self._expiries.clear()

    def __len__(self) -> int:
        """Number of entries held, expired ones not yet swept included."""
        return sum(len(bucket) for bucket in list(self._buckets.values()))


_default_store = MemoryStore()


class MemoryRepo(Repository[E]):
    """In-memory repository; all instances share :attr:`default_store` unless given one.

    Fast (no serialisation: values are copied, immutable ones shared), thread-safe,
    with TTL. Data lives as long as the process; use ``clear()`` between tests.
    """

    default_store: ClassVar[MemoryStore] = _default_store
    observed = False  # a dict lookup: no latency worth a metric or a span

    def __init__(self, entity_cls: type[E], store: MemoryStore | None = None) -> None:
        super().__init__(entity_cls)
        self.store = self.default_store if store is None else store
        self._bucket = self.store.bucket(entity_cls)
        self._clock = self.store.clock
        # Loaded entities have every field set, as they do from any other backend.
        self._fields = frozenset(entity_cls.__pydantic_fields__)
        self._versioned = is_versioned(entity_cls)

    def save(self, entity: E, ttl: float | None = None) -> bool:
        if type(entity) is not self.entity_cls:
            self.check_entity(entity)
        expires_at = None if ttl is None else self._clock() + check_ttl(ttl)  # type: ignore[operator]
        values = copy_values(entity.__dict__)
        if self._versioned:  # compare-and-set under the store's lock
            expected = values[VERSION_FIELD]
            values[VERSION_FIELD] = expected + 1
            found = self.store.put_versioned(
                self._bucket, entity.id, (values, expires_at), expected
            )
            if found != -1:
                raise conflict(self.entity_cls, entity.id, expected, found)
            mark_saved(entity, expected + 1)
            return True
        self.store.put(self._bucket, entity.id, (values, expires_at))
        return True

    def _live(self, entity_id: str) -> _Entry | None:
        entry = self._bucket.get(entity_id)
        if entry is not None and entry[1] is not None and entry[1] <= self._clock():
            self.store.discard_expired(self._bucket, entity_id, entry)
            return None
        return entry

    def get(self, entity_id: str) -> E | None:
        if type(entity_id) is not str:
            self.check_id(entity_id)
        if reading_for_update():  # (an action's read: held until its transaction ends)
            self.store.entity_locks.lock((self.entity_cls, entity_id))
        entry = self._live(entity_id)
        if entry is None:
            return None
        return restore(self.entity_cls, copy_values(entry[0]), set(self._fields))

    def exists(self, entity_id: str) -> bool:
        if type(entity_id) is not str:
            self.check_id(entity_id)
        return self._live(entity_id) is not None

    def delete(self, entity_id: str) -> bool:
        if type(entity_id) is not str:
            self.check_id(entity_id)
        entry = self.store.pop(self._bucket, entity_id)
        return entry is not None and (entry[1] is None or entry[1] > self._clock())

    def _live_values(self) -> list[dict[str, Any]]:
        """The stored value dicts of unexpired entries (read-only: never mutate them)."""
        now = self._clock()
        rows = []
        # dict.copy() is atomic, also on free-threaded builds; iterating the live dict
        # while another thread writes is not.
        for entity_id, entry in self._bucket.copy().items():
            if entry[1] is not None and entry[1] <= now:
                self.store.discard_expired(self._bucket, entity_id, entry)
            else:
                rows.append(entry[0])
        return rows

    def _restore(self, values: dict[str, Any]) -> E:
        return restore(self.entity_cls, copy_values(values), set(self._fields))

    def find(self, query: Query) -> list[E]:
        query.check_fields(self.entity_cls)
        rows = self._live_values()
        if query.where is not None:
            predicate = values_predicate(query.where)
            if predicate is None:  # a custom specification needs real entities
                return query.apply([self._restore(values) for values in rows])
            rows = [values for values in rows if predicate(values)]
        # Filter and sort the stored values; build entities only for the window.
        rows = query.window(query.order(rows, operator.getitem))
        return [self._restore(values) for values in rows]

    def count(self, where: Specification[Any] | None = None) -> int:
        Query(where=where).check_fields(self.entity_cls)
        rows = self._live_values()
        if where is None:
            return len(rows)
        predicate = values_predicate(where)
        if predicate is None:
            return sum(1 for values in rows if where(self._restore(values)))
        return sum(1 for values in rows if predicate(values))

    def clear(self) -> None:
        self.store.clear(self.entity_cls)

    # In-memory work never blocks, so the async twins run inline instead of in a thread.

    async def asave(self, entity: E, ttl: float | None = None) -> bool:
        return self.save(entity, ttl)

    async def aget(self, entity_id: str) -> E | None:
        if reading_for_update() and type(entity_id) is str:
            await self.store.entity_locks.alock((self.entity_cls, entity_id))
        return self.get(entity_id)  # (a lock held already is not taken again)

    # -- transactions: the entities an action reads stay its own until it ends -------

    def transaction(self) -> AbstractContextManager[object]:
        """No atomicity (the action's unit of work buffers its writes), but entities
        read for update inside (:func:`~nitro.persistence.for_update`: the action's
        own) stay locked until the block ends, so concurrent actions on one entity
        take turns instead of overwriting each other's change."""
        return self.store.entity_locks.transaction()

    def atransaction(self) -> AbstractAsyncContextManager[object]:
        """:meth:`transaction` for ``async with``."""
        return self.store.entity_locks.atransaction()

    async def adelete(self, entity_id: str) -> bool:
        return self.delete(entity_id)

    async def aexists(self, entity_id: str) -> bool:
        return self.exists(entity_id)

    async def afind(self, query: Query) -> list[E]:
        return self.find(query)

    async def acount(self, where: Specification[Any] | None = None) -> int:
        return self.count(where)

    async def aclear(self) -> None:
        self.clear()
