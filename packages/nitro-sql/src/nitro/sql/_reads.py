"""SQLModelBackend's reads and queries, a mixin of :class:`~nitro.sql.SQLModelBackend`.

They live apart from the writes and the connection handling in :mod:`nitro.sql.backend`
to keep each file to one job; as inherited methods they cost nothing extra per call
(``get`` runs on every request).
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Any, TypeVar

import sqlalchemy as sa

from nitro.persistence import EntityLike, Query, Repository
from nitro.persistence.base import sync_in_thread
from nitro.persistence.locking import reading_for_update
from nitro.specification import Specification
from nitro.sql._driver_errors import _refused_values
from nitro.sql._turns import row_turn
from nitro.sql.specs import split, warn_in_memory
from nitro.sql.uow import SQLRepository

if TYPE_CHECKING:
    from contextlib import AbstractContextManager

    from nitro.sql.config import Database
    from nitro.sql.uow import SQLUnit

E = TypeVar("E", bound=EntityLike)


class SQLReads(Repository[E], SQLRepository):
    """The reading half of :class:`~nitro.sql.SQLModelBackend`, which provides the
    connections."""

    if TYPE_CHECKING:

        def connection(self, *, write: bool = False) -> AbstractContextManager[sa.Connection]:
            """Defined by SQLModelBackend."""

        def unit(self, database: Database | None = None) -> SQLUnit | None:
            """Defined by SQLModelBackend."""

    def live_select(self) -> sa.Select[Any]:
        """``SELECT`` of this class's entities, expired rows excluded."""
        statement = self.mapping.select()
        live = self.mapping.live(time.time())
        return statement if live is None else statement.where(live)

    def fetch(self, statement: sa.Select[Any]) -> list[E]:
        """Run an entity ``SELECT`` (from :meth:`live_select`) and return entities."""
        with self.connection() as conn, _refused_values(self.entity_cls):
            return self.mapping.load(conn, statement)

    def scalar(self, statement: sa.Select[Any]) -> Any:
        with self.connection() as conn, _refused_values(self.entity_cls):
            return conn.execute(statement).scalar()

    def get(self, entity_id: str) -> E | None:
        if type(entity_id) is not str:
            self.check_id(entity_id)
        statement = self.live_select().where(self.mapping.id_column == entity_id)
        if reading_for_update() and self.unit() is not None:
            # locked until the unit's transaction ends (nitro.persistence.for_update);
            # SQLite renders no FOR UPDATE: its transactions write one at a time
            statement = statement.with_for_update(of=self.mapping.table)
        found = self.fetch(statement)
        return found[0] if found else None

    @sync_in_thread
    async def aget(self, entity_id: str) -> E | None:
        if reading_for_update():  # wait for the row on the event loop, not in a thread
            await row_turn(self.database, self.mapping.table.name, str(entity_id))
        return await asyncio.to_thread(self.get, entity_id)

    def exists(self, entity_id: str) -> bool:
        if type(entity_id) is not str:
            self.check_id(entity_id)
        statement = sa.select(sa.literal(1)).select_from(self.mapping.table)
        statement = statement.where(self.mapping.id_column == entity_id)
        live = self.mapping.live(time.time())
        if live is not None:
            statement = statement.where(live)
        return self.scalar(statement) is not None

    def conditions(
        self, where: Specification[Any] | None
    ) -> tuple[list[Any], Specification[Any] | None]:
        """The SQL conditions for *where* and the part left for memory (warned about)."""
        conditions, rest = split(
            where, self.entity_cls, self.mapping.equals, columns=self.mapping.columns
        )
        if rest is not None:
            warn_in_memory(self.entity_cls, rest)
        return conditions, rest

    def find(self, query: Query) -> list[E]:
        query.check_fields(self.entity_cls)
        conditions, rest = self.conditions(query.where)
        order = [self.mapping.order(name, desc) for name, desc in query.sort_keys()]
        clauses = [clause for clause in order if clause is not None]
        if rest is None and len(clauses) == len(order):
            if query.offset and query.limit is not None:
                return self.fetch(self._deferred_join(conditions, clauses, query))
            statement = self.live_select().where(*conditions).order_by(*clauses)
            if query.limit is not None:
                statement = statement.limit(query.limit)
            return self.fetch(statement.offset(query.offset or None))
        # Part of it has no SQL form: filter, sort and window in memory.
        statement = self.live_select().where(*conditions)
        return Query(rest, query.order_by, query.limit, query.offset).apply(self.fetch(statement))

    def _deferred_join(
        self, conditions: list[Any], clauses: list[Any], query: Query
    ) -> sa.Select[Any]:
        """A window far into the list as a *deferred join*: the ids of the window
        first (``SELECT id ... ORDER BY ... LIMIT ... OFFSET ...``), then the rows
        of those ids, in one statement.

        ``OFFSET`` still walks the skipped rows, but only their ids: with an index
        holding the ``WHERE`` columns, the sort columns and ``id`` (``(price, id)``;
        ``(in_stock, price, id)`` for ``in_stock = 1 ORDER BY price, id``) the walk
        stays inside the index, and only the rows shown are read from the table.
        Without such an index it costs what the plain ``OFFSET`` costs.
        """
        ids = sa.select(self.mapping.id_column).where(*conditions)
        live = self.mapping.live(time.time())
        if live is not None:
            ids = ids.where(live)
        window = ids.order_by(*clauses).limit(query.limit).offset(query.offset).subquery("window")
        statement = self.mapping.select().join_from(
            self.mapping.table, window, self.mapping.id_column == window.c.id
        )
        return statement.order_by(*clauses)

    def count(self, where: Specification[Any] | None = None) -> int:
        return self._count(where, None)

    def count_at_most(self, where: Specification[Any] | None, limit: int) -> int:
        """``SELECT count(*) FROM (SELECT 1 ... LIMIT :limit)``: the count stops at
        *limit* rows instead of reading every match."""
        self.check_limit(limit)
        return self._count(where, limit)

    def _count(self, where: Specification[Any] | None, limit: int | None) -> int:
        Query(where=where).check_fields(self.entity_cls)
        conditions, rest = self.conditions(where)
        if rest is not None:
            found = Query(rest).apply(self.fetch(self.live_select().where(*conditions)))
            return len(found) if limit is None else min(len(found), limit)
        live = self.mapping.live(time.time())
        if live is not None:
            conditions = [*conditions, live]
        if limit is None:
            statement = sa.select(sa.func.count()).select_from(self.mapping.table)
            return int(self.scalar(statement.where(*conditions)))
        matches = sa.select(sa.literal(1)).select_from(self.mapping.table).where(*conditions)
        capped = matches.limit(limit).subquery("matches")
        return int(self.scalar(sa.select(sa.func.count()).select_from(capped)))
