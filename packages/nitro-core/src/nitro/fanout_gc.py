"""Keep CPython's full garbage collections out of a large fan-out.

With thousands of open live streams a process holds over a million objects the cyclic
garbage collector tracks, and a full collection of them pauses everything for about a
second (measured in benchmarks/realtime: 0.9 to 1.2 s for 10,000 streams on CPython
3.11). A change published to many streams at once allocates enough to trigger one in
the middle of its delivery, which then waits for the pause: that, not Nitro's own work,
sets the p99 of a fan-out.

So a publish to at least ``NITRO_FANOUT_GC_MIN_SUBSCRIBERS`` subscribers (default
1,000) turns automatic collection off for ``NITRO_FANOUT_GC_DEFER_SECONDS`` (default
2; ``0`` never does), long enough for the delivery to finish; the collection the
allocations asked for then runs once it is back on. It is never kept off longer than
that from the first deferral (a stream of changes cannot starve it), nothing is leaked
(only postponed), and collection that was off before is left off.
"""

from __future__ import annotations

import gc
import os
import threading

__all__ = ["defer_during_fanout"]

_lock = threading.Lock()
_timer: threading.Timer | None = None


def _setting(name: str, default: float) -> float:
    value = os.environ.get(name, "").strip()
    return float(value) if value else default


def defer_during_fanout(subscribers: int) -> None:
    """Called by a broadcaster about to deliver one message to *subscribers* streams."""
    if subscribers < _setting("NITRO_FANOUT_GC_MIN_SUBSCRIBERS", 1000):
        return
    seconds = _setting("NITRO_FANOUT_GC_DEFER_SECONDS", 2.0)
    if seconds <= 0:
        return
    global _timer
    with _lock:
        if _timer is not None or not gc.isenabled():
            return  # already deferred (the first deadline holds), or off by the app
        gc.disable()
        _timer = threading.Timer(seconds, _resume)
        _timer.daemon = True
        _timer.start()


def _resume() -> None:
    global _timer
    with _lock:
        _timer = None
        gc.enable()
