"""nitro.throttle: expiring counters and the login back-off."""

from __future__ import annotations

import pytest

from nitro.throttle import CounterStore, LoginThrottle, MemoryCounterStore


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_counters_expire_a_window_after_the_last_hit() -> None:
    clock = FakeClock()
    store = MemoryCounterStore(clock)
    assert isinstance(store, CounterStore)
    assert store.peek("k") == (0, 0.0)
    assert [store.hit("k", 10) for _ in range(3)] == [1, 2, 3]
    clock.now += 8
    assert store.peek("k") == (3, 2.0)
    assert store.hit("k", 10) == 4  # sliding: the window starts again
    clock.now += 9
    assert store.peek("k") == (4, 1.0)
    clock.now += 1
    assert store.peek("k") == (0, 0.0)
    assert store.hit("k", 10) == 1
    store.reset("k")
    assert store.peek("k") == (0, 0.0)


def test_back_off_per_username() -> None:
    clock = FakeClock()
    throttle = LoginThrottle(MemoryCounterStore(clock), free_attempts=2, base_delay=1)
    for _ in range(2):
        assert throttle.retry_after("ann", "10.0.0.1") == 0
        throttle.failed("ann", "10.0.0.1")
    assert throttle.retry_after("ann", "10.0.0.1") == 1
    assert throttle.retry_after("ANN ", "10.0.0.2") == 1  # same user, normalised
    assert throttle.retry_after("bob", "10.0.0.2") == 0
    clock.now += 1
    assert throttle.retry_after("ann", "10.0.0.1") == 0
    throttle.failed("ann", "10.0.0.1")
    assert throttle.retry_after("ann", "10.0.0.1") == 2  # doubled
    throttle.succeeded("ann", "10.0.0.1")
    assert throttle.retry_after("ann", "10.0.0.1") == 0


def test_back_off_per_address_and_cap() -> None:
    clock = FakeClock()
    throttle = LoginThrottle(
        MemoryCounterStore(clock), free_attempts_per_address=3, max_delay=60, window=600
    )
    for i in range(3):
        throttle.failed(f"user{i}", "10.0.0.1")
    assert throttle.retry_after("someone", "10.0.0.1") == 1
    assert throttle.retry_after("someone", "10.0.0.2") == 0
    assert throttle.retry_after("someone", None) == 0
    assert throttle.delay(100, 3) == 60
    assert LoginThrottle.seconds(0.2) == 1
    assert LoginThrottle.seconds(2.1) == 3


@pytest.mark.parametrize(
    "options",
    [{"free_attempts": -1}, {"base_delay": 0}, {"base_delay": 10, "max_delay": 5}, {"window": 1}],
)
def test_settings_are_checked(options: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="LoginThrottle"):
        LoginThrottle(**options)  # type: ignore[arg-type]
