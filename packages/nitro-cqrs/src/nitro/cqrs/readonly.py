"""The unit a query runs in: every repository reads as usual, and any write is an error.

Queries never change state; instead of trusting each handler, the bus makes that true
while the handler runs: ``order.save()``, ``Order.delete(...)`` or a write through
``uow.repo(Order)`` raise :class:`QueryWriteError` before touching the store.
"""

from __future__ import annotations

from typing import Any, ClassVar

from nitro.persistence import Repository
from nitro.uow import AsyncUnitOfWork, UnitOfWork
from nitro.uow._core import UnitCore

__all__ = ["AsyncReadOnlyUnit", "QueryWriteError", "ReadOnlyUnit"]

_WRITES = frozenset(
    {"save", "asave", "delete", "adelete", "clear", "aclear", "purge_expired", "insert", "update"}
)


class QueryWriteError(RuntimeError):
    """A query handler tried to write."""


class _ReadOnlyRepository:
    """A view of a repository whose reads pass through and whose writes raise."""

    __slots__ = ("_inner", "_query")

    def __init__(self, inner: Repository[Any], query: str) -> None:
        self._inner = inner
        self._query = query

    def __getattr__(self, name: str) -> Any:
        if name in _WRITES:
            raise QueryWriteError(
                f"{self._query} is a query and must not write ({name}() on "
                f"{self._inner!r}); send a Command to change state"
            )
        return getattr(self._inner, name)

    def __repr__(self) -> str:
        return f"ReadOnly({self._inner!r})"


class _ReadOnly(UnitCore):
    covers: ClassVar[str] = "it covers every repository, for reading"

    def __init__(self, query: str = "this handler") -> None:
        super().__init__()
        self.query = query
        self._views: dict[Repository[Any], Any] = {}

    def _joins(self, outer: UnitCore) -> bool:
        return False

    def view(self, repository: Repository[Any]) -> Any:
        found = self._views.get(repository)
        if found is None:
            found = self._views[repository] = _ReadOnlyRepository(
                self._outer_view(repository), self.query
            )
        return found

    def _outer_view(self, repository: Repository[Any]) -> Repository[Any]:
        """What the units around this one make of *repository* (a query asked inside a
        command reads that command's pending writes)."""
        unit = self.enclosing
        while unit is not None:
            view = unit.view(repository)
            if view is not None:
                return view
            unit = unit.enclosing
        return repository

    def publish(self, evt: Any, sender: Any = None, /, **kwargs: Any) -> None:
        raise QueryWriteError(f"{self.query} is a query and must not publish events")


class ReadOnlyUnit(_ReadOnly, UnitOfWork):
    """The unit a sync query handler runs in."""


class AsyncReadOnlyUnit(_ReadOnly, AsyncUnitOfWork):
    """The unit an async query handler runs in (no blocking hooks)."""

    blocking: ClassVar[bool] = False
