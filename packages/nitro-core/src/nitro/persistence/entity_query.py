"""``Entity.query()``: an immutable query builder over the entity's repository."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from nitro.persistence.base import EntityLike, combine
from nitro.persistence.query import Query
from nitro.persistence.units import unit_repository

if TYPE_CHECKING:
    from nitro.specification import Specification

__all__ = ["EntityQuery"]

E = TypeVar("E", bound=EntityLike)


class EntityQuery(Generic[E]):
    """Chainable and immutable: every method returns a new query.

    ``Todo.query().where(done=False).order_by("-priority").offset(20).limit(10).all()``;
    ``.count()`` ignores ordering and the window. Unknown fields raise
    :class:`~nitro.persistence.InvalidQuery` when the query is built.
    """

    __slots__ = ("_query", "entity_cls")

    def __init__(self, entity_cls: type[E], query: Query | None = None) -> None:
        self.entity_cls = entity_cls
        self._query = Query() if query is None else query

    @property
    def spec(self) -> Query:
        """The backend-neutral :class:`~nitro.persistence.Query` built so far."""
        return self._query

    def _with(self, **changes: Any) -> EntityQuery[E]:
        query = replace(self._query, **changes)
        query.check_fields(self.entity_cls)
        return EntityQuery(self.entity_cls, query)

    def where(self, *specs: Specification[Any] | None, **field_values: Any) -> EntityQuery[E]:
        """Add conditions: specifications and ``field=value`` keywords (ANDed with the
        ones already there; ``None`` adds nothing)."""
        extra = combine(specs[0] if len(specs) == 1 else _all_of(specs), field_values)
        current = self._query.where
        if extra is None:
            return self
        return self._with(where=extra if current is None else current & extra)

    def order_by(self, *fields: str) -> EntityQuery[E]:
        """Sort by *fields* (``"-name"`` for descending); replaces earlier ordering."""
        return self._with(order_by=tuple(fields))

    def limit(self, count: int | None) -> EntityQuery[E]:
        return self._with(limit=count)

    def offset(self, count: int) -> EntityQuery[E]:
        return self._with(offset=count)

    def all(self) -> list[E]:
        return unit_repository(self.entity_cls).find(self._query)

    def first(self) -> E | None:
        found = unit_repository(self.entity_cls).find(replace(self._query, limit=1))
        return found[0] if found else None

    def count(self) -> int:
        return unit_repository(self.entity_cls).count(self._query.where)

    async def aall(self) -> list[E]:
        return await unit_repository(self.entity_cls).afind(self._query)

    async def afirst(self) -> E | None:
        found = await unit_repository(self.entity_cls).afind(replace(self._query, limit=1))
        return found[0] if found else None

    async def acount(self) -> int:
        return await unit_repository(self.entity_cls).acount(self._query.where)


def _all_of(specs: tuple[Specification[Any] | None, ...]) -> Specification[Any] | None:
    found = None
    for spec in specs:
        if spec is not None:
            combine(spec, {})  # the type check and its message
            found = spec if found is None else found & spec
    return found
