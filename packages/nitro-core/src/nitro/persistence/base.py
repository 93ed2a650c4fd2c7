"""The repository protocol every persistence backend implements.

A repository is bound to one entity class (``MemoryRepo(Todo)``) and is obtained
through the class: ``Todo.repository()``. Backends subclass :class:`Repository` and
implement five sync methods (:meth:`~Repository.save`, :meth:`~Repository.get`,
:meth:`~Repository.delete`, :meth:`~Repository.find`, :meth:`~Repository.clear`); the
rest has working defaults that a backend may override for speed. The async twins
(``asave``, ``aget``, ...) run the sync method in a worker thread via
:func:`asyncio.to_thread`; backends with a native async client override them.

Prove a backend correct with the shared contract suite,
:class:`nitro.persistence.testing.RepositoryContract`.
"""

from __future__ import annotations

import asyncio
from abc import ABC, abstractmethod
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager, AbstractContextManager, nullcontext
from typing import Any, ClassVar, Generic, Protocol, TypeAlias, TypeVar

from pydantic.fields import FieldInfo

from nitro.persistence.errors import InvalidQuery
from nitro.persistence.query import Query
from nitro.specification import Specification, where

__all__ = ["BackendFactory", "EntityLike", "Repository", "sync_in_thread"]


class EntityLike(Protocol):
    """What a repository stores, seen from below the entity layer: a pydantic model
    with a str ``id`` (every :class:`nitro.Entity` and ``SQLEntity``). Persistence
    never imports the entity classes."""

    __pydantic_fields__: ClassVar[dict[str, FieldInfo]]
    id: str


E = TypeVar("E", bound=EntityLike)

# Reusable: entering it does nothing.
_NO_TRANSACTION: nullcontext[None] = nullcontext()

_F = TypeVar("_F", bound=Callable[..., Any])


def sync_in_thread(method: _F) -> _F:
    """Mark an async operation that, like :class:`Repository`'s defaults, does its work
    by running the sync operation in a worker thread (after, at most, a wait on the
    event loop). Instrumentation then times it once, in that thread, and adds no
    wrapper on the event loop's side."""
    method.__nitro_sync_in_thread__ = True  # type: ignore[attr-defined]
    return method


#: What ``_persistence_backend_class`` holds: a repository class, or any callable that
#: takes the entity class and returns a repository (e.g. ``functools.partial``).
BackendFactory: TypeAlias = Callable[[type[Any]], "Repository[Any]"]


class Repository(ABC, Generic[E]):
    """Stores and finds the entities of one class.

    Reads return fresh instances: mutating one never changes what is stored until it
    is saved again. Listing methods return entities ordered by id unless a
    :class:`Query` says otherwise.
    """

    #: Whether ``save(ttl=...)`` is honoured. Backends without expiry set it to
    #: ``False`` and raise :class:`~nitro.persistence.UnsupportedOperation` for a TTL.
    supports_ttl: ClassVar[bool] = True
    #: Whether observability times this backend's calls (:mod:`nitro.probe`): a store
    #: in the process answers faster than a timer measures, so MemoryRepo says no.
    observed: ClassVar[bool] = True

    def __init__(self, entity_cls: type[E]) -> None:
        self.entity_cls = entity_cls

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.entity_cls.__name__})"

    # -- the five methods a backend implements -------------------------------------

    @abstractmethod
    def save(self, entity: E, ttl: float | None = None) -> bool:
        """Insert or replace *entity*; with *ttl* (seconds) it expires after that long.

        Saving without a TTL makes the entity permanent again, even if an earlier save
        gave it one. Returns ``True`` when stored.
        """

    @abstractmethod
    def get(self, entity_id: str) -> E | None:
        """Return the stored entity with *entity_id*, or ``None`` (also once expired)."""

    @abstractmethod
    def delete(self, entity_id: str) -> bool:
        """Delete the entity; ``True`` if it existed, ``False`` otherwise."""

    @abstractmethod
    def find(self, query: Query) -> list[E]:
        """Return the entities matching *query*, ordered and windowed by it."""

    @abstractmethod
    def clear(self) -> None:
        """Delete every entity of this repository's class (meant for tests)."""

    # -- derived methods, overridable for speed ---------------------------------------

    def exists(self, entity_id: str) -> bool:
        """Whether an unexpired entity with *entity_id* is stored."""
        return self.get(entity_id) is not None

    def count(self, where: Specification[Any] | None = None) -> int:
        """How many stored entities satisfy *where* (all when ``None``)."""
        return len(self.find(Query(where=where)))

    def count_at_most(self, where: Specification[Any] | None, limit: int) -> int:
        """How many stored entities satisfy *where*, counting no further than *limit*:
        ``min(count(where), limit)``.

        For a list that shows "10,000+" rather than an exact total: a SQL backend stops
        reading after *limit* matches (``SELECT count(*) FROM (SELECT 1 ... LIMIT
        :limit)``). The default counts them all and caps the result.
        """
        self.check_limit(limit)
        return min(self.count(where), limit)

    def all(self) -> list[E]:
        """Every stored entity, ordered by id."""
        return self.find(Query())

    def filter(self, spec: Specification[Any] | None = None, /, **field_values: Any) -> list[E]:
        """Entities satisfying *spec* and equal to every keyword field value."""
        return self.find(Query(where=combine(spec, field_values)))

    # -- async twins: a worker thread unless the backend is natively async -----------

    async def asave(self, entity: E, ttl: float | None = None) -> bool:
        return await asyncio.to_thread(self.save, entity, ttl)

    async def aget(self, entity_id: str) -> E | None:
        return await asyncio.to_thread(self.get, entity_id)

    async def adelete(self, entity_id: str) -> bool:
        return await asyncio.to_thread(self.delete, entity_id)

    async def afind(self, query: Query) -> list[E]:
        return await asyncio.to_thread(self.find, query)

    async def aclear(self) -> None:
        await asyncio.to_thread(self.clear)

    async def aexists(self, entity_id: str) -> bool:
        return await asyncio.to_thread(self.exists, entity_id)

    async def acount(self, where: Specification[Any] | None = None) -> int:
        return await asyncio.to_thread(self.count, where)

    async def acount_at_most(self, where: Specification[Any] | None, limit: int) -> int:
        return await asyncio.to_thread(self.count_at_most, where, limit)

    async def aall(self) -> list[E]:
        return await self.afind(Query())

    async def afilter(
        self, spec: Specification[Any] | None = None, /, **field_values: Any
    ) -> list[E]:
        return await self.afind(Query(where=combine(spec, field_values)))

    # -- transactions -------------------------------------------------------------------

    def ping(self) -> None:
        """Raise when the store does not answer (``nitro.health``'s readiness check).
        The default has nothing to ask: a store in this process is always there."""

    def transaction(self) -> AbstractContextManager[object]:
        """A block whose writes to this repository (and to others of the same store)
        are one transaction: kept when the block ends normally, undone when it raises.

        The action dispatcher runs every action of this repository's entities in it.
        The default offers none (a no-op context): the action's writes are then
        buffered by a memory unit of work and applied one by one at its commit.
        ``SQLModelBackend`` opens its SQL unit of work, so an action is one database
        transaction.
        """
        return _NO_TRANSACTION

    def atransaction(self) -> AbstractAsyncContextManager[object]:
        """The :meth:`transaction` for ``async with``."""
        return _NO_TRANSACTION

    # -- helpers for implementations ---------------------------------------------------

    def check_entity(self, entity: object) -> None:
        """Raise :class:`TypeError` unless *entity* is exactly of this repository's class."""
        if type(entity) is not self.entity_cls:
            raise TypeError(
                f"{self!r} stores {self.entity_cls.__name__} entities, got {type(entity).__name__}"
            )

    @staticmethod
    def check_limit(limit: object) -> None:
        """Raise :class:`InvalidQuery` unless *limit* is an int >= 0."""
        if type(limit) is not int or limit < 0:
            raise InvalidQuery(f"limit must be an int >= 0, got {limit!r}")

    def check_id(self, entity_id: object) -> None:
        """Raise :class:`TypeError` unless *entity_id* is a str."""
        if type(entity_id) is not str:
            raise TypeError(
                f"{self.entity_cls.__name__} ids are str, got {type(entity_id).__name__} "
                f"{entity_id!r}"
            )


def combine(
    spec: Specification[Any] | None, field_values: dict[str, Any]
) -> Specification[Any] | None:
    """``spec & where(**field_values)``, either side optional."""
    if spec is not None and not isinstance(spec, Specification):
        raise TypeError(
            f"filter() takes a Specification as its positional argument, "
            f"got {type(spec).__name__}; pass field values as keywords (filter(done=True))"
        )
    fields = where(**field_values)
    if spec is None:
        return fields
    return spec if fields is None else spec & fields
