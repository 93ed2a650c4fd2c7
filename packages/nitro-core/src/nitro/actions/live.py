"""Live-update streams: one open SSE response per page, fed by the broadcaster.

A page showing an entity opens ``GET {prefix}/_live/{entity}/{id}`` (put
``data_init=live(counter)`` on an element). The stream first sends the entity's
current signals -- so a page that reconnects is re-synced -- then every change
published for it, with a keep-alive comment when idle; it ends when the entity is
deleted. When the broadcaster signals
that messages may have been lost (:data:`~nitro.broadcast.RESYNC`, e.g. after a Redis
reconnect), the stream re-reads the entity and sends its current signals.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any
from urllib.parse import quote

from nitro import probe
from nitro.actions import sse
from nitro.actions.errors import ActionError, EntityNotFound, ServiceUnavailable
from nitro.actions.registry import LIVE_SEGMENT
from nitro.actions.request import ActionResponse
from nitro.actions.streams import CLOSED, StreamRegistry
from nitro.actions.urls import current_prefix, entity_segment
from nitro.broadcast import (
    DELETED,
    RESYNC,
    Broadcaster,
    entity_topic,
    publish_deletion,
    publish_entity,
)
from nitro.events import post_delete, post_save
from nitro.persistence.errors import BackendUnavailable
from rusty_tags import js_string

__all__ = [
    "KEEPALIVE_SECONDS",
    "afind_live_entity",
    "alive_events",
    "find_live_entity",
    "live",
    "live_events",
    "live_path",
    "publish_changes",
    "wants_elements",
]

#: Seconds between keep-alive comments on an idle live stream, so proxies do not close it.
KEEPALIVE_SECONDS = 15.0

logger = logging.getLogger("nitro.actions")


def live(entity: Any, *, elements: bool = False) -> str:
    """The Datastar expression that opens the live stream of ``entity``.

    With ``elements=True`` the stream also sends the entity's rendered element (its
    ``__html__``, which must carry an ``id``) with each change, which Datastar morphs
    into the page by that id; otherwise it sends the signals alone.

    The id is percent-encoded into the path and the URL quoted by
    :func:`rusty_tags.js_string`, so no id can break out of the expression.
    """
    return f"@get({js_string(live_path(entity, elements=elements))}, {{openWhenHidden: true}})"


def live_path(entity: Any, *, elements: bool = False) -> str:
    """The URL of ``entity``'s live stream (see :func:`live`)."""
    if elements and not hasattr(type(entity), "__html__"):
        raise TypeError(
            f"live(..., elements=True): {type(entity).__name__} has no __html__ to render"
        )
    entity_id = quote(str(entity.id), safe="")
    path = f"{current_prefix()}/{LIVE_SEGMENT}/{entity_segment(type(entity))}/{entity_id}"
    return f"{path}?elements=1" if elements else path


def wants_elements(query: Any) -> bool:
    """Whether a live stream's query asks for rendered elements (``?elements=1``)."""
    return bool(query.get("elements") == "1")


def publish_changes(broadcaster: Broadcaster, *entities: type) -> Callable[[], None]:
    """Publish every stored change of *entities* (of every entity when none is named)
    on *broadcaster*; the function returned stops it.

    An app made by ``configure_app`` already publishes the changes made in its process.
    This is for a process that serves no pages but changes what pages show elsewhere
    -- a job worker, a command-line script -- with a broadcaster that reaches the web
    processes::

        broadcaster = RedisBroadcaster("redis://cache:6379/0")
        publish_changes(broadcaster)  # e.g. in nitro worker --bootstrap
        ...
        broadcaster.close()  # sends what is still queued

    Changes go out after the unit of work they were made in commits (``post_save``,
    ``post_delete``), never on rollback.
    """
    wanted = frozenset(entities)

    def saved(sender: Any, entity: Any = None, **_: Any) -> None:
        if entity is not None and (not wanted or sender in wanted):
            publish_entity(broadcaster, entity)

    def deleted(sender: Any, entity: Any = None, **_: Any) -> None:
        if entity is not None and (not wanted or sender in wanted):
            publish_deletion(broadcaster, entity)

    post_save.connect(saved, weak=False)
    post_delete.connect(deleted, weak=False)

    def stop() -> None:
        post_save.disconnect(saved)
        post_delete.disconnect(deleted)

    return stop


def live_events(
    broadcaster: Broadcaster,
    entity: Any,
    keepalive: float = KEEPALIVE_SECONDS,
    streams: StreamRegistry | None = None,
    elements: bool = False,
) -> Iterator[str]:
    """Events for a sync server (one thread per open stream)."""
    topic = entity_topic(type(entity), entity.id)
    render = _Render(type(entity)) if elements else None
    with broadcaster.subscribe(topic) as subscription, _open(entity, subscription, streams):
        yield from _changed(entity.signals, render)
        while True:
            message = subscription.get(timeout=keepalive)
            if message is CLOSED or message == DELETED:
                return
            if message is RESYNC:
                message = _reread(entity)
            if message is None:
                yield sse.keepalive()
            else:
                yield from _changed(message, render)


async def alive_events(
    broadcaster: Broadcaster,
    entity: Any,
    keepalive: float = KEEPALIVE_SECONDS,
    streams: StreamRegistry | None = None,
    elements: bool = False,
) -> AsyncIterator[str]:
    """Events for an async server; ends when the client disconnects (cancellation)."""
    topic = entity_topic(type(entity), entity.id)
    render = _Render(type(entity)) if elements else None
    async with broadcaster.asubscribe(topic) as subscription:
        with _open(entity, subscription, streams):
            for event in _changed(entity.signals, render):
                yield event
            while True:
                message = await subscription.aget(timeout=keepalive)
                if message is CLOSED or message == DELETED:
                    return
                if message is RESYNC:
                    message = await _areread(entity)
                if message is None:
                    yield sse.keepalive()
                else:
                    for event in _changed(message, render):
                        yield event


def _changed(signals: dict[str, Any], render: _Render | None) -> Iterator[str]:
    """The events of one state: its signals, then (when asked) its rendered element."""
    yield sse.patch_signals(signals)
    if render is not None:
        html = render(signals)
        if html is not None:
            yield sse.patch_elements(html)


class _Render:
    """An entity's element from its published signals, built once per message for all
    the streams of this process that render it (they get the same message object)."""

    __slots__ = ("entity_cls",)

    _last: tuple[Any, str | None] = (None, None)

    def __init__(self, entity_cls: type) -> None:
        self.entity_cls = entity_cls

    def __call__(self, signals: dict[str, Any]) -> str | None:
        last, html = _Render._last
        if signals is last:
            return html
        try:
            (data,) = signals.values()
            html = str(self.entity_cls.model_validate(data).__html__())  # type: ignore[attr-defined]
        except Exception:  # the signals alone still go out
            logger.warning("live stream: rendering %s failed", self.entity_cls, exc_info=True)
            html = None
        _Render._last = (signals, html)
        return html


class _open:
    """An open stream: counted by the app's registry (its limit, its shutdown) and
    reported until it ends (the ``nitro_live_streams`` gauge)."""

    __slots__ = ("entity", "streams", "subscription", "tracked")

    def __init__(self, entity: Any, subscription: Any, streams: StreamRegistry | None) -> None:
        self.entity = type(entity).__name__
        self.subscription, self.streams = subscription, streams
        self.tracked: Any = None

    def __enter__(self) -> None:
        if self.streams is not None:
            self.tracked = self.streams.track(self.subscription)
            self.tracked.__enter__()
        if "stream" in probe.evented:
            probe.event("stream", "open", transport="sse", entity=self.entity)

    def __exit__(self, *exc_info: object) -> None:
        if self.tracked is not None:
            self.tracked.__exit__(None, None, None)
        if "stream" in probe.evented:
            probe.event("stream", "close", transport="sse", entity=self.entity)


def _reread(entity: Any) -> dict[str, Any] | None:
    """Fresh signals for a re-sync; on failure the stream stays open and waits."""
    try:
        fresh = type(entity).get(entity.id)
    except Exception:
        logger.warning("live stream: re-reading %r failed", entity, exc_info=True)
        return None
    return fresh.signals if fresh is not None else None


async def _areread(entity: Any) -> dict[str, Any] | None:
    try:
        fresh = await type(entity).aget(entity.id)
    except Exception:
        logger.warning("live stream: re-reading %r failed", entity, exc_info=True)
        return None
    return fresh.signals if fresh is not None else None


def _lookup_failed(entity_cls: type, error: Exception | None) -> ActionResponse:
    if error is None:
        failure: ActionError = EntityNotFound(f"{entity_cls.__name__} not found")
    else:
        logger.warning(
            "live stream of %s: storage unavailable", entity_cls.__name__, exc_info=error
        )
        failure = ServiceUnavailable()
    return ActionResponse.json(failure.to_json(), failure.status)


def find_live_entity(entity_cls: Any, entity_id: str) -> Any:
    """The entity a live stream shows, or the error :class:`ActionResponse` (404/503)."""
    try:
        target = entity_cls.get(entity_id)
    except BackendUnavailable as error:
        return _lookup_failed(entity_cls, error)
    return target if target is not None else _lookup_failed(entity_cls, None)


async def afind_live_entity(entity_cls: Any, entity_id: str) -> Any:
    """The entity a live stream follows, or the refusal to send (404, or 503 when the backend is
    down)."""
    try:
        target = await entity_cls.aget(entity_id)
    except BackendUnavailable as error:
        return _lookup_failed(entity_cls, error)
    return target if target is not None else _lookup_failed(entity_cls, None)
