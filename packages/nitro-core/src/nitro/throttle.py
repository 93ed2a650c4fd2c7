"""Failure counters with expiry, and the login throttle built on them.

A :class:`CounterStore` counts hits per key and forgets a key *window* seconds after
its last hit. :class:`MemoryCounterStore` holds the counters in this process;
``nitro.redis.RedisCounterStore`` holds them in Redis, so a limit holds across every
instance of the app.

:class:`LoginThrottle` counts failed logins per username and per client address.
After a few free attempts each further failure doubles the wait (up to a cap), and an
attempt made while waiting is refused *before* the password is checked.
"""

from __future__ import annotations

import hashlib
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

__all__ = ["CounterStore", "LoginThrottle", "MemoryCounterStore"]


@runtime_checkable
class CounterStore(Protocol):
    """Counters that expire *window* seconds after their last hit.

    Every method may raise :class:`~nitro.persistence.BackendUnavailable`.
    """

    def hit(self, key: str, window: float) -> int:
        """Add one to *key* (starting from zero when absent or expired), make it
        expire *window* seconds from now, and return the new count."""
        ...

    def peek(self, key: str) -> tuple[int, float]:
        """``(count, seconds until it expires)``; ``(0, 0.0)`` when absent."""
        ...

    def reset(self, key: str) -> None:
        """Forget *key*."""
        ...


class MemoryCounterStore:
    """Counters in this process's memory (thread-safe); for one process only.

    *clock* returns seconds on a monotonic scale; tests pass a fake one.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._lock = threading.Lock()
        self._counters: dict[str, tuple[int, float]] = {}
        self._next_sweep = 0.0

    def hit(self, key: str, window: float) -> int:
        now = self.clock()
        with self._lock:
            if now >= self._next_sweep:
                self._sweep(now)
                self._next_sweep = now + 60.0
            count, expires = self._counters.get(key, (0, now))
            count = count + 1 if expires > now else 1
            self._counters[key] = (count, now + window)
            return count

    def peek(self, key: str) -> tuple[int, float]:
        now = self.clock()
        count, expires = self._counters.get(key, (0, now))
        return (count, expires - now) if expires > now else (0, 0.0)

    def reset(self, key: str) -> None:
        with self._lock:
            self._counters.pop(key, None)

    def _sweep(self, now: float) -> None:
        for key in [k for k, (_, expires) in self._counters.items() if expires <= now]:
            del self._counters[key]


@dataclass
class LoginThrottle:
    """Exponential back-off on failed logins, per username and per client address.

    After *free_attempts* failures for a username (*free_attempts_per_address* for an
    address: offices share one), the next attempt must wait *base_delay* seconds, and
    each further failure doubles the wait up to *max_delay*. Failures are forgotten
    *window* seconds after the last one; a successful login forgets the username's.

    .. code-block:: python

        throttle = LoginThrottle()
        wait = throttle.retry_after(username, address)
        if wait:
            ...  # 429, Retry-After: ceil(wait); the password is not checked
        elif check_password(...):
            throttle.succeeded(username, address)
        else:
            throttle.failed(username, address)
    """

    store: CounterStore = field(default_factory=MemoryCounterStore)
    free_attempts: int = 5
    free_attempts_per_address: int = 20
    base_delay: float = 1.0
    max_delay: float = 300.0
    window: float = 3600.0
    #: First part of every counter key (one per site when sites share a store).
    prefix: str = "nitro:login"

    def __post_init__(self) -> None:
        if self.free_attempts < 0 or self.free_attempts_per_address < 0:
            raise ValueError("LoginThrottle free attempts must be >= 0")
        if not 0 < self.base_delay <= self.max_delay:
            raise ValueError("LoginThrottle needs 0 < base_delay <= max_delay")
        if self.window < self.max_delay:
            raise ValueError("LoginThrottle window must be at least max_delay")

    def delay(self, failures: int, free: int) -> float:
        """The wait imposed after *failures* failures, *free* of them without a wait."""
        if failures < free:
            return 0.0
        # 2 ** large overflows a float long before the cap matters: clamp the exponent.
        return min(self.base_delay * 2.0 ** min(failures - free, 64), self.max_delay)

    def retry_after(self, username: str, address: str | None) -> float:
        """Seconds to wait before a password may be checked (``0.0``: go ahead)."""
        wait = 0.0
        for key, free in self._keys(username, address):
            count, left = self.store.peek(key)
            if count:
                since_last = self.window - left
                wait = max(wait, self.delay(count, free) - since_last)
        return max(wait, 0.0)

    def failed(self, username: str, address: str | None) -> None:
        for key, _ in self._keys(username, address):
            self.store.hit(key, self.window)

    def succeeded(self, username: str, address: str | None) -> None:
        self.store.reset(self._user_key(username))

    @staticmethod
    def seconds(wait: float) -> int:
        """*wait* as a ``Retry-After`` value (whole seconds, at least 1)."""
        return max(1, math.ceil(wait))

    def _user_key(self, username: str) -> str:
        digest = hashlib.sha256(username.strip().casefold().encode()).hexdigest()[:32]
        return f"{self.prefix}:user:{digest}"

    def _keys(self, username: str, address: str | None) -> list[tuple[str, int]]:
        keys = [(self._user_key(username), self.free_attempts)]
        if address:
            keys.append((f"{self.prefix}:addr:{address}", self.free_attempts_per_address))
        return keys
