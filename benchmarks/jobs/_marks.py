"""What every benchmark job does, on both sides: note in Redis when it started.

One ``HSET`` per job (``i`` -> ``time.time()``) on a client made once per process. The
driver counts the field with ``HLEN`` to know when the jobs are done, and reads them
afterwards for the enqueue-to-start latencies, so measuring costs both sides the same
one round trip per job.
"""

from __future__ import annotations

import os
import threading
import time

import redis

#: The Redis the benchmark runs on (set by bench_jobs.py for the workers it starts).
URL_VAR = "BENCH_JOBS_REDIS"
#: The hash of start times, ``i`` -> ``time.time()``.
MARKS = "bench:jobs:started"

_lock = threading.Lock()
_client: redis.Redis | None = None


def client() -> redis.Redis:
    global _client
    if _client is None:
        with _lock:
            if _client is None:
                _client = redis.Redis.from_url(os.environ[URL_VAR])
    return _client


def mark(i: int) -> None:
    """Record that job *i* started now."""
    client().hset(MARKS, str(i), repr(time.time()))
