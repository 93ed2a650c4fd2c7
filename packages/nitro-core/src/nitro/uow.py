"""Unit of work: several repository operations that succeed or fail together.

.. code-block:: python

    with UnitOfWork(orders=Order, products=Product) as uow:
        uow.orders.save(order)
        uow.products.save(product)
        uow.publish(order_placed, order)  # sent only after the commit succeeded
        uow.commit()  # nothing is kept without this line

    async with UnitOfWork(orders=Order) as uow:
        await uow.orders.save(order)
        await uow.commit()

The rules, the same for every implementation:

* leaving the block without :meth:`~BaseUnitOfWork.commit` (or with an exception)
  rolls back everything done in it;
* a unit opened inside another one of the same kind is *nested*: its rollback undoes
  only its own work, its commit hands its work (and events) to the outer unit;
* events queued with :meth:`~BaseUnitOfWork.publish` are sent after the outermost
  commit succeeded, and dropped on rollback;
* repositories are reachable by attribute after registration (``uow.orders``); inside
  ``async with`` their methods, ``commit()`` and ``rollback()`` return awaitables.

This module holds the :class:`UnitOfWork` protocol, the shared machinery
(:class:`BaseUnitOfWork`) and :class:`MemoryUnitOfWork`, which buffers writes and
applies them to the entities' repositories on commit (a fake for tests, and the unit
for backends without transactions). nitro-sql's ``UnitOfWork`` is a real transaction.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Generator, Mapping
from contextvars import ContextVar, Token
from types import TracebackType
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, Self, runtime_checkable

if TYPE_CHECKING:
    from nitro.events import Event

__all__ = [
    "BaseUnitOfWork",
    "MemoryUnitOfWork",
    "UnitOfWork",
    "UnitRepository",
    "current_unit",
    "publish",
]

_current: ContextVar[BaseUnitOfWork | None] = ContextVar("nitro_current_unit", default=None)


@runtime_checkable
class UnitOfWork(Protocol):
    """What every unit of work offers (see the module docs for the rules)."""

    def __enter__(self) -> Self: ...
    def __exit__(self, *exc_info: object) -> None: ...
    async def __aenter__(self) -> Self: ...
    async def __aexit__(self, *exc_info: object) -> None: ...
    def commit(self) -> Awaitable[None]: ...
    def rollback(self) -> Awaitable[None]: ...
    def register(self, name: str, entity_cls: type[Any]) -> None: ...
    def publish(self, evt: Event, sender: Any = None, /, **kwargs: Any) -> None: ...


def current_unit() -> BaseUnitOfWork | None:
    """The innermost unit of work active in this thread or task, if any."""
    return _current.get()


def publish(evt: Event, sender: Any = None, /, **kwargs: Any) -> None:
    """Send *evt* after the active unit of work commits, or now when none is active."""
    unit = _current.get()
    if unit is None:
        evt.send(sender, **kwargs)
    else:
        unit.publish(evt, sender, **kwargs)


class _Done:
    """What ``commit()`` returns in a sync unit: already finished, yet awaitable."""

    __slots__ = ()

    def __await__(self) -> Generator[Any, None, None]:
        yield from ()


_DONE = _Done()


class BaseUnitOfWork:
    """The machinery shared by every unit of work; subclasses implement the hooks
    :meth:`_begin`, :meth:`_commit`, :meth:`_rollback` and the ``_save``/``_get``/...
    operations behind :class:`UnitRepository`.

    Register repositories with keyword arguments (``UnitOfWork(orders=Order)``), with
    :meth:`register`, or declaratively in a subclass (``repositories = {"orders": Order}``).
    """

    #: Repositories every instance of the class offers, by attribute name.
    repositories: ClassVar[Mapping[str, type[Any]]] = {}

    def __init__(self, **repositories: type[Any]) -> None:
        self._repositories: dict[str, type[Any]] = {**type(self).repositories}
        for name, entity_cls in repositories.items():
            self.register(name, entity_cls)
        #: The outer unit this one nests in and hands its work to (same kind only).
        self.parent: BaseUnitOfWork | None = None
        #: Whatever unit was active when this one started, of any kind.
        self.enclosing: BaseUnitOfWork | None = None
        self.is_async = False
        self.active = False
        self._events: list[tuple[Event, Any, dict[str, Any]]] = []
        self._token: Token[BaseUnitOfWork | None] | None = None

    # -- registration ---------------------------------------------------------------

    def register(self, name: str, entity_cls: type[Any]) -> None:
        """Make ``uow.<name>`` the repository of *entity_cls* inside this unit."""
        if not name.isidentifier() or name.startswith("_") or hasattr(type(self), name):
            raise ValueError(
                f"cannot register a repository as {name!r}: use a public identifier that "
                f"is not already an attribute of {type(self).__name__}"
            )
        self._repositories[name] = entity_cls

    def __getattr__(self, name: str) -> UnitRepository:
        repositories = self.__dict__.get("_repositories", {})
        if name in repositories:
            return UnitRepository(self, repositories[name])
        raise AttributeError(
            f"{type(self).__name__} has no repository {name!r}; registered: "
            f"{', '.join(repositories) or 'none'}. Register it with "
            f"{type(self).__name__}({name}=EntityClass) or uow.register({name!r}, EntityClass)"
        )

    # -- events -----------------------------------------------------------------------

    def publish(self, evt: Event, sender: Any = None, /, **kwargs: Any) -> None:
        """Queue *evt*; it is sent after the outermost commit and dropped on rollback."""
        self._events.append((evt, sender, kwargs))

    def _send_events(self) -> None:
        events, self._events = self._events, []
        for evt, sender, kwargs in events:
            evt.send(sender, **kwargs)

    async def _asend_events(self) -> None:
        events, self._events = self._events, []
        for evt, sender, kwargs in events:
            await evt.asend(sender, **kwargs)

    # -- nesting ----------------------------------------------------------------------

    @property
    def nested(self) -> bool:
        """Whether this unit runs inside an outer one it hands its work to."""
        return self.parent is not None

    def _joins(self, outer: BaseUnitOfWork) -> bool:
        """Whether this unit nests inside *outer* (default: the same class)."""
        return type(outer) is type(self)

    # -- the context-manager protocol ------------------------------------------------

    def _enter(self, is_async: bool) -> None:
        if self.active:
            raise RuntimeError(f"{type(self).__name__} is already active; create a new one")
        outer = _current.get()
        self.enclosing = outer
        self.parent = outer if outer is not None and self._joins(outer) else None
        self.is_async = is_async
        self._events = []

    def _activate(self) -> None:
        self.active = True
        self._token = _current.set(self)

    def _leave(self) -> None:
        self.active = False
        if self._token is not None:
            try:
                _current.reset(self._token)
            except ValueError:  # left in another context (an odd async shape)
                _current.set(self.enclosing)
            self._token = None

    def __enter__(self) -> Self:
        self._enter(is_async=False)
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
            self._events.clear()
        finally:
            self._leave()

    async def __aenter__(self) -> Self:
        self._enter(is_async=True)
        await self._run_async(self._begin)
        self._activate()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            await self._run_async(self._rollback)
            self._events.clear()
        finally:
            self._leave()

    # -- commit / rollback ------------------------------------------------------------

    def commit(self) -> Awaitable[None]:
        """Keep the work done so far. In an ``async with`` unit, await the result."""
        self._check_active("commit")
        if self.is_async:
            return self._acommit()
        self._commit()
        self._after_commit()
        return _DONE

    async def _acommit(self) -> None:
        await self._run_async(self._commit)
        if self.parent is not None:
            self._hand_events_to_parent()
        else:
            await self._asend_events()

    def _after_commit(self) -> None:
        if self.parent is not None:
            self._hand_events_to_parent()
        else:
            self._send_events()

    def _hand_events_to_parent(self) -> None:
        assert self.parent is not None
        self.parent._events.extend(self._events)
        self._events = []

    def rollback(self) -> Awaitable[None]:
        """Undo the work not yet committed (leaving the block does it too)."""
        self._check_active("rollback")
        self._events.clear()
        if self.is_async:
            return self._run_async(self._rollback)
        self._rollback()
        return _DONE

    def _check_active(self, what: str) -> None:
        if not self.active:
            raise RuntimeError(
                f"{type(self).__name__}.{what}() outside its 'with' block; "
                f"call it inside 'with {type(self).__name__}() as uow:'"
            )

    async def _run_async(self, fn: Callable[..., Any], *args: Any) -> Any:
        """Run a blocking hook from async code (a worker thread unless overridden)."""
        return await asyncio.to_thread(fn, *args)

    # -- hooks for implementations ---------------------------------------------------

    def _begin(self) -> None:
        """Start the unit's work (a transaction, a savepoint, a buffer)."""

    def _commit(self) -> None:
        """Make the work permanent (or hand it to :attr:`parent`)."""

    def _rollback(self) -> None:
        """Discard the uncommitted work; must be harmless when there is none."""

    def _save(self, entity: Any, ttl: float | None) -> bool:
        raise NotImplementedError

    def _add(self, entity: Any) -> bool:
        raise NotImplementedError

    def _get(self, entity_cls: type[Any], entity_id: str) -> Any:
        raise NotImplementedError

    def _delete(self, entity_cls: type[Any], entity_id: str) -> bool:
        raise NotImplementedError

    def _filter(self, entity_cls: type[Any], spec: Any, field_values: dict[str, Any]) -> Any:
        raise NotImplementedError


class UnitRepository:
    """``uow.orders``: the repository of one entity class, inside one unit of work.

    In an ``async with`` unit every method returns an awaitable.
    """

    __slots__ = ("entity_cls", "unit")

    def __init__(self, unit: BaseUnitOfWork, entity_cls: type[Any]) -> None:
        self.unit = unit
        self.entity_cls = entity_cls

    def __repr__(self) -> str:
        return f"<UnitRepository {self.entity_cls.__name__} of {type(self.unit).__name__}>"

    def _call(self, fn: Callable[..., Any], *args: Any) -> Any:
        self.unit._check_active("repository access")
        if self.unit.is_async:
            return self.unit._run_async(fn, *args)
        return fn(*args)

    def _check(self, entity: Any) -> None:
        if type(entity) is not self.entity_cls:
            raise TypeError(
                f"{self!r} stores {self.entity_cls.__name__} entities, got {type(entity).__name__}"
            )

    def save(self, entity: Any, ttl: float | None = None) -> Any:
        """Insert or replace *entity* as part of the unit."""
        self._check(entity)
        return self._call(self.unit._save, entity, ttl)

    def add(self, entity: Any) -> Any:
        """Insert *entity*; an entity already stored with its id is an error."""
        self._check(entity)
        return self._call(self.unit._add, entity)

    def get(self, entity_id: str) -> Any:
        """The entity with *entity_id* as this unit sees it, or ``None``."""
        return self._call(self.unit._get, self.entity_cls, entity_id)

    def delete(self, entity_or_id: Any) -> Any:
        """Delete an entity (or the entity with that id) as part of the unit."""
        entity_id = getattr(entity_or_id, "id", entity_or_id)
        return self._call(self.unit._delete, self.entity_cls, entity_id)

    def filter(self, spec: Any = None, /, **field_values: Any) -> Any:
        """Entities matching *spec* and the keyword field values."""
        return self._call(self.unit._filter, self.entity_cls, spec, field_values)

    def all(self) -> Any:
        """Every entity of the class as this unit sees it."""
        return self._call(self.unit._filter, self.entity_cls, None, {})


_DELETED = object()


class MemoryUnitOfWork(BaseUnitOfWork):
    """A unit of work that buffers writes and applies them on the outermost commit.

    Works over any repository (it calls ``entity_cls.repository()`` on commit), which
    makes it the fake for testing services and the unit for stores without
    transactions. Reads through ``uow.<name>`` see the unit's own pending writes.
    Writes made directly with ``entity.save()`` are not buffered.
    """

    def __init__(self, **repositories: type[Any]) -> None:
        super().__init__(**repositories)
        # (entity class, id) -> (entity copy, ttl) or _DELETED, in write order.
        self._pending: dict[tuple[type[Any], str], Any] = {}
        self.committed = False

    async def _run_async(self, fn: Callable[..., Any], *args: Any) -> Any:
        return fn(*args)  # nothing here blocks

    def _begin(self) -> None:
        self._pending = {}

    def _commit(self) -> None:
        pending, self._pending = self._pending, {}
        if self.parent is not None:
            assert isinstance(self.parent, MemoryUnitOfWork)
            self.parent._pending.update(pending)
            return
        for (entity_cls, entity_id), value in pending.items():
            repo = entity_cls.repository()
            if value is _DELETED:
                repo.delete(entity_id)
            else:
                repo.save(*value)
        self.committed = True

    def _rollback(self) -> None:
        self._pending = {}

    def _lookup(self, entity_cls: type[Any], entity_id: str) -> Any:
        unit: BaseUnitOfWork | None = self
        while isinstance(unit, MemoryUnitOfWork):
            value = unit._pending.get((entity_cls, entity_id))
            if value is not None:
                return value
            unit = unit.parent
        return None

    def _save(self, entity: Any, ttl: float | None) -> bool:
        self._pending[(type(entity), entity.id)] = (entity.model_copy(deep=True), ttl)
        return True

    def _add(self, entity: Any) -> bool:
        if self._get(type(entity), entity.id) is not None:
            raise ValueError(f"{type(entity).__name__} with id {entity.id!r} already exists")
        return self._save(entity, None)

    def _get(self, entity_cls: type[Any], entity_id: str) -> Any:
        value = self._lookup(entity_cls, entity_id)
        if value is _DELETED:
            return None
        if value is not None:
            return value[0].model_copy(deep=True)
        return entity_cls.repository().get(entity_id)

    def _delete(self, entity_cls: type[Any], entity_id: str) -> bool:
        existed = self._get(entity_cls, entity_id) is not None
        self._pending[(entity_cls, entity_id)] = _DELETED
        return existed

    def _filter(self, entity_cls: type[Any], spec: Any, field_values: dict[str, Any]) -> Any:
        from nitro.persistence.base import combine
        from nitro.persistence.query import Query

        query = Query(where=combine(spec, field_values))
        query.check_fields(entity_cls)
        pending = self._pending_chain(entity_cls)
        candidates = [e for e in entity_cls.repository().all() if (entity_cls, e.id) not in pending]
        candidates.extend(
            value[0].model_copy(deep=True) for value in pending.values() if value is not _DELETED
        )
        return query.apply(candidates)

    def _pending_chain(self, entity_cls: type[Any]) -> dict[tuple[type[Any], str], Any]:
        chain: list[MemoryUnitOfWork] = []
        unit: BaseUnitOfWork | None = self
        while isinstance(unit, MemoryUnitOfWork):
            chain.append(unit)
            unit = unit.parent
        merged: dict[tuple[type[Any], str], Any] = {}
        for member in reversed(chain):
            for key, value in member._pending.items():
                if key[0] is entity_cls:
                    merged[key] = value
        return merged
