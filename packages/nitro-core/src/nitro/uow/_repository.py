"""``uow.repo(Order)``: the typed repository of one entity class inside one unit."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from nitro.persistence.base import EntityLike, combine
from nitro.persistence.query import Query

if TYPE_CHECKING:
    from nitro.persistence.base import Repository
    from nitro.specification import Specification
    from nitro.uow._core import UnitCore

__all__ = ["AsyncUnitRepository", "UnitRepository"]

E = TypeVar("E", bound=EntityLike)


class _Base(Generic[E]):
    __slots__ = ("entity_cls", "unit")

    def __init__(self, unit: UnitCore, entity_cls: type[E]) -> None:
        self.unit = unit
        self.entity_cls = entity_cls

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.entity_cls.__name__} of {type(self.unit).__name__}>"

    def _repo(self, entity: Any = None) -> Repository[E]:
        if entity is not None and type(entity) is not self.entity_cls:
            raise TypeError(
                f"{self!r} stores {self.entity_cls.__name__} entities, got {type(entity).__name__}"
            )
        return self.unit.repository_in_unit(self.entity_cls)

    def _duplicate(self, entity: Any) -> ValueError:
        return ValueError(f"{type(entity).__name__} with id {entity.id!r} already exists")


class UnitRepository(_Base[E]):
    """The repository of one entity class as a sync unit sees it (its own writes
    included). Writes are repository writes: no ``pre_save``/``post_save``."""

    __slots__ = ()

    def save(self, entity: E, ttl: float | None = None) -> bool:
        """Insert or replace *entity* as part of the unit."""
        return self._repo(entity).save(entity, ttl)

    def add(self, entity: E) -> bool:
        """Insert *entity*; one already stored with its id is an error."""
        repo = self._repo(entity)
        insert = getattr(repo, "insert", None)
        if insert is not None:
            return bool(insert(entity))
        if repo.exists(entity.id):
            raise self._duplicate(entity)
        return repo.save(entity)

    def get(self, entity_id: str) -> E | None:
        """The entity with *entity_id* as this unit sees it, or ``None``."""
        return self._repo().get(entity_id)

    def delete(self, entity_or_id: E | str) -> bool:
        """Delete an entity (or the entity with that id) as part of the unit."""
        return self._repo().delete(getattr(entity_or_id, "id", entity_or_id))  # type: ignore[arg-type]

    def filter(self, spec: Specification[Any] | None = None, /, **field_values: Any) -> list[E]:
        """Entities matching *spec* and the keyword field values, ordered by id."""
        return self._repo().find(Query(where=combine(spec, field_values)))

    def all(self) -> list[E]:
        """Every entity of the class as this unit sees it, ordered by id."""
        return self._repo().find(Query())

    def find(self, query: Query) -> list[E]:
        """The entities matching *query*."""
        return self._repo().find(query)


class AsyncUnitRepository(_Base[E]):
    """:class:`UnitRepository` for an :class:`~nitro.uow.AsyncUnitOfWork`: the same
    methods, awaited."""

    __slots__ = ()

    async def save(self, entity: E, ttl: float | None = None) -> bool:
        return await self._repo(entity).asave(entity, ttl)

    async def add(self, entity: E) -> bool:
        repo = self._repo(entity)
        insert = getattr(repo, "insert", None)
        if insert is not None:
            return bool(await asyncio.to_thread(insert, entity))
        if await repo.aexists(entity.id):
            raise self._duplicate(entity)
        return await repo.asave(entity)

    async def get(self, entity_id: str) -> E | None:
        return await self._repo().aget(entity_id)

    async def delete(self, entity_or_id: E | str) -> bool:
        return await self._repo().adelete(getattr(entity_or_id, "id", entity_or_id))  # type: ignore[arg-type]

    async def filter(
        self, spec: Specification[Any] | None = None, /, **field_values: Any
    ) -> list[E]:
        return await self._repo().afind(Query(where=combine(spec, field_values)))

    async def all(self) -> list[E]:
        return await self._repo().afind(Query())

    async def find(self, query: Query) -> list[E]:
        return await self._repo().afind(query)
