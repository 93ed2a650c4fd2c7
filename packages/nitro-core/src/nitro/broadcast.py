"""Topic-based fan-out of live updates to open pages.

When an action changes an entity, the dispatcher publishes the entity's new signals
on the topic ``"<entity>:<id>"``; every page showing that entity holds a live stream
subscribed to the topic and receives the change. :class:`InProcessBroadcaster` reaches
the streams of one process; nitro-redis provides one that reaches every instance.
Messages are delivered at most once, in publish order per subscriber; a subscriber
that falls ``max_queue`` messages behind loses its backlog and gets :data:`RESYNC`
in its place (it re-reads what it shows).
"""

from __future__ import annotations

import asyncio
import queue
import threading
from collections import deque
from collections.abc import Iterator
from typing import Any, Protocol, runtime_checkable

from nitro.fanout_gc import defer_during_fanout

__all__ = [
    "CLOSED",
    "DELETED",
    "RESYNC",
    "Broadcaster",
    "InProcessBroadcaster",
    "Subscription",
    "collection_topic",
    "entity_topic",
    "publish_deletion",
    "publish_entity",
]


class _Resync:
    """Sentinel message: "you may have missed changes; re-read what you show"."""

    def __repr__(self) -> str:
        return "RESYNC"


#: Delivered by :meth:`InProcessBroadcaster.resync_all` (e.g. after a cross-process
#: broadcaster reconnects): live streams answer it by re-reading their entity.
RESYNC = _Resync()


class _Closed:
    """Sentinel message: "the server is shutting down; end the stream"."""

    def __repr__(self) -> str:
        return "CLOSED"


#: Delivered to every open stream on shutdown (see :mod:`nitro.actions.streams`).
CLOSED = _Closed()

#: Published on an entity's own topic when it is deleted (JSON-safe, for Redis): a
#: signals message is always ``{"<Namespace>": {...}}``, never this key alone.
DELETED: dict[str, Any] = {"__nitro_deleted__": True}


def _is_final(message: Any) -> bool:
    return message is CLOSED or message == DELETED


def _overflow(backlog: Iterator[Any], message: Any) -> Any:
    """A full inbox (a consumer ``max_queue`` messages behind) gives up its *backlog*
    for one :data:`RESYNC`: memory stays bounded, and the consumer re-reads what it
    shows instead of applying a history with holes. An end-of-stream message
    (:data:`CLOSED`, :data:`DELETED`) is kept."""
    final = message if _is_final(message) else None
    for dropped in backlog:
        if final is None and _is_final(dropped):
            final = dropped
    return RESYNC if final is None else final


def _drain_deque(items: deque[Any]) -> Iterator[Any]:
    while items:
        yield items.popleft()


def _drain_queue(inbox: queue.Queue[Any]) -> Iterator[Any]:
    while True:
        try:
            yield inbox.get_nowait()
        except queue.Empty:
            return


def entity_topic(entity: type, entity_id: str) -> str:
    """The topic of one entity's changes: its live stream subscribes to it."""
    return f"{entity.__name__.lower()}:{entity_id}"


def collection_topic(entity: type) -> str:
    """The topic of every change to *entity*'s class, for live lists (no ``:``, so
    it never equals an entity topic, whatever the id)."""
    return entity.__name__.lower()


def publish_entity(broadcaster: Broadcaster, entity: Any) -> None:
    """Publish a stored *entity*: its signals on its own topic (for the pages showing
    it), ``{"op": "save", "id": ..., "data": ...}`` on its class's topic (for the live
    lists that may show it)."""
    cls = type(entity)
    topic, every = entity_topic(cls, entity.id), collection_topic(cls)
    # Building the signals is the costly part; skip it when nobody listens here.
    to_entity, to_lists = _listened(broadcaster, topic), _listened(broadcaster, every)
    if not (to_entity or to_lists):
        return
    signals = entity.signals
    if to_entity:
        broadcaster.publish(topic, signals)
    if to_lists:
        (data,) = signals.values()
        broadcaster.publish(every, {"op": "save", "id": entity.id, "data": data})


def publish_deletion(broadcaster: Broadcaster, entity: Any) -> None:
    """Publish that *entity* was deleted, on its class's topic (live lists drop its
    row) and its own (its pages get :data:`DELETED`)."""
    cls = type(entity)
    every = collection_topic(cls)
    if _listened(broadcaster, every):
        broadcaster.publish(every, {"op": "delete", "id": entity.id})
    topic = entity_topic(cls, entity.id)
    if _listened(broadcaster, topic):
        broadcaster.publish(topic, DELETED)


def _listened(broadcaster: Broadcaster, topic: str) -> bool:
    """Whether a message on *topic* may reach anyone. A cross-process broadcaster has
    no ``has_subscribers`` (another process may listen): it always publishes."""
    has_subscribers = getattr(broadcaster, "has_subscribers", None)
    return has_subscribers is None or bool(has_subscribers(topic))


class Subscription:
    """One subscriber's inbox. Use ``get()`` from threads, ``aget()`` from async code
    (one consumer per subscription).

    The async inbox is a deque and one waiting future rather than an
    ``asyncio.Queue`` (four deques and more): thousands of open streams each hold one,
    and every kilobyte is ten megabytes at 10,000 connections.
    """

    __slots__ = (
        "_broadcaster",
        "_items",
        "_loop",
        "_max",
        "_sync_queue",
        "_waiter",
        "closed",
        "topic",
    )

    def __init__(
        self,
        broadcaster: InProcessBroadcaster,
        topic: str,
        loop: asyncio.AbstractEventLoop | None,
        max_queue: int,
    ):
        self.topic = topic
        self._broadcaster = broadcaster
        self._loop = loop
        self._max = max_queue
        self._items: deque[Any] = deque()  # the async inbox
        self._waiter: asyncio.Future[None] | None = None
        self._sync_queue: queue.Queue[Any] | None = None if loop else queue.Queue()
        self.closed = False

    def deliver(self, message: Any) -> None:
        if self.closed:
            return
        if self._loop is not None:
            try:
                self._loop.call_soon_threadsafe(self._put_async, message)
            except RuntimeError:  # the subscriber's loop is closed
                self.close()
            return
        assert self._sync_queue is not None
        if self._sync_queue.qsize() >= self._max:
            message = _overflow(_drain_queue(self._sync_queue), message)
        self._sync_queue.put(message)

    def _put_async(self, message: Any) -> None:
        items = self._items
        if len(items) >= self._max:
            message = _overflow(_drain_deque(items), message)
        items.append(message)
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def get(self, timeout: float | None = None) -> Any | None:
        """The next message, or ``None`` after ``timeout`` seconds."""
        if self._sync_queue is None:
            raise RuntimeError("this subscription was made with asubscribe(); use aget()")
        try:
            return self._sync_queue.get(timeout=timeout)
        except queue.Empty:
            return None

    async def aget(self, timeout: float | None = None) -> Any | None:
        """The next message, or ``None`` after ``timeout`` seconds."""
        if self._loop is None:
            raise RuntimeError("this subscription was made with subscribe(); use get()")
        if not self._items:
            waiter = self._waiter = self._loop.create_future()
            try:
                # asyncio.timeout, not wait_for: on 3.11 wait_for makes a Task per call,
                # garbage that 10,000 idle streams turn into full collections.
                async with asyncio.timeout(timeout):
                    await waiter
            except TimeoutError:
                return None
            finally:
                self._waiter = None
        return self._items.popleft()

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self._broadcaster._remove(self)

    def __enter__(self) -> Subscription:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    async def __aenter__(self) -> Subscription:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.close()


@runtime_checkable
class Broadcaster(Protocol):
    """What the dispatcher and the live streams need from a broadcaster."""

    def publish(self, topic: str, message: Any) -> None: ...

    def subscribe(self, topic: str) -> Subscription: ...

    def asubscribe(self, topic: str) -> Subscription: ...


class InProcessBroadcaster:
    """Fan-out between the threads and event loops of one process."""

    def __init__(self, max_queue: int = 100):
        self.max_queue = max_queue
        self._lock = threading.Lock()
        self._subscribers: dict[str, list[Subscription]] = {}

    def publish(self, topic: str, message: Any) -> None:
        with self._lock:
            targets = list(self._subscribers.get(topic, ()))
        defer_during_fanout(len(targets))  # no full GC pause in a large delivery
        for subscription in targets:
            subscription.deliver(message)

    def subscribe(self, topic: str) -> Subscription:
        return self._add(Subscription(self, topic, None, self.max_queue))

    def asubscribe(self, topic: str) -> Subscription:
        loop = asyncio.get_running_loop()
        return self._add(Subscription(self, topic, loop, self.max_queue))

    def resync_all(self) -> None:
        """Tell every subscriber it may have missed messages (sends :data:`RESYNC`)."""
        with self._lock:
            targets = [s for subscribers in self._subscribers.values() for s in subscribers]
        for subscription in targets:
            subscription.deliver(RESYNC)

    def has_subscribers(self, topic: str) -> bool:
        """Lets publishers skip building a message nobody in this process would get."""
        return topic in self._subscribers

    def subscriber_count(self, topic: str) -> int:
        with self._lock:
            return len(self._subscribers.get(topic, ()))

    def _add(self, subscription: Subscription) -> Subscription:
        with self._lock:
            self._subscribers.setdefault(subscription.topic, []).append(subscription)
        return subscription

    def _remove(self, subscription: Subscription) -> None:
        with self._lock:
            subscribers = self._subscribers.get(subscription.topic, [])
            if subscription in subscribers:
                subscribers.remove(subscription)
            if not subscribers:
                self._subscribers.pop(subscription.topic, None)
