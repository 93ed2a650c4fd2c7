"""The tallied metrics (nitro.observability._tally) expose what prometheus-client's own
would for the same observations: same names, labels, buckets, counts and sums."""

from __future__ import annotations

import random
import threading

import pytest
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest

from nitro.observability._tally import (
    FOLD_EVERY,
    TalliedCounter,
    TalliedHistogram,
    TalliedRequests,
    Tally,
)
from nitro.observability.metrics import LATENCY_BUCKETS


def exposed(registry: CollectorRegistry) -> list[str]:
    """The exposition's lines, without the ``_created`` series only the library keeps."""
    text = generate_latest(registry).decode()
    return sorted(line for line in text.splitlines() if "_created" not in line)


@pytest.mark.parametrize("labels", [["backend", "operation"], ["operation"]])
def test_a_tallied_histogram_exposes_what_prometheus_clients_would(labels: list[str]) -> None:
    ours, theirs = CollectorRegistry(), CollectorRegistry()
    tallied = TalliedHistogram("calls_seconds", "Call latency", labels, LATENCY_BUCKETS)
    ours.register(tallied)
    library = Histogram(
        "calls_seconds", "Call latency", labels, buckets=LATENCY_BUCKETS, registry=theirs
    )
    draw = random.Random(7)
    # values on the bounds (a bucket holds values <= its bound), between, and above all
    values = [*LATENCY_BUCKETS, 0.0, 11.0, *(draw.expovariate(200) for _ in range(500))]
    for value in values:
        values_of_labels = ("SQLModelBackend", draw.choice(["get", "save", "find"]))
        values_of_labels = values_of_labels[-len(labels) :]
        tallied.count([(*values_of_labels, value)])
        library.labels(*values_of_labels).observe(value)
    assert exposed(ours) == exposed(theirs)
    assert any('le="0.0005"' in line for line in exposed(ours))


def test_observations_from_many_threads_are_all_counted() -> None:
    registry = CollectorRegistry()
    tallied = TalliedHistogram("calls_seconds", "Call latency", ["operation"], LATENCY_BUCKETS)
    registry.register(tallied)

    def observe() -> None:
        for _ in range(5000):
            tallied.count([("get", 0.002)])

    threads = [threading.Thread(target=observe) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert registry.get_sample_value("calls_seconds_count", {"operation": "get"}) == 20000
    assert (
        registry.get_sample_value("calls_seconds_bucket", {"operation": "get", "le": "0.001"}) == 0
    )


def tally_in(registry: CollectorRegistry) -> Tally:
    requests = TalliedRequests(
        ("requests", "Requests answered"),
        ("request_duration_seconds", "Request latency"),
        LATENCY_BUCKETS,
    )
    units = TalliedCounter("units", "Units of work", "outcome")
    calls = TalliedHistogram("calls_seconds", "Calls", ["backend", "operation"], LATENCY_BUCKETS)
    for collector in (requests, units, calls):
        registry.register(collector)
    return Tally(requests, units, calls)


def test_noted_requests_expose_what_prometheus_clients_counter_and_histogram_would() -> None:
    ours, theirs = CollectorRegistry(), CollectorRegistry()
    tally = tally_in(ours)
    counted = Counter("requests", "Requests answered", ["action", "method", "status"],
                      registry=theirs)  # fmt: skip
    timed = Histogram("request_duration_seconds", "Request latency", ["action", "method"],
                      buckets=LATENCY_BUCKETS, registry=theirs)  # fmt: skip
    units = Counter("units", "Units of work", ["outcome"], registry=theirs)
    calls = Histogram("calls_seconds", "Calls", ["backend", "operation"],
                      buckets=LATENCY_BUCKETS, registry=theirs)  # fmt: skip
    draw = random.Random(11)
    values = [*LATENCY_BUCKETS, 0.0, 11.0, *(draw.expovariate(300) for _ in range(2500))]
    for value in values:  # more than FOLD_EVERY: folded on the way and at the scrape
        action, status = draw.choice(["Todo.add", "Todo.rename"]), draw.choice([200, 422])
        tally.add(action, "POST", status, value)
        counted.labels(action, "POST", str(status)).inc()
        timed.labels(action, "POST").observe(value)
        if status == 200:
            outcome = draw.choice(["commit", "rollback"])
            tally.unit(outcome)
            units.labels(outcome).inc()
            operation = draw.choice(["get", "save"])
            tally.call(operation, {"backend": "SQLModelBackend"}, value / 3, False)
            calls.labels("SQLModelBackend", operation).observe(value / 3)
    assert len(values) > FOLD_EVERY
    # the sums are added up in another order (per status first): equal but for rounding
    ours_lines, theirs_lines = exposed(ours), exposed(theirs)
    assert [line for line in ours_lines if "_sum{" not in line] == [
        line for line in theirs_lines if "_sum{" not in line
    ]
    sums = [[float(line.rsplit(" ", 1)[1]) for line in lines if "_sum{" in line]
            for lines in (ours_lines, theirs_lines)]  # fmt: skip
    assert len(sums[0]) == 4  # two actions, two repository operations
    assert sums[0] == pytest.approx(sums[1], rel=1e-12)


def test_notes_wait_at_most_fold_every_and_a_scrape_counts_them_all() -> None:
    registry = CollectorRegistry()
    tally = tally_in(registry)
    for _ in range(FOLD_EVERY - 1):
        tally.add("Todo.add", "POST", 200, 0.001)
    tally.unit("commit")
    tally.call("get", {"backend": "MemoryRepo"}, 0.001, False)
    assert len(tally.notes) == FOLD_EVERY - 1  # not folded yet
    tally.add("Todo.add", "POST", 200, 0.001)
    assert not tally.notes  # the FOLD_EVERY-th request folded them all, of every kind
    assert not tally.unit_notes
    assert not tally.call_notes
    tally.add("Todo.add", "POST", 200, 0.001)
    labels = {"action": "Todo.add", "method": "POST", "status": "200"}
    assert registry.get_sample_value("requests_total", labels) == FOLD_EVERY + 1
    assert not tally.notes  # the collection folded the last one
    assert registry.get_sample_value("units_total", {"outcome": "commit"}) == 1
    assert (
        registry.get_sample_value(
            "calls_seconds_count", {"backend": "MemoryRepo", "operation": "get"}
        )
        == 1
    )


def test_requests_noted_from_many_threads_while_scraped_are_all_counted() -> None:
    registry = CollectorRegistry()
    tally = tally_in(registry)
    done = threading.Event()

    def note() -> None:
        for _ in range(20000):
            tally.add("Todo.add", "POST", 200, 0.002)
            tally.call("get", {"backend": "MemoryRepo"}, 0.0001, False)
            tally.unit("commit")

    def scrape() -> None:
        while not done.is_set():
            generate_latest(registry)

    scraper = threading.Thread(target=scrape)
    scraper.start()
    threads = [threading.Thread(target=note) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    done.set()
    scraper.join()
    labels = {"action": "Todo.add", "method": "POST", "status": "200"}
    assert registry.get_sample_value("requests_total", labels) == 80000
    assert registry.get_sample_value("request_duration_seconds_count", {
        "action": "Todo.add", "method": "POST"}) == 80000  # fmt: skip
    assert registry.get_sample_value("units_total", {"outcome": "commit"}) == 80000
    assert registry.get_sample_value("calls_seconds_count", {
        "backend": "MemoryRepo", "operation": "get"}) == 80000  # fmt: skip
