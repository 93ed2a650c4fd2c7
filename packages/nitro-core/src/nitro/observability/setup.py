"""Observability for an app: what :func:`enable` turns on, and the action middleware."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from contextvars import Token
from time import perf_counter
from typing import TYPE_CHECKING, Any, TypedDict, Unpack

from nitro import probe
from nitro.actions.request import ActionRequest, ActionResponse
from nitro.observability.context import (
    _getrandbits,
    _request_id,
    incoming_request_id,
    set_request_id,
)
from nitro.observability.logs import LogFormat, access_line, configure_logging
from nitro.persistence.registry import reset_repositories
from nitro.web import WebRoute

if TYPE_CHECKING:
    from nitro.actions.registry import ActionRoute

__all__ = ["Observability", "active", "disable", "enable"]

#: Where a request keeps what ``before_action`` started, for ``after_action``:
#: ``(started, action name, request id, its token, span, trace token, timing token)``.
_STATE = "_nitro_observed"

#: The libraries whose own OpenTelemetry instrumentation traces can turn on.
TRACE_LIBRARIES = ("sqlalchemy", "redis")


def unknown_libraries(names: Sequence[str]) -> list[str]:
    """The names in *names* that are not in :data:`TRACE_LIBRARIES`, sorted."""
    return sorted(set(names) - set(TRACE_LIBRARIES))


class Observability:
    """What :func:`enable` turned on; also the ``before_action``/``after_action``
    middleware and the ``/metrics`` route (``web_routes``) it serves."""

    def __init__(
        self,
        *,
        logs: LogFormat | None = None,
        log_level: int | str = "INFO",
        access_log: bool = False,
        metrics: bool = False,
        metrics_path: str = "/metrics",
        metrics_token: str | None = None,
        traces: float | None = None,
        tracer_provider: Any = None,
        trace_libraries: Sequence[str] | None = None,
        server_timing: bool = False,
    ) -> None:
        self.logs = logs
        self.log_level = log_level
        self.access_log = access_log and logs is not None
        self.metrics_path = metrics_path
        self.metrics_token = metrics_token
        self.server_timing = server_timing
        self.trace_libraries = _libraries(trace_libraries)
        self.observers: list[probe.Observer] = []
        self.metrics: Any = None
        self.tracing: Any = None
        # (action, method, status, seconds) -> None: a request counted and timed, where
        # the metrics are not tallied in this process (else _tally, where it is noted)
        self._count: Any = None
        self._tally: Any = None
        # (bound, OpenTelemetry's context variable, its suppressed context): what marks
        # a request's own trace as not sampled (TracingObserver.quick_unsampled), or None
        self._quick: tuple[int, Any, Any] | None = None
        if metrics:
            from nitro.observability.metrics import MetricsObserver

            self.metrics = MetricsObserver()
            self._tally = self.metrics.tally
            if self._tally is None:
                self._count = self.metrics.request
        if traces is not None or tracer_provider is not None:
            from nitro.observability.tracing import TracingObserver
            from nitro.observability.tracing import tracer_provider as make_provider

            if traces is not None and not 0.0 <= traces <= 1.0:
                raise ValueError(f"traces must be a ratio between 0 and 1, not {traces!r}")
            provider = tracer_provider or _configured_provider() or make_provider()
            # Nitro samples the roots at *traces*; then the provider's sampler applies
            # (Nitro's own keeps what its parent keeps).
            self.tracing = TracingObserver(provider, traces)
            self._quick = self.tracing.quick_unsampled()
        if logs is not None:
            from nitro.observability._logged import LogObserver

            self.observers.append(LogObserver())
        self.observers += [o for o in (self.metrics, self.tracing) if o is not None]
        if server_timing:
            from nitro.observability.timing import TimingObserver

            self.observers.append(TimingObserver())

    def __repr__(self) -> str:
        on = [
            name
            for name, value in (
                ("logs", self.logs),
                ("metrics", self.metrics),
                ("traces", self.tracing),
                ("server_timing", self.server_timing),
            )
            if value
        ]
        return f"<Observability {', '.join(on) or 'off'}>"

    # -- the middleware ------------------------------------------------------------------

    # Every request pays for these two, so they are written out in few calls: on a
    # loaded server each call costs several times what it costs in a tight loop (its
    # code and data are out of the CPU's caches by the next request). What they keep
    # between them is one tuple (_STATE); the usual request id (none given) is made
    # here, the request is noted for the metrics here (Tally.add), and the mark of a
    # trace not sampled is undone here (TracingObserver.end_request).

    def before_action(self, route: ActionRoute, request: ActionRequest) -> None:
        started = perf_counter()
        headers = request.headers
        continued = "traceparent" in headers
        bits = _getrandbits(128)  # the request id's, and the sampling's draw
        if continued or "x-request-id" in headers:
            request_id = incoming_request_id(headers)
        else:
            request_id = bits.to_bytes(16, "big").hex()  # (new_request_id)
        name = route.action_name
        span = trace_token = timing_token = None
        quick = self._quick
        if quick is not None and not continued and not quick[1].get():
            # the root of a trace: drawn here, once (start_request would draw again)
            if bits >> 64 >= quick[0]:  # not sampled: start_request's mark
                trace_token = quick[1].set(quick[2])
            else:
                span, trace_token = self.tracing.start_request(route, request, name, True)
        elif self.tracing is not None:
            span, trace_token = self.tracing.start_request(route, request, name)
        if self.server_timing:
            from nitro.observability.timing import totals

            timing_token = totals.set({})
        request.__dict__[_STATE] = (
            started,
            name,
            request_id,
            _request_id.set(request_id),
            span,
            trace_token,
            timing_token,
        )

    def after_action(
        self, route: ActionRoute, request: ActionRequest, response: ActionResponse
    ) -> None:
        try:  # (left on the request, which ends with the answer: no call to remove it)
            state = request.__dict__[_STATE]
        except KeyError:  # an earlier hook answered before ours ran
            return
        started, name, request_id, request_token, span, trace_token, timing_token = state
        seconds = perf_counter() - started
        response.headers["X-Request-ID"] = request_id
        tally = self._tally
        if tally is not None:  # (Tally.add, written out)
            notes = tally.notes
            notes.append((name, request.method, response.status, seconds))
            if len(notes) >= tally.fold_every:
                tally.fold()
        elif self._count is not None:
            self._count(name, request.method, response.status, seconds)
        if self.access_log:
            status = response.status
            access_line(
                f"{request.method} {request.path or route.path} {status} {seconds * 1000:.1f} ms",
                request_id,
                status=status,
                duration_ms=round(seconds * 1000, 3),
            )
        if timing_token is not None:
            from nitro.observability.timing import server_timing, totals

            sums = totals.get() or {}
            response.headers["Server-Timing"] = server_timing(seconds, sums)
            _reset(totals, timing_token)
        if trace_token is not None:
            if span is None and type(trace_token) is Token and self._quick is not None:
                self._quick[1].reset(trace_token)  # the quick unsampled mark's end
            else:
                self.tracing.end_request(span, trace_token, response.status)
        try:
            _request_id.reset(request_token)
        except ValueError:  # left in another context than it was entered in
            set_request_id(None)

    def web_routes(self) -> Sequence[WebRoute]:
        if self.metrics is None:
            return []
        from nitro.observability.metrics import metrics_route

        return [metrics_route(self.metrics_path, self.metrics_token)]


def _configured_provider() -> Any:
    """The SDK tracer provider the process already set up (``opentelemetry-instrument``,
    the app's own code), whose sampling and exporters then apply; ``None`` if none."""
    from opentelemetry import trace

    provider = trace.get_tracer_provider()
    if isinstance(provider, trace.ProxyTracerProvider | trace.NoOpTracerProvider):
        return None
    return provider


def _libraries(names: Sequence[str] | None) -> tuple[str, ...] | None:
    if names is None:
        return None
    if isinstance(names, str):
        raise TypeError("trace_libraries takes a list of names, such as ['sqlalchemy']")
    unknown = unknown_libraries(names)
    if unknown:
        raise ValueError(f"trace_libraries: unknown {unknown}; use any of {list(TRACE_LIBRARIES)}")
    return tuple(names)


def _reset(var: Any, token: Any) -> None:
    try:
        var.reset(token)
    except ValueError:
        var.set(None)


_lock = threading.Lock()
_active: Observability | None = None


def active() -> Observability | None:
    """What :func:`enable` turned on in this process, ``None`` when it is off."""
    return _active


class Settings(TypedDict, total=False):
    """What :func:`enable` takes (the parameters of :class:`Observability`)."""

    logs: LogFormat | None
    log_level: int | str
    access_log: bool
    metrics: bool
    metrics_path: str
    metrics_token: str | None
    traces: float | None
    tracer_provider: Any
    trace_libraries: Sequence[str] | None
    server_timing: bool


def enable(**settings: Unpack[Settings]) -> Observability:
    """Turn observability on for this process, before ``configure_app``.

    The keywords are the keys of :class:`Settings`:

    - *logs*: ``"json"``, ``"logfmt"`` or ``"console"``: structured lines with the
        request id on the root logger (``None``: leave logging alone), at *log_level*,
        and with *access_log*, one ``nitro.access`` line per action request (off by
        default: servers log each request already, and the line costs about as much as
        a small action's own work; see ``docs/observability.md``).
    - *metrics*: Prometheus metrics, served at *metrics_path* (with *metrics_token*,
        only to scrapes that send it as a bearer token).
    - *traces*: OpenTelemetry traces, sampling this ratio of the traces (``0.1``),
        decided at each trace's root before anything is built; exported over OTLP/HTTP
        to ``OTEL_EXPORTER_OTLP_ENDPOINT``. Or pass your own SDK *tracer_provider* (its
        sampler applies too; leave *traces* ``None`` to let it alone decide). A
        provider the process already set as the global one is used the same way.
        SQLAlchemy's and redis-py's own instrumentation add their spans (each SQL
        statement, each Redis command) where installed; *trace_libraries* names the
        ones to turn on (``[]``: none, and Nitro's span per repository call stays).
        Statement spans are what a sampled SQL request pays most for (see
        ``docs/observability.md``).
    - *server_timing*: a ``Server-Timing`` header on every action answer (for
        development: it tells anyone where the time goes).

    Calling it again replaces what was on. The ``observability`` plugin serves the
    middleware and the ``/metrics`` route on every ``configure_app``; with plugins off
    (``NITRO_PLUGINS``), pass the returned object yourself:
    ``configure_app(app, middleware=[obs])`` and ``mount(app, obs)``.
    """
    global _active
    observability = Observability(**settings)
    logs = observability.logs
    with _lock:
        _stop(_active)
        if logs is not None:
            configure_logging(logs, observability.log_level)
        if observability.metrics is not None:
            observability.metrics.connect_jobs()
        if observability.tracing is not None:
            from nitro.observability._libraries import instrument_libraries

            instrument_libraries(observability.tracing.provider, observability.trace_libraries)
        for observer in observability.observers:
            probe.install(observer)
        _active = observability
    reset_repositories()  # recreated on next use, now reporting their calls
    return observability


def disable() -> None:
    """Turn observability off (the log handler stays; tests and reconfiguration)."""
    global _active
    with _lock:
        _stop(_active)
        _active = None
    reset_repositories()


def _stop(observability: Observability | None) -> None:
    if observability is None:
        return
    for observer in observability.observers:
        probe.uninstall(observer)
    if observability.metrics is not None:
        observability.metrics.disconnect_jobs()
    if observability.tracing is not None:
        from nitro.observability._libraries import uninstrument_libraries

        uninstrument_libraries()
