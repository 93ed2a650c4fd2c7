"""RedisBroadcaster: live updates that reach the pages of every instance.

Each process keeps a local :class:`~nitro.broadcast.InProcessBroadcaster` (its
subscriptions are the ones the live streams hold) and joins one Redis pub/sub
channel:

* :meth:`RedisBroadcaster.publish` delivers to local subscribers at once, then
  queues ``<instance id>|<json {topic, message}>`` for a publisher thread that sends
  it to Redis; the caller (often an event loop) never waits on Redis.
* A listener thread receives the channel and hands messages from *other* instances
  to the local hub; an instance's own echoes are dropped by their id prefix.

Guarantee: at most once, in publish order per publishing instance. Redis pub/sub
keeps nothing for a disconnected listener, so messages published while an instance
is cut off are lost to it. To make up for that, when the listener reconnects it
subscribes first and then calls :meth:`~nitro.broadcast.InProcessBroadcaster.resync_all`:
every live stream receives :data:`~nitro.broadcast.RESYNC`, re-reads its entity and
sends the page its current state. Messages a publisher could not send (Redis down)
are dropped and logged; the other instances' listeners are down too, and re-sync
when Redis returns.
"""

from __future__ import annotations

import json
import logging
import os
import queue
import threading
import time
import uuid
from typing import Any

import redis
from redis.backoff import ExponentialBackoff
from redis.retry import Retry

from nitro.broadcast import InProcessBroadcaster, Subscription
from nitro.redis._connection import DEFAULT_TIMEOUT, describe_url, resolve_url

__all__ = ["RedisBroadcaster"]

logger = logging.getLogger("nitro.redis")

_STOP = object()


class RedisBroadcaster:
    """A :class:`~nitro.broadcast.Broadcaster` that fans out through Redis pub/sub.

    .. code-block:: python

        from fastapi import FastAPI
        from nitro.adapters.fastapi import configure_app
        from nitro.redis import RedisBroadcaster

        app = FastAPI()
        configure_app(app, broadcaster=RedisBroadcaster("redis://localhost:6379/0"))

    :param url: the Redis URL; default ``$NITRO_REDIS_URL``, else
        ``redis://localhost:6379/0``.
    :param channel: the pub/sub channel shared by the instances of one app.
    :param max_queue: per-subscriber backlog before the oldest messages are dropped.
    :param timeout: seconds allowed to connect and for each reply.
    :param reconnect_delay: the longest wait between reconnection attempts (seconds).

    Threads start on first use (and again in a forked child); :meth:`close` stops them.
    Messages must be JSON-serialisable (entity signals are).
    """

    #: The local hub; its class can be swapped.
    local_class: type[InProcessBroadcaster] = InProcessBroadcaster
    #: Messages waiting for the publisher thread before new ones are dropped.
    max_outbox: int = 10_000

    def __init__(
        self,
        url: str | None = None,
        *,
        channel: str = "nitro:live",
        max_queue: int = 100,
        timeout: float = DEFAULT_TIMEOUT,
        reconnect_delay: float = 1.0,
    ) -> None:
        self.url = resolve_url(url)
        self.channel = channel
        self.timeout = timeout
        self.reconnect_delay = reconnect_delay
        self.instance_id = uuid.uuid4().hex
        self.local = self.local_class(max_queue=max_queue)
        self._prefix = self.instance_id.encode() + b"|"
        self._lock = threading.Lock()
        self._pid: int | None = None
        self._closed = False
        self._connected = threading.Event()
        self._outbox: queue.Queue[Any] = queue.Queue(self.max_outbox)
        self._threads: list[threading.Thread] = []
        #: How many times the listener (re)subscribed; tests and health checks read it.
        self.connections = 0

    def __repr__(self) -> str:
        return f"RedisBroadcaster({describe_url(self.url)!r}, channel={self.channel!r})"

    # -- the Broadcaster protocol ----------------------------------------------------------

    def publish(self, topic: str, message: Any) -> None:
        """Deliver *message* to *topic*'s subscribers here and on every other instance."""
        payload = (
            self._prefix + json.dumps({"t": topic, "m": message}, separators=(",", ":")).encode()
        )
        self.start()
        self.local.publish(topic, message)
        if self._closed:
            return
        try:
            self._outbox.put_nowait(payload)
        except queue.Full:
            logger.warning("nitro.redis: outbox full, dropped a message for %s", topic)

    def subscribe(self, topic: str) -> Subscription:
        self.start()
        return self.local.subscribe(topic)

    def asubscribe(self, topic: str) -> Subscription:
        self.start()
        return self.local.asubscribe(topic)

    def resync_all(self) -> None:
        self.local.resync_all()

    def subscriber_count(self, topic: str) -> int:
        return self.local.subscriber_count(topic)

    # -- lifecycle ----------------------------------------------------------------------

    @property
    def connected(self) -> bool:
        """Whether the listener is subscribed right now."""
        return self._connected.is_set()

    def wait_connected(self, timeout: float | None = None) -> bool:
        """Start if needed and wait until the listener is subscribed."""
        self.start()
        return self._connected.wait(timeout)

    def start(self) -> None:
        """Start the listener and publisher threads (idempotent, fork-aware)."""
        if self._pid == os.getpid() or self._closed:
            return
        with self._lock:
            if self._pid == os.getpid() or self._closed:
                return
            self._pid = os.getpid()
            self._connected.clear()
            self._outbox = queue.Queue(self.max_outbox)
            self._threads = [
                threading.Thread(target=self._listen, name="nitro-redis-listener", daemon=True),
                threading.Thread(target=self._send, name="nitro-redis-publisher", daemon=True),
            ]
            for thread in self._threads:
                thread.start()

    def close(self, timeout: float = 5.0) -> None:
        """Stop the threads; later publishes reach local subscribers only."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            threads = self._threads if self._pid == os.getpid() else []
        if threads:
            self._outbox.put(_STOP)
            for thread in threads:
                thread.join(timeout)

    def __enter__(self) -> RedisBroadcaster:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- threads -------------------------------------------------------------------------

    def _client(self, retries: int) -> redis.Redis:
        return redis.Redis.from_url(
            self.url,
            socket_connect_timeout=self.timeout,
            socket_timeout=self.timeout,
            retry=Retry(ExponentialBackoff(cap=0.2, base=0.02), retries),
        )

    def _listen(self) -> None:
        delay, failed, where = 0.05, False, describe_url(self.url)
        while not self._closed:
            # No transparent retries here: the listener must notice every disconnection,
            # because what was published meanwhile is lost and calls for a resync.
            client = self._client(retries=0)
            pubsub = client.pubsub()  # type: ignore[no-untyped-call]
            try:
                pubsub.subscribe(self.channel)
                self._confirm(pubsub)
                self.connections += 1
                self._connected.set()
                if failed or self.connections > 1:
                    logger.warning(
                        "nitro.redis: reconnected to %s; re-syncing live streams",
                        where,
                    )
                    self.local.resync_all()
                delay, failed = 0.05, False
                self._receive(pubsub)
            except (redis.ConnectionError, redis.TimeoutError, OSError) as error:
                if self._connected.is_set() or not failed:
                    logger.warning("nitro.redis: lost %s (%s); reconnecting", where, error)
                failed = True
            finally:
                self._connected.clear()
                try:
                    pubsub.close()
                    client.close()
                except Exception:  # closing a broken connection may fail; it is gone anyway
                    pass
            if not self._closed:
                time.sleep(delay)
                delay = min(delay * 2, self.reconnect_delay)

    def _confirm(self, pubsub: Any) -> None:
        # Resync only once Redis confirmed the subscription, so no change can fall
        # between the streams' re-read and the moment this instance hears again.
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            message = pubsub.get_message(timeout=max(0.0, deadline - time.monotonic()))
            if message is not None and message.get("type") == "subscribe":
                return
        raise redis.TimeoutError(f"no confirmation of SUBSCRIBE {self.channel} from Redis")

    def _receive(self, pubsub: Any) -> None:
        prefix, local = self._prefix, self.local
        idle = 0.0
        while not self._closed:
            # A short wait keeps close() quick; idle wake-ups cost next to nothing.
            message = pubsub.get_message(timeout=0.25)
            if message is None:
                idle += 0.25
                if idle >= 5.0:  # a silent network partition shows up as a failed ping
                    pubsub.ping()
                    idle = 0.0
                continue
            idle = 0.0
            data = message.get("data")
            if message.get("type") != "message" or not isinstance(data, bytes):
                continue
            if data.startswith(prefix):
                continue  # our own echo: local subscribers already have it
            try:
                envelope = json.loads(data[data.index(b"|") + 1 :])
                topic, body = envelope["t"], envelope["m"]
            except (ValueError, KeyError, TypeError):
                logger.warning("nitro.redis: ignored a malformed message on %s", self.channel)
                continue
            local.publish(topic, body)

    def _send(self) -> None:
        # One retry: after a Redis restart the first publish meets a dead connection.
        client = self._client(retries=1)
        outbox, channel = self._outbox, self.channel
        while True:
            payload = outbox.get()
            if payload is _STOP:
                break
            batch = [payload]
            while len(batch) < 500:  # send what piled up in one round trip
                try:
                    more = outbox.get_nowait()
                except queue.Empty:
                    break
                if more is _STOP:
                    outbox.put(_STOP)
                    break
                batch.append(more)
            try:
                if len(batch) == 1:
                    client.publish(channel, payload)
                else:
                    pipe = client.pipeline(transaction=False)
                    for item in batch:
                        pipe.publish(channel, item)
                    pipe.execute()
            except (redis.ConnectionError, redis.TimeoutError, OSError) as error:
                # At most once: the listeners lost their connection too and re-sync.
                logger.warning(
                    "nitro.redis: could not publish %d message(s) to %s: %s",
                    len(batch),
                    describe_url(self.url),
                    error,
                )
        client.close()
