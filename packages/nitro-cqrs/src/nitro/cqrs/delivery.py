"""Delivering an event to its handlers: each one tried on its own, with its retry
policy, a failure logged and the others still run (the rule of cosmicpython's bus).

Events published inside a unit of work wait in it as :class:`Deferred` entries: the
unit sends them after its outermost commit (``send``/``asend``, the protocol of
:func:`nitro.uow.publish`) and drops them on rollback. Handlers then run outside any
unit of work; one that takes ``uow`` gets a fresh unit, committed when it returns.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from nitro import probe
from nitro.cqrs.handlers import BoundHandler
from nitro.persistence.units import active

if TYPE_CHECKING:
    from nitro.cqrs.bus import Bus
    from nitro.cqrs.messages import Event

__all__ = ["Deferred", "Failure", "outside_units"]

logger = logging.getLogger("nitro.cqrs")

#: Called with (handler, unit) after a handler succeeded, before its unit commits
#: (``unit`` is ``None`` for a handler without one): the outbox records it there.
OnDone = Callable[[BoundHandler, Any], None]


@dataclass(frozen=True)
class Failure:
    """An event handler that failed on its last try."""

    handler: str
    error: BaseException


@contextmanager
def outside_units() -> Iterator[None]:
    """Run the block with no unit of work active (a committed unit may still be the
    active one while it sends its events)."""
    token = active.set(None)
    try:
        yield
    finally:
        active.reset(token)


def deliver(
    bus: Bus, event: Event, *, skip: frozenset[str] = frozenset(), on_done: OnDone | None = None
) -> list[Failure]:
    """Run every handler of *event* not named in *skip*; return the failures."""
    failures = []
    with outside_units():
        for bound in bus.bound_handlers(type(event)):
            if bound.name in skip:
                continue
            error = _try(bus, bound, event, on_done)
            if error is not None:
                failures.append(Failure(bound.name, error))
    return failures


async def adeliver(
    bus: Bus, event: Event, *, skip: frozenset[str] = frozenset(), on_done: OnDone | None = None
) -> list[Failure]:
    """:func:`deliver` for async code: async handlers are awaited, sync ones run in a
    worker thread."""
    failures = []
    with outside_units():
        for bound in bus.bound_handlers(type(event)):
            if bound.name in skip:
                continue
            if bound.handler.is_async:
                error = await _atry(bus, bound, event, on_done)
            else:
                error = await asyncio.to_thread(_try, bus, bound, event, on_done)
            if error is not None:
                failures.append(Failure(bound.name, error))
    return failures


def _attempts(bound: BoundHandler) -> tuple[int, Any]:
    retry = bound.handler.retry
    return (1, None) if retry is None else (retry.attempts, retry)


def _try(bus: Bus, bound: BoundHandler, event: Event, on_done: OnDone | None) -> Any:
    tries, retry = _attempts(bound)
    for attempt in range(1, tries + 1):
        try:
            if bound.handler.is_async:
                asyncio.run(_arun_once(bus, bound, event, on_done))
            else:
                _run_once(bus, bound, event, on_done)
            return None
        except Exception as exc:
            if attempt < tries and isinstance(exc, retry.on):
                time.sleep(retry.delay(attempt + 1))
                continue
            _log(bound, event, attempt)
            return exc
    return None  # pragma: no cover


async def _atry(bus: Bus, bound: BoundHandler, event: Event, on_done: OnDone | None) -> Any:
    tries, retry = _attempts(bound)
    for attempt in range(1, tries + 1):
        try:
            await _arun_once(bus, bound, event, on_done)
            return None
        except Exception as exc:
            if attempt < tries and isinstance(exc, retry.on):
                await asyncio.sleep(retry.delay(attempt + 1))
                continue
            _log(bound, event, attempt)
            return exc
    return None  # pragma: no cover


def _log(bound: BoundHandler, event: Event, attempts: int) -> None:
    logger.exception(
        "handler %s failed for %s %s (%d %s); the other handlers still run",
        bound.name,
        type(event).__name__,
        event.id,
        attempts,
        "try" if attempts == 1 else "tries",
    )


def _run_once(bus: Bus, bound: BoundHandler, event: Event, on_done: OnDone | None) -> None:
    with probe.span("event", type(event).__name__, handler=bound.name):
        _run_handler(bus, bound, event, on_done)


def _run_handler(bus: Bus, bound: BoundHandler, event: Event, on_done: OnDone | None) -> None:
    if not bound.handler.wants_unit:
        bound(event, None, bus)
        if on_done is not None:
            on_done(bound, None)
        return
    with bus.unit_factory() as unit:
        bound(event, unit, bus)
        if on_done is not None:
            on_done(bound, unit)
        unit.commit()


async def _arun_once(bus: Bus, bound: BoundHandler, event: Event, on_done: OnDone | None) -> None:
    with probe.span("event", type(event).__name__, handler=bound.name):
        await _arun_handler(bus, bound, event, on_done)


async def _arun_handler(
    bus: Bus, bound: BoundHandler, event: Event, on_done: OnDone | None
) -> None:
    if not bound.handler.wants_unit:
        await bound(event, None, bus)
        if on_done is not None:
            await asyncio.to_thread(on_done, bound, None)
        return
    async with bus.async_unit_factory() as unit:
        await bound(event, unit, bus)
        if on_done is not None:
            await asyncio.to_thread(on_done, bound, unit)
        await unit.commit()


class Deferred:
    """An event waiting in a unit of work for its commit (see the module docs)."""

    __slots__ = ("bus", "event")

    def __init__(self, bus: Bus, event: Event) -> None:
        self.bus = bus
        self.event = event

    def send(self, sender: Any = None, /, **kwargs: Any) -> list[Failure]:
        return self.bus.deliver(self.event)

    async def asend(self, sender: Any = None, /, **kwargs: Any) -> list[Failure]:
        return await self.bus.adeliver(self.event)

    def __repr__(self) -> str:
        return f"<Deferred {type(self.event).__name__} {self.event.id}>"
