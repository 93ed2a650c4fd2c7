"""The handlers a bus knows: registering them and finding them again, resolved.

Kept apart from :mod:`nitro.cqrs.bus` so that the bus module reads as the rules a
message is run under; :class:`~nitro.cqrs.bus.Bus` takes these methods from
:class:`_Registration`. The registry itself is shared by the buses bootstrapped from
one (:meth:`~nitro.cqrs.bus.Bus.bootstrap`), the resolved handlers are per bus.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, TypeVar, overload

from nitro.auth import Guard
from nitro.cqrs.handlers import BoundHandler, Handler, Retry
from nitro.cqrs.messages import Command, Event, Message, Query, message_name

__all__ = ["HandlerConflict"]

T = TypeVar("T")


class HandlerConflict(ValueError):
    """A second handler for a command or query."""


class _Registry:
    """The handlers of an application, shared by the buses bootstrapped from one."""

    def __init__(self) -> None:
        self.handlers: dict[type[Message], list[Handler]] = {}
        self.events: dict[str, type[Event]] = {}
        self.generation = 0
        self.lock = threading.Lock()


class _Registration:
    """The registration half of :class:`~nitro.cqrs.bus.Bus` (a mixin: the bus's
    ``__init__`` sets the attributes declared here)."""

    _registry: _Registry
    dependencies: dict[str, Any]
    _bound: dict[Handler, BoundHandler]
    _by_type: dict[type[Message], list[BoundHandler]]
    _bound_generation: int

    # -- registration ---------------------------------------------------------------

    @overload
    def handles(
        self,
        message_type: type[Message],
        *,
        retry: Retry | None = None,
        permission: str | None = None,
        allow: Callable[..., bool] | None = None,
    ) -> Callable[[T], T]: ...
    @overload
    def handles(
        self,
        message_type: type[Message],
        handler: T,
        *,
        retry: Retry | None = None,
        permission: str | None = None,
        allow: Callable[..., bool] | None = None,
    ) -> T: ...

    def handles(
        self,
        message_type: type[Message],
        handler: Any = None,
        *,
        retry: Retry | None = None,
        permission: str | None = None,
        allow: Callable[..., bool] | None = None,
    ) -> Any:
        """Register a handler of *message_type* (a decorator, or called with the handler);
        the handler is returned unchanged, so a test can still call it directly.

        *retry* (events only): how often to try the handler before logging its failure.
        *permission* and *allow* (commands and queries): who may send it, checked
        against :func:`nitro.auth.current_user` before the handler runs, as for
        ``@action`` (``allow`` gets the user and the message); refused with
        ``NotAuthenticated`` (401 as a route) or ``PermissionDenied`` (403).
        """
        guard = _guard(message_type, retry, permission, allow)
        if handler is not None:
            self.register(message_type, handler, retry=retry, guard=guard)
            return handler

        def decorate(target: T) -> T:
            self.register(message_type, target, retry=retry, guard=guard)
            return target

        return decorate

    def register(
        self,
        message_type: type[Message],
        target: Any,
        *,
        retry: Retry | None = None,
        guard: Guard | None = None,
    ) -> Handler:
        """Register *target* (function, class with ``handle``, or object with ``handle``)."""
        _check_registration(message_type, retry)
        handler = Handler.of(message_type, target, retry, guard)
        registry = self._registry
        with registry.lock:
            existing = registry.handlers.get(message_type, [])
            if existing and not issubclass(message_type, Event):
                raise HandlerConflict(
                    f"{message_type.__name__} is a {message_type.kind} and already handled "
                    f"by {existing[0].name}; a {message_type.kind} has exactly one handler "
                    f"(cannot add {handler.name})"
                )
            registry.handlers[message_type] = [*existing, handler]
            if issubclass(message_type, Event):
                registry.events[message_name(message_type)] = message_type
            registry.generation += 1
        return handler

    def check(self) -> None:
        """Resolve every handler's dependencies (:class:`MissingDependency` if one is not met)."""
        for message_type in list(self._registry.handlers):
            self.bound_handlers(message_type)

    # -- what is registered -----------------------------------------------------------

    def event_type(self, name: str) -> type[Event] | None:
        """The registered event class called *name* (:func:`message_name`), if any."""
        return self._registry.events.get(name)

    def event_names(self) -> list[str]:
        """The names (:func:`message_name`) of the event classes with handlers."""
        return list(self._registry.events)

    def registered(self, kind: type[Message] = Message) -> list[type[Message]]:
        """The message types with handlers, of *kind* (``Command``, ``Query``, ``Event``)."""
        return [t for t in self._registry.handlers if issubclass(t, kind)]

    def bound_handlers(self, message_type: type[Message]) -> list[BoundHandler]:
        """The handlers of *message_type* with their dependencies resolved; an event's
        include the handlers of its base classes."""
        registry = self._registry
        if self._bound_generation == registry.generation:
            cached = self._by_type.get(message_type)
            if cached is not None:
                return cached
        else:
            self._bound = {}
            self._by_type = {}
            self._bound_generation = registry.generation
        found = []
        types = message_type.__mro__ if issubclass(message_type, Event) else (message_type,)
        for cls in types:
            for handler in registry.handlers.get(cls, ()):
                bound = self._bound.get(handler)
                if bound is None:
                    bound = self._bound[handler] = handler.bind(self.dependencies)
                found.append(bound)
        self._by_type[message_type] = found
        return found


def _guard(
    message_type: Any, retry: Retry | None, permission: str | None, allow: Any
) -> Guard | None:
    _check_registration(message_type, retry)
    if permission is None and allow is None:
        return None
    if issubclass(message_type, Event):
        raise TypeError(
            f"permission=/allow= are for commands and queries; {message_type.__name__} is "
            "an event (a fact that happened: check who may cause it where it is caused)"
        )
    return Guard(permission, allow)


def _check_registration(message_type: Any, retry: Retry | None) -> None:
    if not (isinstance(message_type, type) and issubclass(message_type, (Command, Query, Event))):
        raise TypeError(f"handles() takes a Command, Query or Event subclass, not {message_type!r}")
    if retry is not None and not issubclass(message_type, Event):
        raise TypeError(
            f"retry= is for event handlers; retry a {message_type.kind} with the "
            f"RetryOnConflict middleware or in the caller"
        )
