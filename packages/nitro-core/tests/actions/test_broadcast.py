"""The in-process broadcaster delivers to sync and async subscribers of a topic."""

import asyncio
import threading

from nitro.broadcast import DELETED, RESYNC, Broadcaster, InProcessBroadcaster


def test_sync_subscriber_receives_in_order_and_unsubscribes():
    hub = InProcessBroadcaster()
    assert isinstance(hub, Broadcaster)
    with hub.subscribe("t") as sub:
        hub.publish("t", 1)
        hub.publish("other", "x")
        hub.publish("t", 2)
        assert [sub.get(1), sub.get(1), sub.get(0.01)] == [1, 2, None]
        assert hub.subscriber_count("t") == 1
    assert hub.subscriber_count("t") == 0


async def test_async_subscriber_receives_from_other_threads():
    hub = InProcessBroadcaster()
    async with hub.asubscribe("t") as sub:
        threads = [threading.Thread(target=hub.publish, args=("t", i)) for i in range(5)]
        for thread in threads:
            thread.start()
        got = sorted([await sub.aget(2) for _ in range(5)])
        for thread in threads:
            thread.join()
    assert got == [0, 1, 2, 3, 4]
    assert hub.subscriber_count("t") == 0


def test_a_slow_subscriber_gets_resync_in_place_of_its_backlog():
    """Memory stays bounded (at most max_queue messages wait), and a consumer that fell
    behind re-reads what it shows rather than applying a history with holes."""
    hub = InProcessBroadcaster(max_queue=3)
    with hub.subscribe("t") as sub:
        for i in range(10):
            hub.publish("t", i)
        assert [sub.get(0.1) for _ in range(2)] == [RESYNC, None]
        hub.publish("t", 10)
        hub.publish("t", 11)
        assert [sub.get(0.1) for _ in range(3)] == [10, 11, None]


def test_an_overflow_keeps_the_end_of_a_stream():
    hub = InProcessBroadcaster(max_queue=2)
    with hub.subscribe("t") as sub:
        for message in (1, 2, DELETED, 3, 4):
            hub.publish("t", message)
        assert sub.get(0.1) == DELETED


def test_subscription_for_a_closed_loop_is_dropped():
    hub = InProcessBroadcaster()
    loop = asyncio.new_event_loop()
    sub = loop.run_until_complete(_subscribe(hub))
    loop.close()
    hub.publish("t", 1)
    assert sub.closed
    assert hub.subscriber_count("t") == 0


async def _subscribe(hub):
    return hub.asubscribe("t")


def test_resync_reaches_every_subscriber():
    from nitro.broadcast import RESYNC

    hub = InProcessBroadcaster()
    with hub.subscribe("a") as first, hub.subscribe("b") as second:
        hub.resync_all()
        assert first.get(1) is RESYNC
        assert second.get(1) is RESYNC
