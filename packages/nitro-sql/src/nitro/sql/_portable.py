"""The query of a ``SQLEntity`` stored outside SQL (the one-line backend swap).

``Post._persistence_backend_class = MemoryRepo`` (or ``RedisRepo``) keeps ``Post.all()``,
``filter``, ``search`` and ``query()`` working: :class:`PortableQuery` has the methods
of :class:`~nitro.sql.SQLQuery` that have a backend-neutral meaning and evaluates them
through the generic :class:`~nitro.persistence.EntityQuery`. The SQL-only ones (joins,
eager loading, loader options, SQLAlchemy expressions, the SELECT statement) raise
:class:`~nitro.persistence.UnsupportedOperation` naming the backend and what to use.
"""

from __future__ import annotations

import asyncio
import math
from dataclasses import dataclass
from typing import Any, Generic, NoReturn, TypeVar

from sqlalchemy.sql.elements import ClauseElement

from nitro.persistence import EntityLike, EntityQuery, InvalidQuery, Query, UnsupportedOperation
from nitro.persistence.registry import repository_for
from nitro.specification import Specification
from nitro.sql.errors import MultipleResults, NoResult

__all__ = ["Page", "PortableQuery", "TextContains"]

E = TypeVar("E", bound=EntityLike)
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Page(Generic[E]):
    """One page of results: :attr:`items`, the :attr:`total` count and page numbers."""

    items: list[E]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        """How many pages there are (0 when there is nothing)."""
        return math.ceil(self.total / self.per_page)

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def has_previous(self) -> bool:
        return self.page > 1


class TextContains(Specification[Any]):
    """Any of *fields* contains *needle*, ignoring case (``search()`` off SQL)."""

    def __init__(self, fields: list[str], needle: str) -> None:
        self.fields = fields
        self.needle = needle.casefold()

    def is_satisfied_by(self, candidate: Any) -> bool:
        for name in self.fields:
            value = getattr(candidate, name, None)
            if value is not None and self.needle in str(value).casefold():
                return True
        return False


class PortableQuery(EntityQuery[E]):
    """:class:`~nitro.sql.SQLQuery`'s surface over any repository (see the module docs)."""

    __slots__ = ()

    def _sql_only(self, call: str, instead: str) -> NoReturn:
        repo = repository_for(self.entity_cls)
        raise UnsupportedOperation(
            f"{self.entity_cls.__name__}.query().{call} needs SQL, but "
            f"{self.entity_cls.__name__} is stored by {repo!r}; {instead}"
        )

    def _copy(self, query: Query) -> PortableQuery[E]:
        query.check_fields(self.entity_cls)
        return PortableQuery(self.entity_cls, query)

    # -- building ---------------------------------------------------------------------

    def where(self, *conditions: Any, **field_values: Any) -> PortableQuery[E]:
        """Add conditions: specifications and ``field=value`` keywords."""
        for condition in conditions:
            if isinstance(condition, ClauseElement):
                self._sql_only(
                    "where(<SQLAlchemy expression>)",
                    "use field=value keywords or a Specification (nitro.specification)",
                )
        found = super().where(*conditions, **field_values)
        return PortableQuery(self.entity_cls, found.spec)

    def search(
        self, value: str, fields: list[str] | tuple[str, ...] | None = None
    ) -> PortableQuery[E]:
        """Keep entities where any of *fields* (default: every str field) contains
        *value*, ignoring case."""
        if not isinstance(value, str):
            raise TypeError(f"search() takes a str, got {type(value).__name__}")
        model_fields = self.entity_cls.__pydantic_fields__
        if fields is None:
            names = [n for n, info in model_fields.items() if n != "id" and info.annotation is str]
        else:
            names = list(fields)
            if names:
                Query(order_by=tuple(names)).check_fields(self.entity_cls)
        if not value or not names:
            return self
        return self.where(TextContains(names, value))

    def order_by(self, *keys: Any) -> PortableQuery[E]:
        """Sort by field names (``"-price"`` descending); replaces earlier ordering."""
        for key in keys:
            if not isinstance(key, str):
                self._sql_only("order_by(<SQLAlchemy clause>)", 'sort by field names ("-price")')
        return self._copy(Query(self.spec.where, tuple(keys), self.spec.limit, self.spec.offset))

    def limit(self, count: int | None) -> PortableQuery[E]:
        return self._copy(Query(self.spec.where, self.spec.order_by, count, self.spec.offset))

    def offset(self, count: int) -> PortableQuery[E]:
        return self._copy(Query(self.spec.where, self.spec.order_by, self.spec.limit, count))

    def window(self, limit: int | None, offset: int = 0) -> PortableQuery[E]:
        """``limit(limit).offset(offset)`` in one call."""
        return self._copy(Query(self.spec.where, self.spec.order_by, limit, offset))

    def join(self, target: Any, onclause: Any = None, *, isouter: bool = False) -> NoReturn:
        self._sql_only(
            "join()", "filter on this class's own fields, or load the related entities by id"
        )

    def eager(self, *relationships: Any, strategy: str = "selectin") -> NoReturn:
        self._sql_only("eager()", "load the related entities with their own get()/filter()")

    def options(self, *options: Any) -> NoReturn:
        self._sql_only("options()", "drop the SQLAlchemy loader options")

    @property
    def statement(self) -> NoReturn:
        self._sql_only("statement", "there is no SELECT to show")

    # -- running --------------------------------------------------------------------------

    def one(self) -> E:
        """The single matching entity; :class:`~nitro.sql.NoResult` or
        :class:`~nitro.sql.MultipleResults` otherwise."""
        limit = 2 if self.spec.limit is None else min(2, self.spec.limit)
        return _one(self.entity_cls, self.limit(limit).all())

    def exists(self) -> bool:
        """Whether anything matches."""
        return self.first() is not None

    def paginate(self, page: int = 1, per_page: int = 20) -> Page[E]:
        """Page *page* (from 1) of *per_page* entities (a :class:`~nitro.sql.Page`)."""
        _check_page(page, per_page)
        total = self.count()
        items = self.window(per_page, (page - 1) * per_page).all()
        return Page(items=items, total=total, page=page, per_page=per_page)

    async def aone(self) -> E:
        limit = 2 if self.spec.limit is None else min(2, self.spec.limit)
        return _one(self.entity_cls, await self.limit(limit).aall())

    async def aexists(self) -> bool:
        return await self.afirst() is not None

    async def apaginate(self, page: int = 1, per_page: int = 20) -> Page[E]:
        return await asyncio.to_thread(self.paginate, page, per_page)


def _one(entity_cls: type[Any], found: list[T]) -> T:
    if not found:
        raise NoResult(f"no {entity_cls.__name__} matches the query")
    if len(found) > 1:
        raise MultipleResults(f"more than one {entity_cls.__name__} matches the query")
    return found[0]


def _check_page(page: int, per_page: int) -> None:
    if type(page) is not int or page < 1:
        raise InvalidQuery(f"page must be an int >= 1, got {page!r}")
    if type(per_page) is not int or per_page < 1:
        raise InvalidQuery(f"per_page must be an int >= 1, got {per_page!r}")
