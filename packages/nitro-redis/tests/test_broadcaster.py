"""RedisBroadcaster between two "instances" (two broadcasters) on a real redis-server."""

from __future__ import annotations

import functools
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from nitro_test_services import RedisServer, free_port, start_redis, stop_process

from nitro import Entity, use_backend
from nitro.actions.live import live_events
from nitro.broadcast import RESYNC, Broadcaster, entity_topic
from nitro.redis import RedisBroadcaster, RedisRepo

pytestmark = pytest.mark.redis


@pytest.fixture
def pair(redis_url: str) -> Iterator[tuple[RedisBroadcaster, RedisBroadcaster]]:
    a, b = RedisBroadcaster(redis_url), RedisBroadcaster(redis_url)
    try:
        assert a.wait_connected(5)
        assert b.wait_connected(5)
        yield a, b
    finally:
        a.close()
        b.close()


def drain(subscription, seconds: float = 0.3) -> list[object]:
    """Everything that arrives within *seconds* (to prove nothing more comes)."""
    out, deadline = [], time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        message = subscription.get(timeout=left)
        if message is not None:
            out.append(message)
    return out


def test_implements_the_broadcaster_protocol(redis_url: str) -> None:
    with RedisBroadcaster(redis_url) as broadcaster:
        assert isinstance(broadcaster, Broadcaster)
        assert "redis://127.0.0.1" in repr(broadcaster)


def test_reaches_other_instances_once_and_drops_own_echo(pair) -> None:
    a, b = pair
    with a.subscribe("counter:1") as on_a, b.subscribe("counter:1") as on_b:
        a.publish("counter:1", {"Counter": {"id": "1", "count": 1}})
        assert on_b.get(timeout=5) == {"Counter": {"id": "1", "count": 1}}
        # A delivered locally at once and ignored its own echo from Redis.
        assert on_a.get(timeout=0) == {"Counter": {"id": "1", "count": 1}}
        assert drain(on_a) == []
        assert drain(on_b) == []


def test_custom_topics_and_order(pair) -> None:
    a, b = pair
    with b.subscribe("chat:lobby") as lobby, b.subscribe("chat:other") as other:
        for n in range(50):
            a.publish("chat:lobby", {"n": n})
        received = [lobby.get(timeout=5) for _ in range(50)]
        assert received == [{"n": n} for n in range(50)]
        assert drain(other, 0.1) == []


async def test_async_subscribers(pair) -> None:
    a, b = pair
    async with b.asubscribe("todo:x") as subscription:
        a.publish("todo:x", ["any", "json"])
        assert await subscription.aget(timeout=5) == ["any", "json"]


def test_unserialisable_message_fails_at_publish(pair) -> None:
    a, _ = pair
    with pytest.raises(TypeError):
        a.publish("x:1", object())


def test_closed_broadcaster_still_delivers_locally(redis_url: str) -> None:
    broadcaster = RedisBroadcaster(redis_url)
    broadcaster.close()
    with broadcaster.subscribe("t") as subscription:
        broadcaster.publish("t", 1)
        assert subscription.get(timeout=1) == 1


@pytest.fixture
def own_redis(redis_server: RedisServer, tmp_path: Path) -> Iterator[list[RedisServer]]:
    """A redis-server of this test's own, which the test may stop and restart."""
    servers = [start_redis(tmp_path, free_port())]
    yield servers
    for server in servers:
        if server.process is not None:
            stop_process(server.process)


def test_restart_resyncs_subscribers_and_delivery_resumes(own_redis) -> None:
    server = own_redis[0]
    a, b = RedisBroadcaster(server.url, timeout=0.5), RedisBroadcaster(server.url, timeout=0.5)
    try:
        assert a.wait_connected(5)
        assert b.wait_connected(5)
        with b.subscribe("counter:1") as on_b:
            assert server.process is not None
            stop_process(server.process)
            deadline = time.monotonic() + 5
            while b.connected and time.monotonic() < deadline:
                time.sleep(0.02)
            assert not b.connected
            started = time.monotonic()
            a.publish("counter:1", {"lost": True})  # Redis is down: never blocks, never raises
            assert time.monotonic() - started < 0.1
            own_redis.append(start_redis(server.directory or Path(), server.port))
            assert on_b.get(timeout=10) is RESYNC
            assert b.wait_connected(5)
            assert a.wait_connected(5)
            a.publish("counter:1", {"count": 2})
            received = [on_b.get(timeout=5)]
            if received[0] == {"lost": True}:  # at most once: it may or may not make it
                received.append(on_b.get(timeout=5))
            assert received[-1] == {"count": 2}
            assert b.connections == 2
    finally:
        a.close()
        b.close()


def test_starts_before_redis_and_resyncs_when_it_comes(
    redis_server: RedisServer, tmp_path: Path
) -> None:
    port = free_port()
    broadcaster = RedisBroadcaster(f"redis://127.0.0.1:{port}/0", timeout=0.5)
    server = None
    try:
        with broadcaster.subscribe("x:1") as subscription:
            assert not broadcaster.wait_connected(0.3)
            server = start_redis(tmp_path, port)
            assert subscription.get(timeout=10) is RESYNC
            assert broadcaster.connected
    finally:
        broadcaster.close()
        if server is not None and server.process is not None:
            stop_process(server.process)


class Meter(Entity):
    value: int = 0


def test_sync_live_stream_gets_remote_changes_and_resyncs(pair, redis_url: str) -> None:
    # The path a sync server (Flask) takes: live_events() on a thread-side subscription.
    a, b = pair
    with use_backend(functools.partial(RedisRepo, url=redis_url), Meter):
        meter = Meter(id="m1", value=1)
        meter.save()
        events = live_events(b, meter, keepalive=5)
        assert '"value":1' in next(events)
        meter.value = 2
        meter.save()
        a.publish(entity_topic(Meter, "m1"), meter.signals)
        assert '"value":2' in next(events)
        Meter(id="m1", value=3).save()  # changed without a message: only a resync shows it
        b.resync_all()
        assert '"value":3' in next(events)
        events.close()
