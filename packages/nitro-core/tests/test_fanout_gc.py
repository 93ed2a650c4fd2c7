"""A large fan-out postpones automatic garbage collection, briefly and never for good."""

from __future__ import annotations

import gc
import time

import pytest

from nitro import fanout_gc
from nitro.broadcast import InProcessBroadcaster


@pytest.fixture
def small_fanout(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("NITRO_FANOUT_GC_MIN_SUBSCRIBERS", "3")
    monkeypatch.setenv("NITRO_FANOUT_GC_DEFER_SECONDS", "0.3")
    assert gc.isenabled()
    yield
    gc.enable()


def wait_for(condition, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def test_a_large_fanout_postpones_collection_then_resumes_it(small_fanout) -> None:
    hub = InProcessBroadcaster()
    subs = [hub.subscribe("t") for _ in range(3)]
    hub.publish("t", 1)
    assert not gc.isenabled()
    assert [s.get(1) for s in subs] == [1, 1, 1]  # delivered as usual
    deadline = fanout_gc._timer
    hub.publish("t", 2)
    assert fanout_gc._timer is deadline  # a second change keeps the first deadline
    wait_for(gc.isenabled)
    assert fanout_gc._timer is None


def test_a_small_fanout_changes_nothing(small_fanout) -> None:
    hub = InProcessBroadcaster()
    with hub.subscribe("t"), hub.subscribe("t"):
        hub.publish("t", 1)
        assert gc.isenabled()


def test_zero_seconds_turns_it_off_and_an_app_that_disabled_gc_keeps_it_off(
    small_fanout, monkeypatch: pytest.MonkeyPatch
) -> None:
    hub = InProcessBroadcaster()
    subs = [hub.subscribe("t") for _ in range(3)]
    monkeypatch.setenv("NITRO_FANOUT_GC_DEFER_SECONDS", "0")
    hub.publish("t", 1)
    assert gc.isenabled()
    monkeypatch.setenv("NITRO_FANOUT_GC_DEFER_SECONDS", "0.1")
    gc.disable()
    hub.publish("t", 2)
    time.sleep(0.3)
    assert not gc.isenabled()  # not ours to turn on
    for sub in subs:
        sub.close()
