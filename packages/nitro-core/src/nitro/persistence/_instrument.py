"""Repository calls reported to :mod:`nitro.probe` (latency by backend and operation).

A repository created while observers listen gets its public operations shadowed by
timed wrappers on the instance, so ``isinstance`` checks and the class stay as they
are, and a repository created while nothing listens is not touched at all (no cost).
A call made by another operation of the same repository (``all()`` through
``find()``) is not reported twice, and an async operation that only runs the sync one in
a worker thread (:class:`Repository`'s defaults, and operations marked with
:func:`~nitro.persistence.base.sync_in_thread`) is timed there, by the sync wrapper:
one wrapper per call, none on the event loop's side.

Every request makes repository calls, so the wrappers are written for the usual case:
the metrics' histogram is a :data:`nitro.probe.timers` function fed the call's duration
(no context manager per call), and a trace that is not sampled makes no span
(:data:`nitro.probe.NOTHING`: the call is made without a ``with``).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from contextvars import ContextVar
from time import perf_counter
from typing import Any

from nitro import probe
from nitro.persistence.base import Repository

__all__ = ["instrument"]

_OPERATIONS = (
    "save",
    "get",
    "delete",
    "find",
    "exists",
    "count",
    "count_at_most",
    "all",
    "filter",
    "clear",
)

_inside: ContextVar[bool] = ContextVar("nitro_repository_call", default=False)


def instrument(repo: Repository[Any]) -> Repository[Any]:
    backend = type(repo).__name__
    entity = repo.entity_cls.__name__
    for operation in _OPERATIONS:
        method = getattr(repo, operation)
        setattr(repo, operation, _timed(method, backend, operation, entity))
        async_op = getattr(type(repo), "a" + operation)
        if async_op is getattr(Repository, "a" + operation) or getattr(
            async_op, "__nitro_sync_in_thread__", False
        ):
            continue  # it runs the timed sync method in a worker thread
        async_method = getattr(repo, "a" + operation)
        setattr(repo, "a" + operation, _atimed(async_method, backend, operation, entity))
    return repo


def _timed(method: Callable[..., Any], backend: str, operation: str, entity: str) -> Any:
    attributes = {"backend": backend, "entity": entity}

    @functools.wraps(method)
    def timed(*args: Any, **kwargs: Any) -> Any:
        if "repository" not in probe.spanned or _inside.get():
            return method(*args, **kwargs)
        token = _inside.set(True)
        spans = probe.spans("repository", operation, attributes)
        failed = True
        started = perf_counter()
        try:
            if spans is probe.NOTHING:
                result = method(*args, **kwargs)
            else:
                with spans:
                    result = method(*args, **kwargs)
            failed = False
        finally:
            seconds = perf_counter() - started
            _inside.reset(token)
            for timer in probe.timers.get("repository", ()):
                timer(operation, attributes, seconds, failed)
        return result

    return timed


def _atimed(method: Callable[..., Any], backend: str, operation: str, entity: str) -> Any:
    attributes = {"backend": backend, "entity": entity}

    @functools.wraps(method)
    async def timed(*args: Any, **kwargs: Any) -> Any:
        if "repository" not in probe.spanned or _inside.get():
            return await method(*args, **kwargs)
        token = _inside.set(True)
        spans = probe.spans("repository", operation, attributes)
        failed = True
        started = perf_counter()
        try:
            if spans is probe.NOTHING:
                result = await method(*args, **kwargs)
            else:
                with spans:
                    result = await method(*args, **kwargs)
            failed = False
        finally:
            seconds = perf_counter() - started
            _inside.reset(token)
            for timer in probe.timers.get("repository", ()):
                timer(operation, attributes, seconds, failed)
        return result

    return timed
