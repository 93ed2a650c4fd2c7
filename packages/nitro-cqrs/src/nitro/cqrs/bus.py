"""The message bus: who handles what, and the rules every message is run under.

.. code-block:: python

    bus = Bus()


    @bus.handles(PlaceOrder)
    def place_order(cmd: PlaceOrder, uow: UnitOfWork) -> str: ...


    bus.send(PlaceOrder(...))  # the handler, in its own unit of work
    bus.ask(GetOrder(order_id="o1"))  # the handler, unable to write
    bus.publish(OrderPlaced(...))  # every handler; after the commit inside a unit

A command runs in a unit of work made by the bus's unit factory (``uow=``; default
:class:`~nitro.uow.MemoryUnitOfWork`, or a SQL unit on the outbox's database when an
outbox is given): committed when the handler returns, rolled back when it raises.
Events published meanwhile (``bus.publish`` or :func:`record`) wait for that commit;
with an :class:`~nitro.cqrs.outbox.Outbox` they are also written to its table in the
same transaction, so a crash after the commit cannot lose them.

The handlers belong to the application and the dependencies to the configuration:
:meth:`Bus.bootstrap` returns a bus that shares this one's handlers with other
dependencies, unit factory, middleware or outbox (production wiring in one place, fakes
in a test).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Mapping
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar

from nitro import probe
from nitro.audit.context import via
from nitro.auth import current_user
from nitro.cqrs import delivery
from nitro.cqrs._dispatch import _adeliver, _astep, _deliver, _handling, _refuse_async, _step
from nitro.cqrs._registry import HandlerConflict, _Registration, _Registry
from nitro.cqrs.handlers import BoundHandler, Handler
from nitro.cqrs.messages import Command, Event, Message, Query, message_name
from nitro.cqrs.readonly import AsyncReadOnlyUnit, ReadOnlyUnit
from nitro.persistence.units import current_unit
from nitro.uow import AsyncMemoryUnitOfWork, MemoryUnitOfWork

if TYPE_CHECKING:
    from nitro.cqrs.outbox import Outbox

__all__ = ["Bus", "HandlerConflict", "UnknownMessage", "record"]

R = TypeVar("R")
Middleware = Callable[[Message, Callable[[Message], Any]], Any]


class UnknownMessage(LookupError):
    """A command or query that no handler is registered for."""


class Bus(_Registration):
    """Routes commands, queries and events to their handlers (see the module docs)."""

    #: Lets a handler parameter annotated ``Bus`` be filled with the bus.
    __nitro_bus__ = True

    def __init__(
        self,
        *,
        uow: Callable[[], Any] | None = None,
        middleware: Iterable[Middleware] = (),
        dependencies: Mapping[str, Any] | None = None,
        outbox: Outbox | None = None,
    ) -> None:
        self._registry = _Registry()
        #: Shared by the buses bootstrapped or copied from one (see :meth:`_effective`).
        self._family: object = self._registry
        self._uow = uow
        self.middleware: list[Any] = list(middleware)
        self.dependencies: dict[str, Any] = dict(dependencies or {})
        self.outbox = outbox
        self._bound: dict[Handler, BoundHandler] = {}
        self._by_type: dict[type[Message], list[BoundHandler]] = {}
        self._bound_generation = -1

    def bootstrap(
        self,
        *,
        uow: Callable[[], Any] | None = None,
        middleware: Iterable[Middleware] | None = None,
        outbox: Outbox | None = None,
        check: bool = True,
        **dependencies: Any,
    ) -> Bus:
        """A bus with this one's handlers and the given configuration; with *check*
        (the default), every handler's dependencies are resolved now, so a missing one
        fails here with its name rather than in the middle of a message."""
        bus = Bus(
            uow=uow if uow is not None else self._uow,
            middleware=self.middleware if middleware is None else middleware,
            dependencies={**self.dependencies, **dependencies},
            outbox=outbox if outbox is not None else self.outbox,
        )
        bus._registry = self._registry
        bus._family = self._family
        if check:
            bus.check()
        return bus

    def copy(self) -> Bus:
        """A bus with this one's configuration and a copy of its handlers: handlers
        registered on either later stay on that one (a test adding its own)."""
        bus = self.bootstrap(check=False)
        registry = bus._registry = _Registry()
        registry.handlers = {t: list(found) for t, found in self._registry.handlers.items()}
        registry.events = dict(self._registry.events)
        return bus

    # -- what is registered -----------------------------------------------------------

    @property
    def unit_factory(self) -> Callable[[], Any]:
        """What makes the unit of work a command (or an event handler taking ``uow``)
        runs in."""
        if self._uow is not None:
            return self._uow
        if self.outbox is not None:
            return self.outbox.unit_factory
        return MemoryUnitOfWork

    @property
    def async_unit_factory(self) -> Callable[[], Any]:
        """What ``async with`` enters for a command on the async path (the memory unit's
        async twin directly, rather than through ``async with MemoryUnitOfWork()``)."""
        factory = self.unit_factory
        return AsyncMemoryUnitOfWork if factory is MemoryUnitOfWork else factory

    def _effective(self) -> Bus:
        """The bus to run on: inside a handler run by a bus bootstrapped from this one
        (or copied), that bus, so that ``bus.publish(...)`` on the module's bus in
        a handler uses the configured dependencies."""
        current = _handling.get()
        if current is None or current is self or current._family is not self._family:
            return self
        return current

    def _single(self, message: Message, kind: type[Message], verb: str) -> BoundHandler:
        if not isinstance(message, kind):
            raise TypeError(
                f"{verb}() takes a {kind.__name__}; {type(message).__name__} is "
                + (f"a {message.kind}" if isinstance(message, Message) else "not a message")
                + {
                    "command": ": use send()",
                    "query": ": use ask()",
                    "event": ": use publish()",
                }.get(getattr(message, "kind", ""), "")
            )
        found = self.bound_handlers(type(message))
        if not found:
            names = ", ".join(sorted(t.__name__ for t in self.registered(kind))) or "none"
            raise UnknownMessage(
                f"no handler is registered for {type(message).__name__} "
                f"({message_name(type(message))}); registered {kind.__name__.lower()}s: {names}"
            )
        guard = found[0].handler.guard
        if guard is not None:  # who may send it (see handles())
            user = current_user()
            guard.check_caller(user)
            guard.check_entity(user, message)
        return found[0]

    # -- commands ---------------------------------------------------------------------

    def send(self, command: Command) -> Any:
        """Run *command*'s handler in its own unit of work and return its result."""
        bus = self._effective()
        bound = bus._single(command, Command, "send")
        if bound.handler.is_async:
            _refuse_async(bound, "send", "asend")
        if not bus.middleware:
            return bus._run_command(bound, command)
        return bus._through(command, partial(bus._run_command, bound))

    def _run_command(self, bound: BoundHandler, command: Command) -> Any:
        token = _handling.set(self)
        try:
            name = type(command).__name__
            span = probe.span("command", name, handler=bound.name)
            with span, via(f"command {name}"), self.unit_factory() as unit:
                result = bound(command, unit, self)
                unit.commit()
            return result
        finally:
            _handling.reset(token)

    async def asend(self, command: Command) -> Any:
        """:meth:`send` for async code (a sync handler runs in a worker thread)."""
        bus = self._effective()
        bound = bus._single(command, Command, "asend")
        if not bound.handler.is_async:
            return await asyncio.to_thread(bus.send, command)
        return await bus._athrough(command, partial(bus._arun_command, bound))

    async def _arun_command(self, bound: BoundHandler, command: Command) -> Any:
        token = _handling.set(self)
        try:
            name = type(command).__name__
            with probe.span("command", name, handler=bound.name), via(f"command {name}"):
                async with self.async_unit_factory() as unit:
                    result = await bound(command, unit, self)
                    await unit.commit()
            return result
        finally:
            _handling.reset(token)

    # -- queries ----------------------------------------------------------------------

    def ask(self, query: Query[R]) -> R:
        """Run *query*'s handler, unable to write, and return its result."""
        bus = self._effective()
        bound = bus._single(query, Query, "ask")
        if bound.handler.is_async:
            _refuse_async(bound, "ask", "aask")
        if not bus.middleware:
            return bus._run_query(bound, query)  # type: ignore[no-any-return]
        return bus._through(query, partial(bus._run_query, bound))  # type: ignore[no-any-return]

    def _run_query(self, bound: BoundHandler, query: Query[Any]) -> Any:
        token = _handling.set(self)
        try:
            name = type(query).__name__
            with probe.span("query", name, handler=bound.name), ReadOnlyUnit(name) as unit:
                return bound(query, unit, self)
        finally:
            _handling.reset(token)

    async def aask(self, query: Query[R]) -> R:
        """:meth:`ask` for async code (a sync handler runs in a worker thread)."""
        bus = self._effective()
        bound = bus._single(query, Query, "aask")
        if not bound.handler.is_async:
            return await asyncio.to_thread(bus.ask, query)
        return await bus._athrough(query, partial(bus._arun_query, bound))  # type: ignore[no-any-return]

    async def _arun_query(self, bound: BoundHandler, query: Query[Any]) -> Any:
        token = _handling.set(self)
        try:
            name = type(query).__name__
            with probe.span("query", name, handler=bound.name):
                async with AsyncReadOnlyUnit(name) as unit:
                    return await bound(query, unit, self)
        finally:
            _handling.reset(token)

    # -- events -----------------------------------------------------------------------

    def publish(self, event: Event) -> None:
        """Deliver *event* to every handler: now, or after the commit of the unit of
        work active here (dropped if it rolls back). A failing handler is logged and
        the others still run."""
        if not isinstance(event, Event):
            self._single(event, Event, "publish")
        bus = self._effective()
        unit = current_unit()
        if unit is None:
            bus.deliver(event)
        else:
            bus._defer(unit, event)

    async def apublish(self, event: Event) -> None:
        """:meth:`publish` for async code."""
        if not isinstance(event, Event):
            self._single(event, Event, "apublish")
        bus = self._effective()
        unit = current_unit()
        if unit is None:
            await bus.adeliver(event)
        else:
            bus._defer(unit, event)

    def _defer(self, unit: Any, event: Event) -> None:
        if self.outbox is not None and self.outbox.store(event):
            unit.publish(self.outbox.relayed(self, event))
        else:
            unit.publish(delivery.Deferred(self, event))

    def deliver(self, event: Event, **options: Any) -> list[delivery.Failure]:
        """Run *event*'s handlers now, through the middleware; return the failures."""
        return self._through(event, partial(_deliver, self, options))  # type: ignore[no-any-return]

    async def adeliver(self, event: Event, **options: Any) -> list[delivery.Failure]:
        """:meth:`deliver` for async code."""
        return await self._athrough(event, partial(_adeliver, self, options))  # type: ignore[no-any-return]

    # -- middleware -------------------------------------------------------------------

    def _through(self, message: Message, inner: Callable[[Message], Any]) -> Any:
        call = inner
        for mw in reversed(self.middleware):
            call = partial(_step, mw, call)
        return call(message)

    async def _athrough(self, message: Message, inner: Callable[[Message], Any]) -> Any:
        call = inner
        for mw in reversed(self.middleware):
            call = partial(_astep, mw, call)
        return await call(message)


def record(event: Event) -> None:
    """Publish *event* through the bus handling the current command: for domain code
    (an entity's method) that raises events without holding the bus. Delivered after
    the command's commit, like ``bus.publish`` inside the handler."""
    bus = _handling.get()
    if bus is None:
        raise RuntimeError(
            f"record({type(event).__name__}) outside a command: it needs a bus handling a "
            f"command in this thread or task; call bus.publish(event) instead"
        )
    bus.publish(event)
