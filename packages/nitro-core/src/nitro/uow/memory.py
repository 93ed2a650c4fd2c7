"""Units of work that buffer writes in memory and apply them on the outermost commit.

:class:`MemoryUnitOfWork` (``with``) and :class:`AsyncMemoryUnitOfWork`
(``async with``) work over any repository: while one is active, every entity call
(``order.save()``, ``Order.get(...)``, ``Order.filter(...)``, ``uow.repo(Order)``) goes
through a :class:`BufferedRepository` that keeps writes in the unit and lets reads see
them. Nothing reaches the repositories before the commit, so an uncommitted unit keeps
nothing, as a database transaction would: the faithful fake for tests, and the unit
for stores without transactions.

The commit applies the writes one by one; a store that fails half-way keeps the
first part (there is no transaction to undo it). A SQL unit of work
(``nitro.sql.UnitOfWork``) is a real transaction.
"""

from __future__ import annotations

from typing import Any, ClassVar, TypeVar

from nitro.persistence._snapshot import copy_values, restore
from nitro.persistence.base import EntityLike, Repository
from nitro.persistence.errors import UnsupportedOperation
from nitro.persistence.query import Query, check_ttl
from nitro.persistence.registry import repository_for
from nitro.persistence.versioning import VERSION_FIELD, is_versioned, mark_saved
from nitro.specification import Specification
from nitro.uow._core import UnitCore
from nitro.uow._units import AsyncUnitOfWork, UnitOfWork

__all__ = ["AsyncMemoryUnitOfWork", "BufferedRepository", "MemoryUnitOfWork"]

E = TypeVar("E", bound=EntityLike)
_DELETED = object()
_Key = tuple[Repository[Any], str]


class _Buffering(UnitCore):
    """The buffer shared by both memory units: (repository, id) -> (copy, ttl, the
    saved entity) or deleted, in write order; nested units hand theirs to the parent on commit."""

    covers: ClassVar[str] = "it covers every repository"

    def __init__(self, **repositories: type[Any]) -> None:
        super().__init__(**repositories)
        self._pending: dict[_Key, Any] = {}
        self._views: dict[Repository[Any], BufferedRepository[Any]] = {}
        #: Whether the outermost commit has applied the writes.
        self.committed = False

    def _joins(self, outer: UnitCore) -> bool:
        return isinstance(outer, _Buffering)

    def view(self, repository: Repository[Any]) -> Repository[Any]:
        found = self._views.get(repository)
        if found is None:
            found = self._views[repository] = BufferedRepository(self, repository)
        return found

    def _begin(self) -> None:
        self._pending = {}

    def _rollback(self) -> None:
        self._pending = {}

    def _commit(self) -> None:
        if not self._pending:  # (an action that wrote nothing: the usual case)
            self.committed = self.parent is None
            return
        pending = self._hand_over()
        for (repo, entity_id), value in pending.items():
            if value is _DELETED:
                repo.delete(entity_id)
            else:
                repo.save(value[0], value[1])
                _saved(value)
        self.committed = self.parent is None

    def _hand_over(self) -> dict[_Key, Any]:
        """Empty the buffer: into the parent's (nested; returns nothing to apply) or
        returned for applying."""
        pending, self._pending = self._pending, {}
        if isinstance(self.parent, _Buffering):
            self.parent._pending.update(pending)
            return {}
        return pending

    def has_writes(self) -> bool:
        """Whether this unit holds writes not yet applied (or handed over)."""
        return bool(self._pending)

    def pending_copy(self, entity: Any) -> Any:
        """The copy of *entity* this unit (or an outer one) will store, if it saved it."""
        value = self.lookup((repository_for(type(entity)), entity.id))
        return None if value is None or value is _DELETED else value[0]

    # -- what BufferedRepository reads -------------------------------------------------

    def lookup(self, key: _Key) -> Any:
        """The pending value for *key* in this unit or an outer one, else ``None``."""
        unit: UnitCore | None = self
        while isinstance(unit, _Buffering):
            value = unit._pending.get(key)
            if value is not None:
                return value
            unit = unit.parent
        return None

    def pending_of(self, repository: Repository[Any]) -> dict[str, Any]:
        """``{id: value}`` of every pending write to *repository*, inner units last."""
        chain = []
        unit: UnitCore | None = self
        while isinstance(unit, _Buffering):
            chain.append(unit)
            unit = unit.parent
        merged: dict[str, Any] = {}
        for member in reversed(chain):
            for (repo, entity_id), value in member._pending.items():
                if repo is repository:
                    merged[entity_id] = value
        return merged


class MemoryUnitOfWork(_Buffering, UnitOfWork):
    """The buffering unit of work for ``with`` (see the module docs)."""


class AsyncMemoryUnitOfWork(_Buffering, AsyncUnitOfWork):
    """The buffering unit of work for ``async with``; the commit awaits the
    repositories' async methods."""

    blocking: ClassVar[bool] = False

    async def _acommit(self) -> None:
        if not self._pending:
            self.committed = self.parent is None
            return
        pending = self._hand_over()
        for (repo, entity_id), value in pending.items():
            if value is _DELETED:
                await repo.adelete(entity_id)
            else:
                await repo.asave(value[0], value[1])
                _saved(value)
        self.committed = self.parent is None


MemoryUnitOfWork.async_class = AsyncMemoryUnitOfWork


def _saved(value: tuple[Any, float | None, Any]) -> None:
    """After the store accepted the copy: a version it gave the copy goes to the
    entity that was saved (see :mod:`nitro.persistence.versioning`)."""
    stored, _ttl, original = value
    if is_versioned(type(stored)):
        mark_saved(original, getattr(stored, VERSION_FIELD))


def _copy(entity: Any) -> Any:
    """An independent copy holding the fields only (no ORM state)."""
    cls = type(entity)
    values = entity.__dict__
    fields = cls.__pydantic_fields__
    if len(values) != len(fields):
        values = {name: values[name] for name in fields if name in values}
    return restore(cls, copy_values(values), set(entity.__pydantic_fields_set__))


class BufferedRepository(Repository[E]):
    """A repository as a memory unit sees it: writes stay in the unit, reads see them."""

    def __init__(self, unit: _Buffering, inner: Repository[E]) -> None:
        super().__init__(inner.entity_cls)
        self.unit = unit
        self.inner = inner
        self.supports_ttl = inner.supports_ttl  # type: ignore[misc]

    def __repr__(self) -> str:
        return f"{self.inner!r} in {type(self.unit).__name__}"

    # -- writes ---------------------------------------------------------------------------

    def save(self, entity: E, ttl: float | None = None) -> bool:
        if type(entity) is not self.entity_cls:
            self.check_entity(entity)
        if ttl is not None:
            ttl = check_ttl(ttl)
            if not self.inner.supports_ttl:
                raise UnsupportedOperation(f"{self.inner!r} does not support a TTL")
        self.unit._pending[(self.inner, entity.id)] = (_copy(entity), ttl, entity)
        return True

    def delete(self, entity_id: str) -> bool:
        existed = self.exists(entity_id)
        self.unit._pending[(self.inner, entity_id)] = _DELETED
        return existed

    async def asave(self, entity: E, ttl: float | None = None) -> bool:
        return self.save(entity, ttl)

    async def adelete(self, entity_id: str) -> bool:
        existed = await self.aexists(entity_id)
        self.unit._pending[(self.inner, entity_id)] = _DELETED
        return existed

    def clear(self) -> None:
        raise UnsupportedOperation("clear() inside a unit of work; clear outside it")

    # -- reads ----------------------------------------------------------------------------

    def _pending(self, entity_id: str) -> Any:
        if type(entity_id) is not str:
            self.check_id(entity_id)
        return self.unit.lookup((self.inner, entity_id))

    def get(self, entity_id: str) -> E | None:
        value = self._pending(entity_id)
        if value is None:
            return self.inner.get(entity_id)
        return None if value is _DELETED else _copy(value[0])

    def exists(self, entity_id: str) -> bool:
        value = self._pending(entity_id)
        return self.inner.exists(entity_id) if value is None else value is not _DELETED

    def find(self, query: Query) -> list[E]:
        pending = self.unit.pending_of(self.inner)
        if not pending:
            return self.inner.find(query)
        query.check_fields(self.entity_cls)
        return self._merge(query, pending, self.inner.find(Query(where=query.where)))

    def count(self, where: Specification[Any] | None = None) -> int:
        if not self.unit.pending_of(self.inner):
            return self.inner.count(where)
        return len(self.find(Query(where=where)))

    async def aget(self, entity_id: str) -> E | None:
        value = self._pending(entity_id)
        if value is None:
            return await self.inner.aget(entity_id)
        return None if value is _DELETED else _copy(value[0])

    async def aexists(self, entity_id: str) -> bool:
        value = self._pending(entity_id)
        return await self.inner.aexists(entity_id) if value is None else value is not _DELETED

    async def afind(self, query: Query) -> list[E]:
        pending = self.unit.pending_of(self.inner)
        if not pending:
            return await self.inner.afind(query)
        query.check_fields(self.entity_cls)
        return self._merge(query, pending, await self.inner.afind(Query(where=query.where)))

    async def acount(self, where: Specification[Any] | None = None) -> int:
        if not self.unit.pending_of(self.inner):
            return await self.inner.acount(where)
        return len(await self.afind(Query(where=where)))

    @staticmethod
    def _merge(query: Query, pending: dict[str, Any], stored: list[E]) -> list[E]:
        found = [e for e in stored if e.id not in pending]
        found.extend(_copy(v[0]) for v in pending.values() if v is not _DELETED)
        return query.apply(found)
