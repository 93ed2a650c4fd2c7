"""Per-request metrics kept in plain Python and handed to Prometheus when it scrapes.

``prometheus_client``'s ``Counter.inc`` and ``Histogram.observe`` are made for any
number of threads and processes: each takes a lock per value and checks its labels,
and a histogram walks its buckets. Per request that came to about 4.5 µs for the two
request metrics and 2.5 µs for the unit-of-work counter, on an action whose whole
request costs 60 µs in-process. These collectors keep the same numbers and build the
samples only when ``/metrics`` (or any other reader of the registry) collects them: the
same names, labels and buckets.

A request, a repository call and a unit of work are only *noted* where they happen:
one ``deque.append`` (atomic, so no lock), folded into the counts by :meth:`Tally.fold` once
:data:`FOLD_EVERY` notes wait, and before every collection. On a loaded server each
call on the request path costs what a few instructions cost in a tight loop several
times over (its code and data are no longer in the CPU's caches); folding a thousand
notes at once runs hot.

With ``PROMETHEUS_MULTIPROC_DIR`` set, each process's values must be in the shared
files, so :mod:`nitro.observability.metrics` uses the library's own metrics there.
"""

from __future__ import annotations

import threading
from bisect import bisect_left
from collections import deque
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from prometheus_client.metrics_core import CounterMetricFamily, HistogramMetricFamily
from prometheus_client.utils import floatToGoString

__all__ = ["FOLD_EVERY", "TalliedCounter", "TalliedHistogram", "TalliedRequests", "Tally"]

#: How many notes wait before the request path folds them (a bound on their memory).
FOLD_EVERY = 1024


#: A note: a request ``(action, method, status, seconds)``, a repository call
#: ``(backend, operation, seconds)`` or a unit of work's outcome (a ``str``).
Note = tuple[str, str, int, float] | tuple[str, str, float] | str


class Tally:
    """The notes of requests, repository calls and units of work in *notes*, folded
    into *requests*, *calls* (by backend and operation) and *units*."""

    #: the length of *notes* at which they are folded (FOLD_EVERY)
    fold_every = FOLD_EVERY

    def __init__(
        self, requests: TalliedRequests, units: TalliedCounter, calls: TalliedHistogram
    ) -> None:
        self.requests = requests
        self.units = units
        self.calls = calls
        self.notes: deque[Note] = deque()
        self.lock = threading.Lock()
        # (they fold the notes before a collection)
        requests.tally = units.tally = calls.tally = self

    def add(self, action: str, method: str, status: int, seconds: float) -> None:
        """Note one request and its latency."""
        notes = self.notes
        notes.append((action, method, status, seconds))
        if len(notes) >= self.fold_every:
            self.fold()

    def call(
        self, operation: str, attributes: Mapping[str, Any], seconds: float, failed: bool
    ) -> None:
        """Note one repository call (a :data:`nitro.probe.Timer`)."""
        notes = self.notes
        notes.append((attributes["backend"], operation, seconds))
        if len(notes) >= self.fold_every:
            self.fold()

    def unit(self, outcome: str, attributes: Mapping[str, Any] | None = None) -> None:
        """Note one unit of work's outcome (``commit``, ``rollback``; a
        :data:`nitro.probe.Listener` of ``uow`` events)."""
        notes = self.notes
        notes.append(outcome)
        if len(notes) >= self.fold_every:
            self.fold()

    def fold(self) -> None:
        """Count the notes made so far (those added meanwhile wait for the next fold)."""
        notes = self.notes
        with self.lock:
            requests: list[Any] = []
            calls: list[Any] = []
            units: list[str] = []
            for _ in range(len(notes)):
                note = notes.popleft()
                if type(note) is str:
                    units.append(note)
                elif len(note) == 4:
                    requests.append(note)
                else:
                    calls.append(note)
            self.requests.count(requests)
            self.calls.count(calls)
            self.units.count(units)


class TalliedRequests:
    """A counter by action, method and status and a latency histogram by action and
    method, both counted from the notes of a :class:`Tally`. *counter* and *histogram*
    are ``(name, help)``."""

    def __init__(
        self, counter: tuple[str, str], histogram: tuple[str, str], buckets: Sequence[float]
    ) -> None:
        self.counter = counter
        self.histogram = histogram
        self.bounds = tuple(buckets)
        self.lock = threading.Lock()
        # (action, method, status) -> [sum of seconds, count per bucket..., count over]
        self.cells: dict[tuple[str, str, int], list[float]] = {}
        #: the tally whose notes are folded in before each collection
        self.tally: Tally | None = None

    def count(self, requests: Sequence[tuple[str, str, int, float]]) -> None:
        """Count these requests (``(action, method, status, seconds)``) and latencies."""
        cells = self.cells
        with self.lock:
            _count(cells, self.bounds, ((note[:3], note[3]) for note in requests))

    def describe(self) -> Iterator[Any]:
        yield CounterMetricFamily(*self.counter, labels=())
        yield HistogramMetricFamily(*self.histogram, labels=())

    def collect(self) -> Iterator[Any]:
        if self.tally is not None:
            self.tally.fold()
        with self.lock:
            cells = {key: list(cell) for key, cell in self.cells.items()}
        counted = CounterMetricFamily(*self.counter, labels=("action", "method", "status"))
        timed = HistogramMetricFamily(*self.histogram, labels=("action", "method"))
        by_route: dict[tuple[str, ...], list[float]] = {}
        for (action, method, status), cell in cells.items():
            counted.add_metric((action, method, str(status)), sum(cell[1:]))
            total = by_route.setdefault((action, method), [0.0] * len(cell))
            for index, value in enumerate(cell):
                total[index] += value
        _add_histograms(timed, self.bounds, by_route)
        yield counted
        yield timed


def _count(
    cells: dict[Any, list[float]], bounds: tuple[float, ...], keyed: Iterable[tuple[Any, float]]
) -> None:
    """Add each ``(label values, seconds)`` of *keyed* to its cell of *cells* (``[sum,
    count per bucket..., count over the last]``); the caller holds the lock."""
    size = len(bounds) + 2
    for key, seconds in keyed:
        cell = cells.get(key)
        if cell is None:
            cell = cells[key] = [0.0] * size
        cell[0] += seconds
        cell[bisect_left(bounds, seconds) + 1] += 1  # a bucket holds values <= its bound


def _add_histograms(
    family: HistogramMetricFamily,
    bounds: Sequence[float],
    cells: dict[tuple[str, ...], list[float]],
) -> None:
    """Add each cell (``[sum, count per bucket..., count over the last]``) to *family*
    as cumulative buckets, the way a Prometheus histogram reports them."""
    names = [*map(floatToGoString, bounds), "+Inf"]
    for labels, cell in cells.items():
        running, buckets = 0.0, []
        for bound, count in zip(names, cell[1:], strict=True):
            running += count
            buckets.append((bound, running))
        family.add_metric(labels, buckets, cell[0])


class TalliedHistogram:
    """A latency histogram by *labelnames*, as ``prometheus_client``'s ``Histogram``,
    counted from the notes of a :class:`Tally` (:meth:`count`)."""

    def __init__(
        self, name: str, documentation: str, labelnames: Sequence[str], buckets: Sequence[float]
    ) -> None:
        self.name = name
        self.documentation = documentation
        self.labelnames = tuple(labelnames)
        self.bounds = tuple(buckets)
        self.lock = threading.Lock()
        self.cells: dict[tuple[str, ...], list[float]] = {}
        #: the tally whose notes are folded in before each collection
        self.tally: Tally | None = None

    def count(self, observations: Sequence[tuple[Any, ...]]) -> None:
        """Count these observations: ``(label values..., seconds)`` each."""
        with self.lock:
            _count(self.cells, self.bounds, ((note[:-1], note[-1]) for note in observations))

    def describe(self) -> Iterator[Any]:
        yield HistogramMetricFamily(self.name, self.documentation, labels=())

    def collect(self) -> Iterator[Any]:
        if self.tally is not None:
            self.tally.fold()
        with self.lock:
            cells = {labels: list(cell) for labels, cell in self.cells.items()}
        family = HistogramMetricFamily(self.name, self.documentation, labels=self.labelnames)
        _add_histograms(family, self.bounds, cells)
        yield family


class TalliedCounter:
    """A counter with one label, counted with :meth:`count`."""

    def __init__(self, name: str, documentation: str, label: str) -> None:
        self.name = name
        self.documentation = documentation
        self.label = label
        self.lock = threading.Lock()
        self.counts: dict[str, float] = {}
        #: the tally whose notes are folded in before each collection
        self.tally: Tally | None = None

    def count(self, values: Sequence[str]) -> None:
        """Count one for each of *values* (label values, repeated as often as counted)."""
        counts = self.counts
        with self.lock:
            for value in values:
                counts[value] = counts.get(value, 0.0) + 1

    def describe(self) -> Iterator[Any]:
        yield CounterMetricFamily(self.name, "", labels=())

    def collect(self) -> Iterator[Any]:
        if self.tally is not None:
            self.tally.fold()
        with self.lock:
            counts = dict(self.counts)
        family = CounterMetricFamily(self.name, self.documentation, labels=(self.label,))
        for value, count in counts.items():
            family.add_metric((value,), count)
        yield family
