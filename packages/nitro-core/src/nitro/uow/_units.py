"""The two drivers over :class:`~nitro.uow._core.UnitCore`: ``with`` and ``async with``."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from types import TracebackType
from typing import Any, ClassVar, Self, TypeVar

from nitro import probe
from nitro.persistence.base import EntityLike
from nitro.uow._core import UnitCore
from nitro.uow._repository import AsyncUnitRepository, UnitRepository

__all__ = ["AsyncUnitOfWork", "UnitOfWork"]

E = TypeVar("E", bound=EntityLike)


class UnitOfWork(UnitCore):
    """A unit of work used with ``with``: leaving the block without :meth:`commit`
    (or with an exception) rolls back everything done in it.

    ``async with`` on a sync unit is accepted for convenience: it enters the
    equivalent :attr:`async_class` unit and binds that one.
    """

    #: The async twin that ``async with`` on this class enters.
    async_class: ClassVar[type[AsyncUnitOfWork] | None] = None

    def __enter__(self) -> Self:
        self._enter()
        self._begin()
        self._activate()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            self._rollback()
        finally:
            self._leave()

    def commit(self) -> None:
        """Keep the work done so far; then send the queued events (outermost unit)."""
        self._check_active("commit")
        if "uow" in probe.spanned and self.enclosing is None:
            with probe.span("uow", "commit", unit=type(self).__name__):
                self._commit()
        else:
            self._commit()
        self._committed = True
        for evt, sender, kwargs in self._take_events():
            evt.send(sender, **kwargs)

    def rollback(self) -> None:
        """Undo the work not yet committed (leaving the block does it too)."""
        self._check_active("rollback")
        self._events.clear()
        self._rollback()

    def repo(self, entity_cls: type[E]) -> UnitRepository[E]:
        """The repository of *entity_cls* inside this unit (typed)."""
        return UnitRepository(self, entity_cls)

    # -- async with on a sync unit -------------------------------------------------------

    def as_async(self) -> AsyncUnitOfWork:
        """The equivalent async unit (same repositories; subclasses add their settings)."""
        if self.async_class is None:
            raise TypeError(f"{type(self).__name__} has no async twin; use 'with'")
        return self.async_class(**self._repositories)

    async def __aenter__(self) -> Any:
        twin = self.__dict__["_async_twin"] = self.as_async()
        return await twin.__aenter__()

    async def __aexit__(self, *exc_info: Any) -> None:
        await self.__dict__.pop("_async_twin").__aexit__(*exc_info)


class AsyncUnitOfWork(UnitCore):
    """A unit of work used with ``async with``; :meth:`commit`, :meth:`rollback` and
    the methods of ``uow.repo(Order)`` are awaited. Blocking hooks run in a worker
    thread unless :attr:`blocking` is false."""

    #: Whether the hooks block (then they run in a worker thread).
    blocking: ClassVar[bool] = True

    async def _run(self, fn: Callable[[], Any]) -> Any:
        return await asyncio.to_thread(fn) if self.blocking else fn()

    async def __aenter__(self) -> Self:
        self._enter()
        await self._run(self._begin)
        self._activate()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            await self._run(self._rollback)
        finally:
            self._leave()

    async def commit(self) -> None:
        """Keep the work done so far; then send the queued events (outermost unit),
        awaiting async receivers."""
        self._check_active("commit")
        if "uow" in probe.spanned and self.enclosing is None:
            with probe.span("uow", "commit", unit=type(self).__name__):
                await self._acommit()
        else:
            await self._acommit()
        self._committed = True
        for evt, sender, kwargs in self._take_events():
            await evt.asend(sender, **kwargs)

    async def _acommit(self) -> None:
        await self._run(self._commit)

    async def rollback(self) -> None:
        """Undo the work not yet committed (leaving the block does it too)."""
        self._check_active("rollback")
        self._events.clear()
        await self._run(self._rollback)

    def repo(self, entity_cls: type[E]) -> AsyncUnitRepository[E]:
        """The repository of *entity_cls* inside this unit (typed; methods awaited)."""
        return AsyncUnitRepository(self, entity_cls)
