"""The tallied metrics (nitro.observability._tally) expose what prometheus-client's own
would for the same observations: same names, labels, buckets, counts and sums."""

from __future__ import annotations

import random
import threading

from prometheus_client import CollectorRegistry, Histogram, generate_latest

from nitro.observability._tally import TalliedHistogram
from nitro.observability.metrics import LATENCY_BUCKETS


def exposed(registry: CollectorRegistry) -> list[str]:
    """The exposition's lines, without the ``_created`` series only the library keeps."""
    text = generate_latest(registry).decode()
    return sorted(line for line in text.splitlines() if "_created" not in line)


def test_a_tallied_histogram_exposes_what_prometheus_clients_would() -> None:
    ours, theirs = CollectorRegistry(), CollectorRegistry()
    labels = ["backend", "operation"]
    tallied = TalliedHistogram("calls_seconds", "Call latency", labels, LATENCY_BUCKETS)
    ours.register(tallied)
    library = Histogram(
        "calls_seconds", "Call latency", labels, buckets=LATENCY_BUCKETS, registry=theirs
    )
    draw = random.Random(7)
    # values on the bounds (a bucket holds values <= its bound), between, and above all
    values = [*LATENCY_BUCKETS, 0.0, 11.0, *(draw.expovariate(200) for _ in range(500))]
    for value in values:
        operation = draw.choice(["get", "save", "find"])
        tallied.labels("SQLModelBackend", operation).observe(value)
        library.labels("SQLModelBackend", operation).observe(value)
    assert exposed(ours) == exposed(theirs)
    assert any('le="0.0005"' in line for line in exposed(ours))


def test_observations_from_many_threads_are_all_counted() -> None:
    registry = CollectorRegistry()
    tallied = TalliedHistogram("calls_seconds", "Call latency", ["operation"], LATENCY_BUCKETS)
    registry.register(tallied)
    child = tallied.labels("get")

    def observe() -> None:
        for _ in range(5000):
            child.observe(0.002)

    threads = [threading.Thread(target=observe) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert registry.get_sample_value("calls_seconds_count", {"operation": "get"}) == 20000
    assert (
        registry.get_sample_value("calls_seconds_bucket", {"operation": "get", "le": "0.001"}) == 0
    )
