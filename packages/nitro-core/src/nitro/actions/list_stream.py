"""The live stream of one :class:`~nitro.actions.live_list.LiveList` on one page.

Each open stream keeps the ids and sort values of the rows its page shows, so that a
change becomes the smallest patch: a new row is inserted after the row it follows in
the order (or prepended), a changed row is morphed in place (or moved when its sort
values changed), a row that was deleted or no longer matches is removed. A list with a
``limit`` that loses a row is re-sent whole, to fill the window from the repository.

The stream starts with the whole container (a reconnecting page is re-synced), and
sends it again on :data:`~nitro.broadcast.RESYNC`.
"""

from __future__ import annotations

import contextlib
import functools
import logging
from collections.abc import AsyncIterator, Iterator, Mapping
from typing import Any

from nitro.actions import sse
from nitro.actions.live_list import LiveList, row_id
from nitro.actions.streams import CLOSED, StreamRegistry
from nitro.actions.topics import LiveTopic, atopic_events, topic_events
from nitro.broadcast import RESYNC, Broadcaster, collection_topic
from nitro.specification import Specification

__all__ = ["ListView", "alist_events", "list_events"]

logger = logging.getLogger("nitro.actions")


class ListView:
    """What one page shows of a live list, and the patches that keep it so."""

    def __init__(
        self,
        live_list: LiveList,
        values: Mapping[str, str],
        viewer: Specification[Any] | None,
    ) -> None:
        self.list = live_list
        self.values = dict(values)
        self.viewer = viewer
        self.spec = live_list.filter(self.values, viewer)
        self.container_id = live_list.container_id(self.values)
        self.sort_keys = live_list.query.sort_keys()
        self.limit = live_list.query.limit
        self.order: list[tuple[tuple[Any, ...], str]] = []  # (sort values, id), in order
        self.shown: dict[str, tuple[Any, ...]] = {}

    def reset(self, rows: list[Any]) -> str:
        """The whole container for *rows*, remembered as what the page shows."""
        self.order = [(self._values(row), str(row.id)) for row in rows]
        self.shown = {entity_id: values for values, entity_id in self.order}
        return sse.patch_elements(str(self.list.wrap(self.values, rows, opener=False)))

    def apply(self, message: Mapping[str, Any]) -> tuple[list[str], bool]:
        """The patches for one published change, and whether the list must be re-read
        (a row left a full window)."""
        entity_id = str(message.get("id"))
        if message.get("op") == "delete":
            return self._leave(entity_id)
        entity = self.list.entity_of(message)
        if self.spec is not None and not self.spec.is_satisfied_by(entity):
            return self._leave(entity_id)
        values = self._values(entity)
        before = self.shown.get(entity_id)
        if before == values:
            return [sse.patch_elements(self._html(entity))], False
        events: list[str] = []
        if before is not None:
            self.order.remove((before, entity_id))
            del self.shown[entity_id]
            events.append(self._remove(entity_id))
        events.extend(self._insert(entity, entity_id, values))
        return events, before is not None and self._may_hide_rows(entity_id)

    def _may_hide_rows(self, moved: str) -> bool:
        """Whether rows the page never got may now belong in a full window: the row that
        moved went past its end, or to its last place (a row below may come first)."""
        if self.limit is None:
            return False
        return moved not in self.shown or (
            len(self.order) >= self.limit and self.order[-1][1] == moved
        )

    def _leave(self, entity_id: str) -> tuple[list[str], bool]:
        before = self.shown.pop(entity_id, None)
        if before is None:
            return [], False
        full = self.limit is not None and len(self.order) >= self.limit
        self.order.remove((before, entity_id))
        return [self._remove(entity_id)], full

    def _insert(self, entity: Any, entity_id: str, values: tuple[Any, ...]) -> list[str]:
        key = functools.cmp_to_key(self._compare)
        position = 0
        while position < len(self.order) and key(self.order[position]) < key((values, entity_id)):
            position += 1
        if self.limit is not None and position >= self.limit:
            return []  # after the window
        self.order.insert(position, (values, entity_id))
        self.shown[entity_id] = values
        html = self._html(entity)
        if position == 0:
            events = [sse.patch_elements(html, selector=f"#{self.container_id}", mode="prepend")]
        else:
            previous = row_id(self.container_id, self.order[position - 1][1])
            events = [sse.patch_elements(html, selector=f"#{previous}", mode="after")]
        if self.limit is not None and len(self.order) > self.limit:
            _, dropped = self.order.pop()
            del self.shown[dropped]
            events.append(self._remove(dropped))
        return events

    def _compare(self, a: tuple[tuple[Any, ...], str], b: tuple[tuple[Any, ...], str]) -> int:
        """The repository's order: each key ascending or descending, ``None`` after
        every value ascending (and so before them descending), ``id`` last."""
        for (_, descending), x, y in zip(self.sort_keys, a[0], b[0], strict=True):
            kx, ky = (x is None, 0 if x is None else x), (y is None, 0 if y is None else y)
            if kx != ky:
                less = kx < ky
                return (1 if less else -1) if descending else (-1 if less else 1)
        return 0

    def _values(self, entity: Any) -> tuple[Any, ...]:
        return tuple(getattr(entity, name) for name, _ in self.sort_keys)

    def _html(self, entity: Any) -> str:
        return str(self.list.row(self.container_id, entity))

    def _remove(self, entity_id: str) -> str:
        selector = f"#{row_id(self.container_id, entity_id)}"
        return sse.patch_elements("", selector=selector, mode="remove")


def list_events(
    broadcaster: Broadcaster,
    view: ListView | LiveTopic,
    keepalive: float,
    streams: StreamRegistry | None = None,
) -> Iterator[str]:
    """Events for a sync server (one thread per open stream); a failure is logged and
    ends the stream (the page's client reconnects). A :class:`LiveTopic` in place of
    the view streams the topic's messages."""
    if isinstance(view, LiveTopic):
        yield from topic_events(broadcaster, view, keepalive, streams)
        return
    try:
        yield from _list_events(broadcaster, view, keepalive, streams)
    except Exception:
        logger.exception("live list %s: the stream failed", view.list.name)


def _list_events(
    broadcaster: Broadcaster, view: ListView, keepalive: float, streams: StreamRegistry | None
) -> Iterator[str]:
    with (
        broadcaster.subscribe(collection_topic(view.list.entity)) as subscription,
        streams.track(subscription) if streams is not None else contextlib.nullcontext(),
    ):
        yield view.reset(view.list.rows(view.values, view.viewer))
        while True:
            message = subscription.get(timeout=keepalive)
            if message is CLOSED:
                return
            if message is None:
                yield sse.keepalive()
                continue
            reread = message is RESYNC
            if not reread:
                events, reread = _apply(view, message)
                yield from events
            if reread:
                rows = _safely(lambda: view.list.rows(view.values, view.viewer))
                if rows is not None:
                    yield view.reset(rows)


async def alist_events(
    broadcaster: Broadcaster,
    view: ListView | LiveTopic,
    keepalive: float,
    streams: StreamRegistry | None = None,
) -> AsyncIterator[str]:
    """Events for an async server; ends when the client disconnects (cancellation). A
    failure is logged and ends the stream (the page's client reconnects). A
    :class:`LiveTopic` in place of the view streams the topic's messages."""
    if isinstance(view, LiveTopic):
        async for event in atopic_events(broadcaster, view, keepalive, streams):
            yield event
        return
    try:
        async for event in _alist_events(broadcaster, view, keepalive, streams):
            yield event
    except Exception:
        logger.exception("live list %s: the stream failed", view.list.name)


async def _alist_events(
    broadcaster: Broadcaster, view: ListView, keepalive: float, streams: StreamRegistry | None
) -> AsyncIterator[str]:
    async with broadcaster.asubscribe(collection_topic(view.list.entity)) as subscription:
        with streams.track(subscription) if streams is not None else contextlib.nullcontext():
            async for event in _afollow(subscription, view, keepalive):
                yield event


async def _afollow(subscription: Any, view: ListView, keepalive: float) -> AsyncIterator[str]:
    yield view.reset(await view.list.arows(view.values, view.viewer))
    while True:
        message = await subscription.aget(timeout=keepalive)
        if message is CLOSED:
            return
        if message is None:
            yield sse.keepalive()
            continue
        reread = message is RESYNC
        if not reread:
            events, reread = _apply(view, message)
            for event in events:
                yield event
        if reread:
            try:
                rows = await view.list.arows(view.values, view.viewer)
            except Exception:
                logger.warning("live list %s: re-reading failed", view.list.name, exc_info=True)
                continue
            yield view.reset(rows)


def _apply(view: ListView, message: Any) -> tuple[list[str], bool]:
    try:
        return view.apply(message)
    except Exception:  # a message this list cannot read: re-read rather than drift
        logger.warning("live list %s: cannot apply %r", view.list.name, message, exc_info=True)
        return [], True


def _safely(read: Any) -> Any:
    try:
        return read()
    except Exception:
        logger.warning("live list: re-reading failed", exc_info=True)
        return None
