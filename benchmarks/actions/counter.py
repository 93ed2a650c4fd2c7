"""The entity both endpoints of the benchmark serve: the counter of examples/counter.

Besides ``main``, ``BENCH_COUNTERS=N`` makes the counters ``c0`` to ``c<N-1>``."""

import os

from nitro import Entity, action


class Counter(Entity):
    count: int = 0

    @action(method="POST")
    def increment(self, amount: int = 1) -> None:
        self.count += amount


Counter(id="main").save()
for number in range(int(os.environ.get("BENCH_COUNTERS", "0"))):
    Counter(id=f"c{number}").save()
