"""Middleware: code around every message the bus handles.

A middleware is a callable ``mw(message, call_next)`` that returns ``call_next(message)``
(or does not, to stop the message). On the async path (``asend``, ``aask``,
``apublish``) an ``async def`` middleware is awaited; a middleware that works on both
paths is an object with ``__call__`` and ``async def acall(message, call_next)``, as the
three here are. A plain sync middleware on the async path gets ``call_next``'s awaitable
and must return it unchanged.

For a command, ``call_next`` runs the whole unit of work (begin, handler, commit), so a
middleware that calls it again (:class:`RetryOnConflict`) starts over on fresh state.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable
from typing import Any

from nitro.cqrs.errors import Rejected
from nitro.cqrs.messages import Command, Event, Message
from nitro.ids import new_id
from nitro.persistence import ConcurrencyError

__all__ = ["LogMessages", "RetryOnConflict", "Timing"]

logger = logging.getLogger("nitro.cqrs")

Next = Callable[[Message], Any]
AsyncNext = Callable[[Message], Awaitable[Any]]


def _describe(message: Message, message_id: str | None = None) -> str:
    if message_id is None:
        message_id = message.id if isinstance(message, Event) else "-"
    return f"{type(message).__name__} ({message.kind} {message_id})"


class LogMessages:
    """Logs each message's name and id when it starts, and its failure with the
    traceback (a :class:`~nitro.cqrs.Rejected` refusal: one line at *level*), on the
    ``nitro.cqrs`` logger. An event's id is its own; a command or
    query gets a fresh one per handling, so its start and failure lines pair up (a retry
    by :class:`RetryOnConflict` placed after this middleware keeps the id)."""

    def __init__(self, logger: logging.Logger = logger, level: int = logging.INFO) -> None:
        self.logger = logger
        self.level = level

    def _start(self, message: Message) -> str:
        described = _describe(message, message.id if isinstance(message, Event) else new_id())
        if self.logger.isEnabledFor(self.level):
            self.logger.log(self.level, "handling %s", described)
        return described

    def _failed(self, described: str, error: Exception) -> None:
        if isinstance(error, Rejected):  # a refusal the caller is told about, not a fault
            self.logger.log(self.level, "%s refused: %s", described, error)
        else:
            self.logger.exception("%s failed", described)

    def __call__(self, message: Message, call_next: Next) -> Any:
        described = self._start(message)
        try:
            return call_next(message)
        except Exception as error:
            self._failed(described, error)
            raise

    async def acall(self, message: Message, call_next: AsyncNext) -> Any:
        described = self._start(message)
        try:
            return await call_next(message)
        except Exception as error:
            self._failed(described, error)
            raise


class Timing:
    """Measures each message; calls *record(message, seconds)* (by default a debug
    line on the ``nitro.cqrs`` logger), also when the handler raised."""

    def __init__(self, record: Callable[[Message, float], None] | None = None) -> None:
        self.record = record or _log_timing

    def __call__(self, message: Message, call_next: Next) -> Any:
        start = time.perf_counter()
        try:
            return call_next(message)
        finally:
            self.record(message, time.perf_counter() - start)

    async def acall(self, message: Message, call_next: AsyncNext) -> Any:
        start = time.perf_counter()
        try:
            return await call_next(message)
        finally:
            self.record(message, time.perf_counter() - start)


def _log_timing(message: Message, seconds: float) -> None:
    if logger.isEnabledFor(logging.DEBUG):
        logger.debug("%s took %.3f ms", _describe(message), seconds * 1000)


class RetryOnConflict:
    """Runs a command again when its unit of work lost an optimistic-concurrency race
    (:class:`~nitro.ConcurrencyError`): up to *attempts* tries in all, waiting a random
    ``0..backoff * 2**n`` seconds between them, each try on fresh state. Queries and
    events pass through; the last conflict propagates."""

    def __init__(self, attempts: int = 5, backoff: float = 0.005) -> None:
        if attempts < 1:
            raise ValueError(f"RetryOnConflict(attempts={attempts}): at least 1 try")
        self.attempts = attempts
        self.backoff = backoff

    def _wait(self, attempt: int) -> float:
        return random.uniform(0, self.backoff * 2**attempt)

    def __call__(self, message: Message, call_next: Next) -> Any:
        if not isinstance(message, Command):
            return call_next(message)
        for attempt in range(1, self.attempts + 1):
            try:
                return call_next(message)
            except ConcurrencyError:
                if attempt == self.attempts:
                    raise
                logger.info("%s conflicted (try %d); retrying", _describe(message), attempt)
                time.sleep(self._wait(attempt))
        raise AssertionError("unreachable")  # pragma: no cover

    async def acall(self, message: Message, call_next: AsyncNext) -> Any:
        if not isinstance(message, Command):
            return await call_next(message)
        for attempt in range(1, self.attempts + 1):
            try:
                return await call_next(message)
            except ConcurrencyError:
                if attempt == self.attempts:
                    raise
                logger.info("%s conflicted (try %d); retrying", _describe(message), attempt)
                await asyncio.sleep(self._wait(attempt))
        raise AssertionError("unreachable")  # pragma: no cover
