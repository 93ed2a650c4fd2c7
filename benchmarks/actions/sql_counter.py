"""The counter of ``counter.py`` stored in SQL (``NITRO_DATABASE_URL``: SQLite or
PostgreSQL): an action whose request reads and writes a database, as most actions do.

Besides ``main``, ``BENCH_COUNTERS=N`` makes the counters ``c0`` to ``c<N-1>`` (for
loads spread over many rows)."""

import os

from nitro import Entity, action
from nitro.sql import SQLModelBackend


class Counter(Entity):
    _persistence_backend_class = SQLModelBackend
    count: int = 0

    @action(method="POST")
    def increment(self, amount: int = 1) -> None:
        self.count += amount


if Counter.get("main") is None:
    Counter(id="main").save()
for number in range(int(os.environ.get("BENCH_COUNTERS", "0"))):
    if Counter.get(f"c{number}") is None:
        Counter(id=f"c{number}").save()
