"""Per-request metrics kept in plain Python and handed to Prometheus when it scrapes.

``prometheus_client``'s ``Counter.inc`` and ``Histogram.observe`` are made for any
number of threads and processes: each takes a lock per value and checks its labels,
and a histogram walks its buckets. Per request that came to about 4.5 µs for the two
request metrics and 2.5 µs for the unit-of-work counter, on an action whose whole
request costs 60 µs in-process. These collectors keep the same numbers and build the
samples only when ``/metrics`` (or any other reader of the registry) collects them: the
same names, labels and buckets.

A request, a repository call and a unit of work are only *noted* where they happen:
one ``deque.append`` (atomic, so no lock) to the deque of its kind, folded into the
counts by :meth:`Tally.fold` once :data:`FOLD_EVERY` notes of a kind wait, and before
every collection. On a loaded server each call on the request path costs what a few
instructions cost in a tight loop several times over (its code and data are no longer
in the CPU's caches); folding a thousand notes at once runs hot. The fold itself runs
in C but for a few steps per label set: the notes are taken off their deque with
``map``, sorted by their labels (a stable sort: each label set's latencies stay in the
order they came), grouped, summed with ``sum`` and counted into buckets by sorting the
latencies and bisecting at each bucket's bound. Counted one note at a time in Python,
the fold cost the smallest action about 9,000 instructions per request; this way about
3,000 (``benchmarks/actions/instructions_per_request.sh``).

With ``PROMETHEUS_MULTIPROC_DIR`` set, each process's values must be in the shared
files, so :mod:`nitro.observability.metrics` uses the library's own metrics there.
"""

from __future__ import annotations

import threading
from bisect import bisect_right
from collections import Counter, deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from itertools import groupby, repeat
from operator import itemgetter
from typing import Any

from prometheus_client.metrics_core import CounterMetricFamily, HistogramMetricFamily
from prometheus_client.utils import floatToGoString

__all__ = ["FOLD_EVERY", "TalliedCounter", "TalliedHistogram", "TalliedRequests", "Tally"]

#: How many notes of a kind wait before the request path folds them (a bound on their
#: memory).
FOLD_EVERY = 1024

_popleft = deque.popleft


def _taken(notes: deque[Any]) -> list[Any]:
    """The notes waiting in *notes*, taken off it (those appended meanwhile stay)."""
    return list(map(_popleft, repeat(notes, len(notes))))


class Tally:
    """The notes of requests ``(action, method, status, seconds)`` in *notes*, of
    repository calls ``(backend, operation, seconds)`` in *call_notes* and of units of
    work's outcomes in *unit_notes*, folded into *requests*, *calls* and *units*."""

    #: the length of a deque of notes at which they are folded (FOLD_EVERY)
    fold_every = FOLD_EVERY

    def __init__(
        self, requests: TalliedRequests, units: TalliedCounter, calls: TalliedHistogram
    ) -> None:
        self.requests = requests
        self.units = units
        self.calls = calls
        self.notes: deque[tuple[str, str, int, float]] = deque()
        self.call_notes: deque[tuple[str, str, float]] = deque()
        self.unit_notes: deque[str] = deque()
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
        notes = self.call_notes
        notes.append((attributes["backend"], operation, seconds))
        if len(notes) >= self.fold_every:
            self.fold()

    def unit(self, outcome: str, attributes: Mapping[str, Any] | None = None) -> None:
        """Note one unit of work's outcome (``commit``, ``rollback``; a
        :data:`nitro.probe.Listener` of ``uow`` events)."""
        notes = self.unit_notes
        notes.append(outcome)
        if len(notes) >= self.fold_every:
            self.fold()

    def fold(self) -> None:
        """Count the notes made so far (those added meanwhile wait for the next fold)."""
        with self.lock:
            self.requests.count(_taken(self.notes))
            self.calls.count(_taken(self.call_notes))
            self.units.count(_taken(self.unit_notes))


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
        with self.lock:
            _count(self.cells, self.bounds, requests, _FIRST_THREE, _FOURTH)

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


_FIRST_THREE, _FOURTH = itemgetter(0, 1, 2), itemgetter(3)


def _count(
    cells: dict[Any, list[float]],
    bounds: tuple[float, ...],
    notes: Sequence[Any],
    labels_of: Callable[[Any], Any],
    seconds_of: Callable[[Any], float],
) -> None:
    """Add each note's seconds (``seconds_of(note)``) to the cell of its label values
    (``labels_of(note)``) in *cells*: ``[sum, count per bucket..., count over the
    last]``, a bucket holding the values up to its bound. The caller holds the lock."""
    if not notes:
        return
    size = len(bounds) + 2
    # (a stable sort: the sum adds each label set's seconds in the order they came, as
    # prometheus_client's histogram does)
    for labels, group in groupby(sorted(notes, key=labels_of), labels_of):
        seconds = list(map(seconds_of, group))
        cell = cells.get(labels)
        if cell is None:
            cell = cells[labels] = [0.0] * size
        cell[0] = sum(seconds, cell[0])
        seconds.sort()
        below = 0
        for index, bound in enumerate(bounds, 1):
            upto = bisect_right(seconds, bound)
            cell[index] += upto - below
            below = upto
        cell[-1] += len(seconds) - below


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
        # (an observation's label values and seconds, in C where there are two labels
        # or more: itemgetter of one index gives the value, not a tuple of it)
        width = len(self.labelnames)
        self._labels_of: Callable[[Any], Any] = (
            itemgetter(*range(width)) if width > 1 else lambda note: tuple(note[:width])
        )
        self._seconds_of: Callable[[Any], float] = itemgetter(width)
        #: the tally whose notes are folded in before each collection
        self.tally: Tally | None = None

    def count(self, observations: Sequence[tuple[Any, ...]]) -> None:
        """Count these observations: ``(label values..., seconds)`` each."""
        with self.lock:
            _count(self.cells, self.bounds, observations, self._labels_of, self._seconds_of)

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
            for value, times in Counter(values).items():
                counts[value] = counts.get(value, 0.0) + times

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
