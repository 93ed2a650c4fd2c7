"""``SQLEntity.query()``: an immutable query builder that compiles to one SELECT.

.. code-block:: python

    page = (
        Product.query()
        .where(Product.price < 100, in_stock=True)  # expressions and equality
        .where(InStock() | OnSale())  # specifications
        .join(Category, Product.category_id == Category.id)
        .order_by(Product.created_at.desc())  # or "-created_at"
        .eager("category")  # relationships loaded up front
        .paginate(page=3, per_page=20)
    )
    page.items, page.total, page.pages

Every method returns a new query. Conditions are ANDed; use ``|``, ``&`` and ``~``
(or :func:`sqlalchemy.or_`) on expressions and specifications for OR and NOT.
Without ``order_by`` results come in id (creation) order. With it, the order is
exactly the given keys: when they can tie, end with a unique one
(``.order_by(Product.price, Product.id)``) so that pages never overlap.
"""

from __future__ import annotations

import asyncio
from typing import Any, Generic, Literal, TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.sql.elements import ClauseElement

from nitro.persistence import EntityLike, InvalidQuery, Query, repository_for
from nitro.specification import AndSpecification, Specification, where
from nitro.sql._mapping import ColumnMapping
from nitro.sql._portable import Page, PortableQuery, _check_page, _one
from nitro.sql.backend import SQLModelBackend
from nitro.sql.specs import split, warn_in_memory

__all__ = ["Page", "SQLQuery", "query_for"]

E = TypeVar("E", bound=EntityLike)


class SQLQuery(Generic[E]):
    """A query over one :class:`~nitro.sql.SQLEntity` class (see the module docs)."""

    __slots__ = (
        "_conditions",
        "_joins",
        "_limit",
        "_offset",
        "_options",
        "_order",
        "_rest",
        "entity_cls",
    )

    def __init__(self, entity_cls: type[E]) -> None:
        self.entity_cls = entity_cls
        self._conditions: tuple[Any, ...] = ()
        self._rest: Specification[Any] | None = None
        self._order: tuple[Any, ...] = ()
        self._limit: int | None = None
        self._offset = 0
        self._joins: tuple[tuple[Any, Any, bool], ...] = ()
        self._options: tuple[Any, ...] = ()

    def _copy(self, **changes: Any) -> SQLQuery[E]:
        new = SQLQuery.__new__(SQLQuery)
        for name in SQLQuery.__slots__:
            object.__setattr__(new, name, changes.get(name, getattr(self, name)))
        return new

    @property
    def _mapping(self) -> ColumnMapping:
        return self._backend().mapping  # type: ignore[return-value]

    def _backend(self) -> SQLModelBackend[E]:
        repo = repository_for(self.entity_cls)
        if not isinstance(repo, SQLModelBackend) or not isinstance(repo.mapping, ColumnMapping):
            raise TypeError(
                f"{self.entity_cls.__name__}.query() needs a SQLModelBackend repository, "
                f"got {repo!r}"
            )
        return repo

    # -- building ---------------------------------------------------------------------

    def where(self, *conditions: Any, **field_values: Any) -> SQLQuery[E]:
        """Add conditions: SQLAlchemy expressions, specifications, ``field=value``."""
        mapping = self._mapping
        added: list[Any] = []
        rest: list[Specification[Any]] = [] if self._rest is None else [self._rest]
        if field_values:
            Query(where=where(**field_values)).check_fields(self.entity_cls)
            added.extend(mapping.equals(name, value) for name, value in field_values.items())
        for condition in conditions:
            if isinstance(condition, Specification):
                Query(where=condition).check_fields(self.entity_cls)
                sql, leftover = split(condition, self.entity_cls, mapping.equals, columns=True)
                added.extend(sql)
                if leftover is not None:
                    rest.append(leftover)
            elif isinstance(condition, ClauseElement):
                added.append(condition)
            else:
                raise TypeError(
                    f"where() takes SQLAlchemy expressions (Product.price < 100), "
                    f"specifications or field=value keywords, got {type(condition).__name__} "
                    f"{condition!r}"
                )
        combined = None if not rest else rest[0] if len(rest) == 1 else AndSpecification(*rest)
        return self._copy(_conditions=self._conditions + tuple(added), _rest=combined)

    def search(self, value: str, fields: list[str] | tuple[str, ...] | None = None) -> SQLQuery[E]:
        """Keep entities where any of *fields* (default: every text column) contains
        *value*, ignoring case; ``%`` and ``_`` in *value* match themselves."""
        if not isinstance(value, str):
            raise TypeError(f"search() takes a str, got {type(value).__name__}")
        mapping = self._mapping
        if fields is None:
            names = [
                n for n in self.entity_cls.__pydantic_fields__ if n != "id" and _is_text(mapping, n)
            ]
        else:
            names = list(fields)
            if names:
                Query(order_by=tuple(names)).check_fields(self.entity_cls)
        if not value or not names:
            return self
        needle = value.lower()
        matches = []
        for name in names:
            column = mapping.column(name)
            assert column is not None
            text = column if _is_text(mapping, name) else sa.cast(column, sa.String)
            matches.append(sa.func.lower(text).contains(needle, autoescape=True))
        return self._copy(_conditions=(*self._conditions, sa.or_(*matches)))

    def order_by(self, *keys: Any) -> SQLQuery[E]:
        """Sort by field names (``"-price"`` descending) or SQLAlchemy clauses
        (``Product.created_at.desc()``); replaces earlier ordering."""
        mapping = self._mapping
        clauses = []
        names = [key for key in keys if isinstance(key, str)]
        if names:
            Query(order_by=tuple(names)).check_fields(self.entity_cls)
        for key in keys:
            if isinstance(key, str):
                clauses.append(mapping.order(key.lstrip("-"), key.startswith("-")))
            elif isinstance(key, ClauseElement) or hasattr(key, "__clause_element__"):
                clauses.append(key)
            else:
                raise TypeError(f"order_by() takes field names or SQLAlchemy clauses, got {key!r}")
        return self._copy(_order=tuple(clauses))

    def limit(self, count: int | None) -> SQLQuery[E]:
        if count is not None and (type(count) is not int or count < 0):
            raise InvalidQuery(f"limit must be None or an int >= 0, got {count!r}")
        return self._copy(_limit=count)

    def offset(self, count: int) -> SQLQuery[E]:
        if type(count) is not int or count < 0:
            raise InvalidQuery(f"offset must be an int >= 0, got {count!r}")
        return self._copy(_offset=count)

    def window(self, limit: int | None, offset: int = 0) -> SQLQuery[E]:
        """``limit(limit).offset(offset)`` in one call."""
        return self.limit(limit).offset(offset)

    def join(self, target: Any, onclause: Any = None, *, isouter: bool = False) -> SQLQuery[E]:
        """Join another table (to filter or sort on it): ``.join(Category,
        Product.category_id == Category.id)``; the onclause may be omitted when a
        foreign key or relationship makes it unambiguous."""
        return self._copy(_joins=(*self._joins, (target, onclause, isouter)))

    def eager(
        self, *relationships: Any, strategy: Literal["selectin", "joined"] = "selectin"
    ) -> SQLQuery[E]:
        """Load *relationships* (names or attributes) with the entities, so reading them
        later issues no query: ``selectin`` is one extra SELECT per relationship,
        ``joined`` none (a JOIN)."""
        loader = selectinload if strategy == "selectin" else joinedload
        options = []
        for relationship in relationships:
            if isinstance(relationship, str):
                if relationship not in self.entity_cls.__sqlmodel_relationships__:  # type: ignore[attr-defined]
                    raise InvalidQuery(
                        f"{relationship!r} is not a relationship of {self.entity_cls.__name__}"
                    )
                relationship = getattr(self.entity_cls, relationship)
            options.append(loader(relationship))
        return self.options(*options)

    def options(self, *options: Any) -> SQLQuery[E]:
        """Add SQLAlchemy loader options (``selectinload(...)``, ``load_only(...)``)."""
        return self._copy(_options=self._options + options)

    # -- the statements -----------------------------------------------------------------

    def _filtered(self, backend: SQLModelBackend[E], select: sa.Select[Any]) -> sa.Select[Any]:
        for target, onclause, isouter in self._joins:
            select = select.join(target, onclause, isouter=isouter)
        return select.where(*self._conditions) if self._conditions else select

    def _ordered(self, select: sa.Select[Any]) -> sa.Select[Any]:
        # No id tie-breaker after explicit keys: it would stop the database from
        # walking an index on the sort column (2x slower on a paged listing).
        return (
            select.order_by(*self._order)
            if self._order
            else select.order_by(self._mapping.id_column)
        )

    @property
    def statement(self) -> sa.Select[Any]:
        """The SELECT this query runs (for logging, debugging or ``.explain``)."""
        backend = self._backend()
        select = self._ordered(self._filtered(backend, backend.live_select()))
        if self._options:
            select = select.options(*self._options)
        if self._rest is None:
            select = select.offset(self._offset or None)
            if self._limit is not None:
                select = select.limit(self._limit)
        return select

    def _run(self, limit: int | None, offset: int) -> list[E]:
        backend = self._backend()
        select = self._ordered(self._filtered(backend, backend.live_select()))
        if self._options:
            select = select.options(*self._options)
        if self._rest is None:
            if offset:
                select = select.offset(offset)
            if limit is not None:
                select = select.limit(limit)
            return backend.fetch(select)
        warn_in_memory(self.entity_cls, self._rest)
        rest = self._rest
        items = [item for item in backend.fetch(select) if rest(item)]
        return items[offset : None if limit is None else offset + limit]

    # -- running --------------------------------------------------------------------------

    def all(self) -> list[E]:
        """The matching entities."""
        return self._run(self._limit, self._offset)

    def first(self) -> E | None:
        """The first matching entity, or ``None``."""
        found = self._run(1 if self._limit is None else min(1, self._limit), self._offset)
        return found[0] if found else None

    def one(self) -> E:
        """The single matching entity; :class:`~nitro.sql.NoResult` or
        :class:`~nitro.sql.MultipleResults` otherwise."""
        found = self._run(2 if self._limit is None else min(2, self._limit), self._offset)
        return _one(self.entity_cls, found)

    def count(self) -> int:
        """How many entities match (ignoring ordering, limit and offset)."""
        backend = self._backend()
        if self._rest is not None:
            return len(self._copy(_limit=None, _offset=0).all())
        id_column = self._mapping.id_column
        ids = self._filtered(backend, backend.live_select().with_only_columns(id_column))
        if self._joins:
            ids = ids.distinct()
        return int(backend.scalar(sa.select(sa.func.count()).select_from(ids.subquery())))

    def exists(self) -> bool:
        """Whether anything matches."""
        if self._rest is not None:
            return self.first() is not None
        backend = self._backend()
        ids = self._filtered(
            backend, backend.live_select().with_only_columns(self._mapping.id_column)
        )
        return bool(backend.scalar(sa.select(ids.exists())))

    def paginate(self, page: int = 1, per_page: int = 20) -> Page[E]:
        """Page *page* (from 1) of *per_page* entities, with the total and page count."""
        _check_page(page, per_page)
        total = self.count()
        items = self._run(per_page, (page - 1) * per_page)
        return Page(items=items, total=total, page=page, per_page=per_page)

    # -- async twins (the blocking work runs in a worker thread) ---------------------

    async def aall(self) -> list[E]:
        return await asyncio.to_thread(self.all)

    async def afirst(self) -> E | None:
        return await asyncio.to_thread(self.first)

    async def aone(self) -> E:
        return await asyncio.to_thread(self.one)

    async def acount(self) -> int:
        return await asyncio.to_thread(self.count)

    async def aexists(self) -> bool:
        return await asyncio.to_thread(self.exists)

    async def apaginate(self, page: int = 1, per_page: int = 20) -> Page[E]:
        return await asyncio.to_thread(self.paginate, page, per_page)


def query_for(entity_cls: type[E]) -> SQLQuery[E]:
    """``entity_cls.query()``: a :class:`SQLQuery` when a SQL table stores the class,
    else the generic :class:`~nitro.sql._portable.PortableQuery` with the same surface."""
    repo = repository_for(entity_cls)
    if isinstance(repo, SQLModelBackend) and isinstance(repo.mapping, ColumnMapping):
        return SQLQuery(entity_cls)
    return PortableQuery(entity_cls)  # type: ignore[return-value]


def _is_text(mapping: ColumnMapping, name: str) -> bool:
    column = mapping.column(name)
    if column is None:
        return False
    kind = column.type
    # SQLModel's AutoString is a TypeDecorator over String.
    return isinstance(kind, sa.String) or isinstance(getattr(kind, "impl", None), sa.String)
