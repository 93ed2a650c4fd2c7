"""Prometheus metrics with the official ``prometheus-client`` (``nitro-core[metrics]``).

=================================== ==================================================
``nitro_requests_total``            action requests by ``action``, ``method``, ``status``
``nitro_request_duration_seconds``  their latency (histogram) by ``action``, ``method``
``nitro_live_streams``              live streams open now, by ``transport``
``nitro_repository_duration_seconds`` repository calls by ``backend``, ``operation``
``nitro_unit_of_work_total``        units of work by ``outcome`` (commit, rollback)
``nitro_handler_duration_seconds``  command, query and event handlers by ``kind``,
                                    ``name``; failures in ``nitro_handler_errors_total``
``nitro_jobs_total``                jobs by ``job`` and ``event`` (enqueued, started,
                                    succeeded, retrying, failed)
``nitro_job_duration_seconds``      runs that succeeded, by ``job``
``nitro_job_wait_seconds``          time from enqueue to start, by ``job``
=================================== ==================================================

The metrics live in ``prometheus_client``'s default registry, beside the app's own. With
several worker processes (gunicorn, uvicorn ``--workers``) set
``PROMETHEUS_MULTIPROC_DIR`` to an empty directory before the server starts: every
process then writes its values there and ``/metrics`` adds them up, whichever process
answers the scrape.
"""

from __future__ import annotations

import functools
import hmac
import os
import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from nitro.actions.request import ActionRequest, ActionResponse
from nitro.events import event as named_event
from nitro.probe import Listener, Observer, Timer
from nitro.web import WebRoute

if TYPE_CHECKING:
    from nitro.observability._tally import Tally

__all__ = ["MetricsObserver", "metrics_route"]

#: Finer than prometheus-client's default at the low end: actions take milliseconds.
LATENCY_BUCKETS = (
    0.0005,
    0.001,
    0.0025,
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
    10.0,
)

#: The kinds of handler runs timed into nitro_handler_duration_seconds.
_HANDLERS = frozenset({"command", "query", "event"})

#: The repository call histogram's name, help and labels (tallied, or the library's in
#: multiprocess mode).
_REPOSITORY_SECONDS = (
    "nitro_repository_duration_seconds",
    "Repository call latency",
    ["backend", "operation"],
)

_JOB_EVENTS = ("enqueued", "started", "succeeded", "retrying", "failed")


class _Metrics:
    """The metric objects: one set per process (a registry refuses a name twice)."""

    def __init__(self) -> None:
        from prometheus_client import REGISTRY, Counter, Gauge, Histogram

        from nitro.observability._tally import (
            TalliedCounter,
            TalliedHistogram,
            TalliedRequests,
            Tally,
        )

        # What every request reports is noted, tallied in plain Python and read at the
        # scrape (see _tally), unless several processes share the values through files.
        self.tally: Tally | None = None
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            self.requests = Counter(
                "nitro_requests", "Action requests answered", ["action", "method", "status"]
            )
            self.request_seconds = Histogram(
                "nitro_request_duration_seconds",
                "Action request latency",
                ["action", "method"],
                buckets=LATENCY_BUCKETS,
            )
            self.units = Counter("nitro_unit_of_work", "Units of work finished", ["outcome"])
        else:
            requests = TalliedRequests(
                ("nitro_requests", "Action requests answered"),
                ("nitro_request_duration_seconds", "Action request latency"),
                LATENCY_BUCKETS,
            )
            units = TalliedCounter("nitro_unit_of_work", "Units of work finished", "outcome")
            calls = TalliedHistogram(*_REPOSITORY_SECONDS, LATENCY_BUCKETS)
            self.tally = Tally(requests, units, calls)
            for collector in (requests, units, calls):
                REGISTRY.register(collector)
        self.streams = Gauge(
            "nitro_live_streams", "Live streams open", ["transport"], multiprocess_mode="livesum"
        )
        if self.tally is None:
            self.repository_seconds: Any = Histogram(*_REPOSITORY_SECONDS, buckets=LATENCY_BUCKETS)
        else:
            self.repository_seconds = self.tally.calls
        self.handler_seconds = Histogram(
            "nitro_handler_duration_seconds",
            "Command, query and event handler latency",
            ["kind", "name"],
            buckets=LATENCY_BUCKETS,
        )
        self.handler_errors = Counter(
            "nitro_handler_errors", "Handlers that raised", ["kind", "name"]
        )
        self.jobs = Counter("nitro_jobs", "Job lifecycle events", ["job", "event"])
        self.job_seconds = Histogram(
            "nitro_job_duration_seconds", "Job run time (succeeded runs)", ["job"]
        )
        self.job_wait_seconds = Histogram(
            "nitro_job_wait_seconds", "Time from enqueue to a worker starting the job", ["job"]
        )


_lock = threading.Lock()
_metrics: _Metrics | None = None


def _the_metrics() -> _Metrics:
    global _metrics
    with _lock:
        if _metrics is None:
            _metrics = _Metrics()
        return _metrics


class MetricsObserver(Observer):
    """Feeds the metrics from :mod:`nitro.probe` reports, job signals and requests."""

    def __init__(self) -> None:
        self.metrics = _the_metrics()
        # labelled children, cached: .labels() costs more than an observation
        self._children: dict[tuple[Any, ...], Any] = {}
        # (action, method, status) -> (its counter, its histogram)
        self._requests: dict[tuple[str, str, int], tuple[Any, Any]] = {}
        # (backend, operation) -> its repository latency child
        self._repository: dict[tuple[Any, str], Any] = {}
        self._job_receivers: list[Any] = []

    def _child(self, metric: Any, *labels: str) -> Any:
        key = (id(metric), *labels)
        child = self._children.get(key)
        if child is None:
            child = self._children[key] = metric.labels(*labels)
        return child

    # -- requests (called by the middleware) ---------------------------------------------

    @property
    def tally(self) -> Tally | None:
        """Where requests are noted when the metrics are tallied in this process (the
        middleware notes them there itself: one call less per request)."""
        return self.metrics.tally

    def request(self, action: str, method: str, status: int, seconds: float) -> None:
        """Count one action request and its latency."""
        tally = self.metrics.tally
        if tally is not None:
            tally.add(action, method, status, seconds)
            return
        key = (action, method, status)
        children = self._requests.get(key)
        if children is None:
            m = self.metrics
            children = self._requests[key] = (
                self._child(m.requests, action, method, str(status)),
                self._child(m.request_seconds, action, method),
            )
        children[0].inc()
        children[1].observe(seconds)

    # -- probe reports ------------------------------------------------------------------

    def timer(self, kind: str) -> Timer | None:
        if kind == "repository":
            tally = self.metrics.tally
            return self._repository_call if tally is None else tally.call
        if kind in _HANDLERS:
            return functools.partial(self._handler_run, kind)
        return None

    def wants_event(self, kind: str) -> bool:
        return kind in ("uow", "stream")

    def listener(self, kind: str) -> Listener | None:
        tally = self.metrics.tally
        if kind == "uow" and tally is not None:
            return tally.unit  # (every request's unit of work: the shortest way)
        return super().listener(kind)

    def _repository_call(
        self, operation: str, attributes: Mapping[str, Any], seconds: float, failed: bool
    ) -> None:
        """(where the metrics are not tallied in this process: Tally.call else)"""
        backend = str(attributes.get("backend", ""))
        child = self._repository.get((backend, operation))
        if child is None:
            child = self._repository[backend, operation] = self._child(
                self.metrics.repository_seconds, backend, operation
            )
        child.observe(seconds)

    def _handler_run(
        self, kind: str, name: str, attributes: Mapping[str, Any], seconds: float, failed: bool
    ) -> None:
        self._child(self.metrics.handler_seconds, kind, name).observe(seconds)
        if failed:
            self._child(self.metrics.handler_errors, kind, name).inc()

    def event(self, kind: str, name: str, attributes: Mapping[str, Any]) -> None:
        m = self.metrics
        if kind == "uow":
            if m.tally is not None:
                m.tally.unit(name)
            else:
                self._child(m.units, name).inc()
        elif kind == "stream":
            gauge = self._child(m.streams, str(attributes.get("transport", "sse")))
            if name == "open":
                gauge.inc()
            elif name == "close":
                gauge.dec()

    # -- jobs (nitro-cqrs's signals, found by name) --------------------------------------

    def connect_jobs(self) -> None:
        m = self.metrics
        for event_name in _JOB_EVENTS:

            def count(sender: Any, _event: str = event_name, **kwargs: Any) -> None:
                job = str(sender)
                self._child(m.jobs, job, _event).inc()
                if _event == "succeeded" and "duration" in kwargs:
                    self._child(m.job_seconds, job).observe(kwargs["duration"])
                elif _event == "started" and "waited" in kwargs:
                    self._child(m.job_wait_seconds, job).observe(max(0.0, kwargs["waited"]))

            named_event(f"nitro.jobs.{event_name}").connect(count, weak=False)
            self._job_receivers.append((event_name, count))

    def disconnect_jobs(self) -> None:
        for event_name, receiver in self._job_receivers:
            named_event(f"nitro.jobs.{event_name}").disconnect(receiver)
        self._job_receivers.clear()


def exposition() -> tuple[bytes, str]:
    """The text a scrape gets: this process's registry, or every process's values when
    ``PROMETHEUS_MULTIPROC_DIR`` is set."""
    from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest

    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import CollectorRegistry, multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST


def metrics_route(path: str = "/metrics", token: str | None = None) -> WebRoute:
    """``GET path``: the metrics for a Prometheus scrape. With *token*, a scrape must
    send ``Authorization: Bearer <token>`` (Prometheus's ``authorization`` setting);
    others get 401 and no metrics."""

    def serve(request: ActionRequest) -> ActionResponse:
        if token is not None:
            given = request.headers.get("authorization", "")
            if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
                return ActionResponse(
                    401,
                    {"Content-Type": "text/plain", "WWW-Authenticate": "Bearer"},
                    b"metrics need a bearer token\n",
                )
        body, content_type = exposition()
        return ActionResponse(200, {"Content-Type": content_type}, body)

    return WebRoute(("GET",), path, serve, "nitro_metrics")
