"""Live-update streams: one open SSE response per page, fed by the broadcaster.

A page showing an entity opens ``GET {prefix}/_live/{entity}/{id}`` (put
``data_init=live(counter)`` on an element). The stream first sends the entity's
current signals -- so a page that reconnects is re-synced -- then every change
published for it, with a keep-alive comment when idle. When the broadcaster signals
that messages may have been lost (:data:`~nitro.broadcast.RESYNC`, e.g. after a Redis
reconnect), the stream re-reads the entity and sends its current signals.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

from nitro.actions import sse
from nitro.actions.registry import LIVE_SEGMENT
from nitro.actions.urls import current_prefix, entity_segment
from nitro.broadcast import RESYNC, Broadcaster, entity_topic

__all__ = ["KEEPALIVE_SECONDS", "alive_events", "live", "live_events"]

KEEPALIVE_SECONDS = 15.0


def live(entity: Any) -> str:
    """The Datastar expression that opens the live stream of ``entity``."""
    path = f"{current_prefix()}/{LIVE_SEGMENT}/{entity_segment(type(entity))}/{entity.id}"
    return f"@get('{path}', {{openWhenHidden: true}})"


def live_events(
    broadcaster: Broadcaster, entity: Any, keepalive: float = KEEPALIVE_SECONDS
) -> Iterator[str]:
    """Events for a sync server (one thread per open stream)."""
    with broadcaster.subscribe(entity_topic(type(entity), entity.id)) as subscription:
        yield sse.patch_signals(entity.signals)
        while True:
            message = subscription.get(timeout=keepalive)
            if message is RESYNC:
                fresh = type(entity).get(entity.id)
                message = fresh.signals if fresh is not None else None
            yield sse.keepalive() if message is None else sse.patch_signals(message)


async def alive_events(
    broadcaster: Broadcaster, entity: Any, keepalive: float = KEEPALIVE_SECONDS
) -> AsyncIterator[str]:
    """Events for an async server; ends when the client disconnects (cancellation)."""
    async with broadcaster.asubscribe(entity_topic(type(entity), entity.id)) as subscription:
        yield sse.patch_signals(entity.signals)
        while True:
            message = await subscription.aget(timeout=keepalive)
            if message is RESYNC:
                fresh = await type(entity).aget(entity.id)
                message = fresh.signals if fresh is not None else None
            yield sse.keepalive() if message is None else sse.patch_signals(message)
