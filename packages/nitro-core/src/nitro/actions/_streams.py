"""Generator actions answering a Datastar request: one SSE event per yielded item,
as it is yielded, then the entity's signals once it is saved.

The stream outlives the request handler, so these actions run outside a unit of
work: the entity is saved (and published) when the generator ends, if it changed.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import AsyncIterator, Iterator
from typing import Any

from nitro.actions import sse
from nitro.actions._answers import events_for
from nitro.actions._changes import ChangeTracker
from nitro.actions.registry import ActionRoute
from nitro.actions.request import ActionResponse

__all__ = ["collect", "stream_async", "stream_sync"]

logger = logging.getLogger("nitro.actions")


async def collect(agen: Any) -> list[Any]:
    return [item async for item in agen]


def _persist_sync(route: ActionRoute, tracker: ChangeTracker, target: Any, before: Any) -> bool:
    """Save ``target`` if the action changed it; return whether it still exists.

    Only ``DELETE`` actions are checked for having deleted their entity, which
    keeps an extra repository read off every other request.
    """
    if target is None:
        return True
    if route.method == "DELETE" and not target.exists():
        return False
    if tracker.changed(target, before):
        target.save()  # published by the app's post_save receiver
    return True


async def _persist_async(
    route: ActionRoute, tracker: ChangeTracker, target: Any, before: Any
) -> bool:
    if target is None:
        return True
    if route.method == "DELETE" and not await target.aexists():
        return False
    if tracker.changed(target, before):
        await target.asave()
    return True


def stream_sync(
    route: ActionRoute,
    tracker: ChangeTracker,
    target: Any,
    before: Any,
    produced: Any,
    wants_signals: bool,
) -> ActionResponse:
    if inspect.isasyncgen(produced):
        items: Any = iter(asyncio.run(collect(produced)))
    else:
        items = produced

    def events() -> Iterator[str]:
        try:
            for item in items:
                yield from events_for(route, target if item is None else item)
            if _persist_sync(route, tracker, target, before) and wants_signals:
                yield sse.patch_signals(target.signals)
        except Exception:
            logger.exception("streaming action %s failed", route)

    return ActionResponse(200, dict(sse.SSE_HEADERS), stream=events())


def stream_async(
    route: ActionRoute,
    tracker: ChangeTracker,
    target: Any,
    before: Any,
    produced: Any,
    wants_signals: bool,
) -> ActionResponse:
    async def events() -> AsyncIterator[str]:
        try:
            if inspect.isasyncgen(produced):
                async for item in produced:
                    for event in events_for(route, target if item is None else item):
                        yield event
            else:
                for item in produced:
                    for event in events_for(route, target if item is None else item):
                        yield event
            if await _persist_async(route, tracker, target, before) and wants_signals:
                yield sse.patch_signals(target.signals)
        except Exception:
            logger.exception("streaming action %s failed", route)

    return ActionResponse(200, dict(sse.SSE_HEADERS), astream=events())
