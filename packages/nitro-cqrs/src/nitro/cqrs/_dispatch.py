"""The steps a bus runs a message through, and which bus is running one.

Module-level functions rather than methods of :class:`~nitro.cqrs.bus.Bus`: the bus
binds them with :func:`functools.partial` into the middleware chain and the event
delivery. ``_handling`` is the bus handling the current message (for
:func:`~nitro.cqrs.bus.record` and a bootstrapped bus's handlers); it lives here, not
in the bus module, so these helpers can set it without importing that module back.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

from nitro.cqrs import delivery
from nitro.cqrs.handlers import BoundHandler
from nitro.cqrs.messages import Event, Message

if TYPE_CHECKING:
    from nitro.cqrs.bus import Bus

_handling: ContextVar[Bus | None] = ContextVar("nitro_cqrs_bus", default=None)


def _deliver(bus: Bus, options: dict[str, Any], event: Event) -> list[delivery.Failure]:
    token = _handling.set(bus)
    try:
        return delivery.deliver(bus, event, **options)
    finally:
        _handling.reset(token)


async def _adeliver(bus: Bus, options: dict[str, Any], event: Event) -> list[delivery.Failure]:
    token = _handling.set(bus)
    try:
        return await delivery.adeliver(bus, event, **options)
    finally:
        _handling.reset(token)


def _step(mw: Any, call_next: Callable[[Message], Any], message: Message) -> Any:
    return mw(message, call_next)


async def _astep(mw: Any, call_next: Callable[[Message], Any], message: Message) -> Any:
    acall = getattr(mw, "acall", None)
    if acall is not None:
        return await acall(message, call_next)
    result = mw(message, call_next)
    while asyncio.iscoroutine(result) or isinstance(result, asyncio.Future):
        result = await result
    return result


def _refuse_async(bound: BoundHandler, verb: str, async_verb: str) -> None:
    if bound.handler.is_async:
        raise TypeError(
            f"{bound.name} is async; use 'await bus.{async_verb}(...)' instead of bus.{verb}()"
        )
