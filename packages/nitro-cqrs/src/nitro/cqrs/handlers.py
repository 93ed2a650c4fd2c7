"""Handlers and what they are given: the message first, then their dependencies.

A handler is a function, a class with a ``handle`` method (made once per message, its
``__init__`` given dependencies too), or an object with a ``handle`` method. Every
parameter after the message is filled, in this order:

1. by the bus, per message: ``uow`` (or any parameter annotated with a unit-of-work
   class) is the unit the message runs in, ``bus`` (or annotated :class:`Bus`) the bus;
2. by name, from the dependencies given to :func:`~nitro.cqrs.bootstrap`;
3. by type, from the one dependency that is an instance of the annotation;
4. by the parameter's default.

Anything else is a :class:`MissingDependency` naming the handler and the parameter, at
bootstrap when the dependencies are known, not half-way through a message.
"""

from __future__ import annotations

import inspect
import random
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from nitro.uow import UnitCore

__all__ = ["Handler", "MissingDependency", "Provide", "Retry"]

#: Names the bus fills per message.
UNIT = "uow"
BUS = "bus"


class MissingDependency(LookupError):
    """A handler asks for a parameter that no dependency fills."""


@dataclass(frozen=True)
class Provide:
    """A dependency made anew for every message (``session=Provide(make_session)``)
    instead of one shared value."""

    factory: Callable[[], Any]


@dataclass(frozen=True)
class Retry:
    """How often an event handler is tried before its failure is logged and left.

    *attempts* counts the first try; the wait before try ``n`` (from 2) is
    ``backoff * 2 ** (n - 2)`` seconds, at most *max_delay*, with jitter (a random
    half of it taken off, so that handlers that failed together do not retry
    together); only exceptions of the types in *on* retry.
    """

    attempts: int = 3
    backoff: float = 0.05
    on: tuple[type[BaseException], ...] = (Exception,)
    max_delay: float = 2.0

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ValueError(f"Retry(attempts={self.attempts}): at least 1 try")
        if self.backoff < 0:
            raise ValueError(f"Retry(backoff={self.backoff}): cannot wait a negative time")

    def delay(self, attempt: int) -> float:
        """Seconds to wait before try *attempt* (2, 3, ...)."""
        wait: float = min(self.max_delay, self.backoff * 2.0 ** (attempt - 2))
        return wait * random.uniform(0.5, 1)


@dataclass(frozen=True)
class _Param:
    name: str
    annotation: Any
    has_default: bool

    def source(self, values: Mapping[str, Any]) -> tuple[str, Any] | None:
        """Where this parameter's value comes from: ``("unit"|"bus"|"value", key)``."""
        if self.name == UNIT or _is_subclass(self.annotation, UnitCore):
            return ("unit", None)
        if self.name == BUS or getattr(self.annotation, "__nitro_bus__", False):
            return ("bus", None)
        if self.name in values:
            return ("value", self.name)
        if isinstance(self.annotation, type) and self.annotation is not object:
            matches = [key for key, value in values.items() if _provides(value, self.annotation)]
            if len(matches) > 1:
                raise MissingDependency(
                    f"parameter {self.name!r}: several dependencies are "
                    f"{self.annotation.__name__} ({', '.join(sorted(matches))}); "
                    f"name the parameter after one of them"
                )
            if matches:
                return ("value", matches[0])
        return None


def _is_subclass(annotation: Any, cls: type) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, cls)


def _provides(value: Any, annotation: type) -> bool:
    if isinstance(value, Provide):
        hint = typing.get_type_hints(value.factory).get("return")
        return _is_subclass(hint, annotation)
    try:
        return isinstance(value, annotation)
    except TypeError:  # a Protocol that is not runtime-checkable, a generic alias
        return False


def _params(fn: Callable[..., Any], *, skip: int) -> tuple[_Param, ...]:
    try:
        hints = typing.get_type_hints(fn)
    except Exception:  # an annotation that does not resolve: match by name only
        hints = {}
    found = []
    for n, param in enumerate(inspect.signature(fn).parameters.values()):
        if n < skip or param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            continue
        found.append(_Param(param.name, hints.get(param.name), param.default is not param.empty))
    return tuple(found)


@dataclass(frozen=True)
class Handler:
    """One registered handler of one message type."""

    message_type: type[Any]
    target: Any
    retry: Retry | None = None
    #: Who may send it (a :class:`nitro.auth.Guard`), for commands and queries.
    guard: Any = None
    name: str = ""
    #: The parameters of the call after the message, and of the class's ``__init__``.
    params: tuple[_Param, ...] = field(default=(), repr=False)
    init_params: tuple[_Param, ...] = field(default=(), repr=False)
    is_async: bool = False

    @classmethod
    def of(
        cls, message_type: type[Any], target: Any, retry: Retry | None = None, guard: Any = None
    ) -> Handler:
        if inspect.isclass(target):
            if not callable(getattr(target, "handle", None)):
                raise TypeError(f"{target.__qualname__} needs a handle(self, message) method")
            call, init = target.handle, _params(target.__init__, skip=1)
            if target.__init__ is object.__init__:
                init = ()
            skip, name = 2, target.__qualname__
        elif callable(getattr(target, "handle", None)) and not inspect.isfunction(target):
            call, init, skip = target.handle, (), 1
            name = type(target).__qualname__
        elif callable(target):
            call, init, skip = target, (), 1
            name = getattr(target, "__qualname__", repr(target))
        else:
            raise TypeError(f"cannot handle {message_type.__name__} with {target!r}")
        return cls(
            message_type=message_type,
            target=target,
            retry=retry,
            guard=guard,
            name=f"{getattr(target, '__module__', '?')}.{name}",
            params=_params(call, skip=skip),
            init_params=init,
            is_async=inspect.iscoroutinefunction(call),
        )

    @property
    def wants_unit(self) -> bool:
        """Whether the handler takes the unit of work it runs in."""
        return any(p.name == UNIT or _is_subclass(p.annotation, UnitCore) for p in self.params)

    def bind(self, values: Mapping[str, Any]) -> BoundHandler:
        """The handler with its dependencies looked up in *values* (checked now)."""
        return BoundHandler(
            self, self._plan(self.params, values), self._plan(self.init_params, values)
        )

    def _plan(self, params: tuple[_Param, ...], values: Mapping[str, Any]) -> list[Any]:
        plan = []
        for param in params:
            try:
                source = param.source(values)
            except MissingDependency as exc:
                raise MissingDependency(f"{self.name}: {exc}") from None
            if source is None:
                if param.has_default:
                    continue
                given = ", ".join(sorted(values)) or "none"
                raise MissingDependency(
                    f"{self.name} needs {param.name!r}"
                    + (f" ({_type_name(param.annotation)})" if param.annotation else "")
                    + f", which no dependency gives; bootstrap() was given: {given}"
                )
            kind, key = source
            plan.append((param.name, kind, values[key] if kind == "value" else None))
        return plan


def _type_name(annotation: Any) -> str:
    return getattr(annotation, "__qualname__", None) or str(annotation)


class BoundHandler:
    """A handler with its dependencies resolved: ``call(message, unit, bus)``.

    Everything that does not change per message is worked out here once: which
    callable to call, and the keyword arguments that are plain values; only the unit,
    the bus and :class:`Provide` values are filled per call.
    """

    __slots__ = (
        "_call",
        "_fixed",
        "_init_fixed",
        "_init_per_call",
        "_make",
        "_per_call",
        "handler",
    )

    def __init__(self, handler: Handler, call_plan: list[Any], init_plan: list[Any]) -> None:
        self.handler = handler
        self._fixed, self._per_call = _split(call_plan)
        self._init_fixed, self._init_per_call = _split(init_plan)
        target = handler.target
        self._make = target if inspect.isclass(target) else None
        if self._make is not None:
            self._call = None
        elif callable(getattr(target, "handle", None)) and not inspect.isfunction(target):
            self._call = target.handle
        else:
            self._call = target

    @property
    def name(self) -> str:
        return self.handler.name

    def __call__(self, message: Any, unit: Any = None, bus: Any = None) -> Any:
        fn = self._call
        if fn is None:  # a class: one instance per message
            init = _kwargs(self._init_fixed, self._init_per_call, unit, bus)
            fn = self._make(**init).handle  # type: ignore[misc]
        if not self._per_call:
            return fn(message, **self._fixed) if self._fixed else fn(message)
        return fn(message, **_kwargs(self._fixed, self._per_call, unit, bus))


def _split(plan: list[Any]) -> tuple[dict[str, Any], tuple[tuple[str, str, Any], ...]]:
    """The plain values of a plan, and the entries filled per call."""
    fixed = {
        name: value
        for name, kind, value in plan
        if kind == "value" and not isinstance(value, Provide)
    }
    per_call = tuple(entry for entry in plan if entry[0] not in fixed)
    return fixed, per_call


def _kwargs(
    fixed: dict[str, Any], per_call: tuple[tuple[str, str, Any], ...], unit: Any, bus: Any
) -> dict[str, Any]:
    kwargs = dict(fixed)
    for name, kind, value in per_call:
        if kind == "unit":
            kwargs[name] = unit
        elif kind == "bus":
            kwargs[name] = bus
        else:
            kwargs[name] = value.factory()
    return kwargs
