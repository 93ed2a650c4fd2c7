"""Domain events and entity lifecycle signals, built on blinker.

Lifecycle signals are sent by :class:`~nitro.Entity` with the entity *class* as sender
and the instance as ``entity=``:

================ ======================================= ==============================
signal           sent                                    a receiver that raises
================ ======================================= ==============================
``pre_save``     before ``save()``/``asave()`` stores    aborts the save; nothing is
                 (keyword ``ttl`` too)                   stored; the error propagates
``post_save``    after the repository stored the entity  is logged; the other receivers
                                                         still run; ``save()`` returns
``pre_delete``   before ``delete()``/``adelete()``       aborts the delete; propagates
``post_delete``  after an entity was actually deleted    is logged; others still run
================ ======================================= ==============================

Domain events are named signals::

    order_placed = event("order.placed")


    @on(order_placed, sender=Order)  # optional sender filter
    def email_customer(order: Order, **extra: object) -> None: ...


    order_placed.send(order, total=order.total)  # from sync code
    await order_placed.asend(order)  # from async code

**When a receiver raises.** Every :class:`Event` has an error policy. With
``errors="log"`` (the default for :func:`event`, and for ``post_save``/``post_delete``)
the exception is logged on the ``nitro.events`` logger with its traceback, the
remaining receivers still run, and :meth:`Event.send` returns the exception object as
that receiver's result. With ``errors="raise"`` (``pre_save``/``pre_delete``, or
``event(name, errors="raise")``) the first exception propagates to the sender and the
remaining receivers do not run; a pre-signal uses this to veto an operation.

**Async receivers** (``async def``) are awaited by :meth:`Event.asend`, which the
entity's async methods (``asave``, ``adelete``) use. Sending an event that has an async
receiver from sync code (:meth:`Event.send`, ``save()``) raises :class:`RuntimeError`
before any receiver runs, because sync code cannot wait for a coroutine.

**Sender filter.** ``@on(evt, sender=X)`` receives sends whose sender *is* ``X``; when
the sender is an instance, receivers connected to its exact class also run, so
``@on(order_placed, sender=Order)`` sees ``order_placed.send(order)``. Receivers are
called in no particular order. Like blinker, :func:`on` keeps a weak reference to the
receiver by default (pass ``weak=False`` for lambdas and closures you do not keep).
"""

from __future__ import annotations

import inspect
import logging
import threading
from collections.abc import Callable
from typing import Any, Literal, TypeVar

from blinker import ANY, NamedSignal

__all__ = [
    "Event",
    "event",
    "on",
    "post_delete",
    "post_save",
    "pre_delete",
    "pre_save",
]

logger = logging.getLogger("nitro.events")

ErrorPolicy = Literal["raise", "log"]
F = TypeVar("F", bound=Callable[..., Any])
_POLICIES = ("raise", "log")


class Event(NamedSignal):
    """A named blinker signal with an error policy and async-aware sending.

    Prefer :func:`event` to create one: it returns the same object for the same name.
    """

    def __init__(self, name: str, doc: str | None = None, *, errors: ErrorPolicy = "log") -> None:
        if errors not in _POLICIES:
            raise ValueError(f"Event {name!r}: errors must be 'raise' or 'log', got {errors!r}")
        super().__init__(name, doc)
        self.errors: ErrorPolicy = errors

    def __repr__(self) -> str:
        return f"<Event {self.name!r} errors={self.errors!r}>"

    def receivers_for_sender(self, sender: Any) -> list[Callable[..., Any]]:
        """The live receivers that a send from *sender* reaches (see module docs)."""
        if not self.receivers:
            return []
        found = list(self.receivers_for(sender))
        if sender is not None and not isinstance(sender, type):
            seen = {id(receiver) for receiver in found}
            for receiver in self.receivers_for(type(sender)):
                if id(receiver) not in seen:
                    seen.add(id(receiver))
                    found.append(receiver)
        return found

    def check_sync_send(self, sender: Any = None) -> None:
        """Raise :class:`RuntimeError` if a sync send from *sender* would meet an async receiver."""
        for receiver in self.receivers_for_sender(sender):
            if _is_async(receiver):
                raise RuntimeError(
                    f"event {self.name!r} has the async receiver {_name(receiver)}, which sync "
                    "code cannot await: send it with 'await event.asend(...)' "
                    "(or the entity's async methods such as asave()/adelete())"
                )

    def send(self, sender: Any = None, /, **kwargs: Any) -> list[tuple[Callable[..., Any], Any]]:
        """Call every receiver with ``receiver(sender, **kwargs)``.

        Returns ``[(receiver, result), ...]``; under ``errors="log"`` a failed
        receiver's result is the exception it raised. Raises :class:`RuntimeError`
        (before calling anything) when a receiver is async.
        """
        if self.is_muted or not self.receivers:
            return []
        receivers = self.receivers_for_sender(sender)
        for receiver in receivers:
            if _is_async(receiver):
                self.check_sync_send(sender)
        results: list[tuple[Callable[..., Any], Any]] = []
        for receiver in receivers:
            try:
                result = receiver(sender, **kwargs)
                if inspect.isawaitable(result):
                    _discard(result)
                    raise RuntimeError(
                        f"receiver {_name(receiver)} of event {self.name!r} returned an "
                        "awaitable; send the event with 'await ....asend(...)'"
                    )
            except Exception as exc:
                if self.errors == "raise":
                    raise
                logger.exception("receiver %s of event %r raised", _name(receiver), self.name)
                result = exc
            results.append((receiver, result))
        return results

    async def asend(self, sender: Any = None, /, **kwargs: Any) -> list[tuple[Any, Any]]:
        """Like :meth:`send`, awaiting async receivers one after the other."""
        if self.is_muted or not self.receivers:
            return []
        results: list[tuple[Callable[..., Any], Any]] = []
        for receiver in self.receivers_for_sender(sender):
            try:
                result = receiver(sender, **kwargs)
                if inspect.isawaitable(result):
                    result = await result
            except Exception as exc:
                if self.errors == "raise":
                    raise
                logger.exception("receiver %s of event %r raised", _name(receiver), self.name)
                result = exc
            results.append((receiver, result))
        return results


_registry: dict[str, Event] = {}
_registry_lock = threading.Lock()


def event(name: str, doc: str | None = None, *, errors: ErrorPolicy | None = None) -> Event:
    """Return the domain event called *name*, creating it on first use.

    The same name always gives the same :class:`Event`, so modules can declare
    ``order_placed = event("order.placed")`` independently. *errors* is the receiver
    error policy (``"log"`` unless given); asking for an existing event with a
    different policy raises :class:`ValueError`.
    """
    if not isinstance(name, str) or not name.strip():
        raise TypeError(f"event() needs a non-empty str name, got {name!r}")
    with _registry_lock:
        existing = _registry.get(name)
        if existing is None:
            existing = _registry[name] = Event(name, doc, errors=errors or "log")
        elif errors is not None and errors != existing.errors:
            raise ValueError(
                f"event {name!r} already exists with errors={existing.errors!r}; "
                f"it cannot also be errors={errors!r}"
            )
    return existing


def on(evt: Event | str, sender: Any = None, *, weak: bool = True) -> Callable[[F], F]:
    """Decorator connecting a function to *evt* (an :class:`Event` or an event name).

    With *sender*, the function only receives sends from that sender (or, for an
    instance sender, from instances of exactly that class). The function is returned
    unchanged.
    """
    if isinstance(evt, str):
        evt = event(evt)
    elif not isinstance(evt, Event):
        raise TypeError(
            f"on() takes an Event or an event name, got {type(evt).__name__}; "
            "create events with nitro.event('name')"
        )
    target = evt

    def decorator(fn: F) -> F:
        if not callable(fn):
            raise TypeError(f"@on({target.name!r}) must decorate a callable, got {fn!r}")
        target.connect(fn, sender=ANY if sender is None else sender, weak=weak)
        return fn

    return decorator


def _is_async(receiver: Callable[..., Any]) -> bool:
    return inspect.iscoroutinefunction(receiver) or inspect.iscoroutinefunction(
        getattr(receiver, "__call__", None)  # noqa: B004 - async callable objects
    )


def _discard(awaitable: Any) -> None:
    close = getattr(awaitable, "close", None)
    if close is not None:
        close()


def _name(receiver: Callable[..., Any]) -> str:
    return getattr(receiver, "__qualname__", None) or repr(receiver)


#: Sent before an entity is stored; a raising receiver aborts the save.
pre_save = event(
    "nitro.pre_save", "Sent before an entity is stored; a raising receiver aborts.", errors="raise"
)
#: Sent after an entity was stored; a failing receiver is logged.
post_save = event("nitro.post_save", "Sent after an entity was stored.", errors="log")
#: Sent before an entity is deleted; a raising receiver aborts the delete.
pre_delete = event(
    "nitro.pre_delete",
    "Sent before an entity is deleted; a raising receiver aborts.",
    errors="raise",
)
#: Sent after an entity was deleted; a failing receiver is logged.
post_delete = event("nitro.post_delete", "Sent after an entity was deleted.", errors="log")
