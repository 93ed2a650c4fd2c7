"""OpenTelemetry traces with the official SDK (``nitro-core[otel]``).

A span per action request (continuing the caller's W3C ``traceparent``), per action's
rendering, per repository call, per command, query and event handler, and per job run;
a job's span continues the trace of the request that enqueued it, in whatever worker
process runs it, because the ``traceparent`` travels in the job's envelope. SQLAlchemy's
and redis-py's own instrumentation add their spans (the SQL, the Redis commands) below
Nitro's when those packages are installed.

Sampling is decided once per trace, at its root (``ParentBased(TraceIdRatioBased)``):
in a request that is not sampled, Nitro creates no child span at all.
"""

from __future__ import annotations

import logging
import os
import random
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar, Token
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from opentelemetry.context import _SUPPRESS_INSTRUMENTATION_KEY, Context
from opentelemetry.trace import SpanKind, Status, StatusCode

from nitro.observability._runtime import current as _current
from nitro.observability._runtime import otel_now, suppressed
from nitro.observability._spans import LeanSpans, _LeanSpan
from nitro.probe import Observer

__all__ = ["TracingObserver", "tracer_provider"]

logger = logging.getLogger("nitro.observability")


def tracer_provider(exporter: Any = None) -> Any:
    """An SDK tracer provider for Nitro's spans, exporting with *exporter*, else over
    OTLP/HTTP when ``OTEL_EXPORTER_OTLP_ENDPOINT`` (or ``..._TRACES_ENDPOINT``) is set,
    else nowhere (spans still propagate). Its sampler keeps children of sampled parents
    and drops client calls outside a trace; :class:`TracingObserver` samples the roots
    itself."""
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    service = os.environ.get("OTEL_SERVICE_NAME", "nitro")
    provider = TracerProvider(
        sampler=_within_traces(),
        resource=Resource.create({"service.name": service}),
    )
    if exporter is None and (
        os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT")
        or os.environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
    ):
        from nitro.observability.otlp import OTLPExporter

        exporter = OTLPExporter()  # the SDK's, with a faster encoder
    if exporter is not None:
        # Every second rather than the SDK's 5 s: a server stopped by a signal (uvicorn
        # re-raises SIGTERM) runs no exit handler, and loses what has not been sent.
        delay = int(os.environ.get("OTEL_BSP_SCHEDULE_DELAY", "1000"))
        provider.add_span_processor(BatchSpanProcessor(exporter, schedule_delay_millis=delay))
    return provider


def _within_traces() -> Any:
    """The sampler of Nitro's provider: a span follows its parent's decision (Nitro
    samples the roots of requests and jobs itself, see :class:`TracingObserver`); a
    root is kept, except a client call that starts a trace of its own: a worker polling
    Redis or a pool opening connections outside any request or job would otherwise fill
    the traces with one-span roots.

    It is ``ParentBased(ALWAYS_ON)`` plus that exception, written out so that the one
    lookup of the parent decides: every span pays for this call."""
    from opentelemetry.sdk.trace.sampling import Decision, Sampler, SamplingResult

    drop = SamplingResult(Decision.DROP)
    keep = Decision.RECORD_AND_SAMPLE

    class WithinTraces(Sampler):
        #: (what TracingObserver checks before it makes spans without the SDK's Span)
        nitro_keeps_sampled_children = True

        def should_sample(
            self,
            parent_context: Any,
            trace_id: int,
            name: str,
            kind: Any = None,
            attributes: Any = None,
            links: Any = None,
            trace_state: Any = None,
        ) -> Any:
            parent = trace.get_current_span(parent_context).get_span_context()
            if not parent.is_valid:
                return drop if kind is SpanKind.CLIENT else SamplingResult(keep, attributes)
            if not parent.trace_flags.sampled:
                return drop
            return SamplingResult(keep, attributes, parent.trace_state)

        def get_description(self) -> str:
            return "WithinTraces{ParentBased{root:AlwaysOn},dropping client roots}"

    return WithinTraces()


class _Span:
    """A child span made current for the ``with`` block; an exception marks it."""

    __slots__ = ("attributes", "name", "parent", "span", "start", "token")

    def __init__(
        self, start: Any, name: str, attributes: dict[str, Any], parent: Any = None
    ) -> None:
        self.start = start
        self.name = name
        self.attributes = attributes
        self.parent = parent
        self.span: Any = None
        self.token: Any = None

    def __enter__(self) -> None:
        self.span = self.start(self.name, SpanKind.INTERNAL, self.attributes, self.parent)
        self.token = _attach_span(self.span, _current())

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if exc is not None:
            self.span.record_exception(exc)
            self.span.set_status(Status(StatusCode.ERROR, type(exc).__name__))
        self.span.end()
        _detach(self.token)


def _attributes(attributes: Mapping[str, Any]) -> dict[str, Any]:
    return {
        f"nitro.{key}": value if isinstance(value, str | bool | int | float) else str(value)
        for key, value in attributes.items()
    }


#: The carrier key that says "this work's trace is not sampled" (a job enqueued in an
#: unsampled request is not traced either: traces are kept or dropped whole).
UNSAMPLED = "nitro-unsampled"

#: Kinds of probe reports that get no span: rendering and a unit's commit are timed by
#: Server-Timing and the metrics; as spans they would multiply the export cost.
_NO_SPAN = frozenset({"render", "uow"})


_SUPPRESSED = otel_context.set_value(_SUPPRESS_INSTRUMENTATION_KEY, True, otel_context.Context())


#: OpenTelemetry's context variable, or ``None`` (see _runtime)
_otel_now: ContextVar[Any] | None = otel_now


#: The key OpenTelemetry keeps the current span under in a context (its private name:
#: ``None`` where it is not there, and then its functions are used).
_SPAN_KEY: str | None = getattr(
    __import__("opentelemetry.trace.propagation", fromlist=["_SPAN_KEY"]), "_SPAN_KEY", None
)


class _Unsampled:
    """Marks the ``with`` block as part of a trace that is not sampled: Nitro makes no
    span in it, and OpenTelemetry's library instrumentations (SQLAlchemy's, redis-py's)
    are suppressed, so their per-statement work is not done for nothing."""

    __slots__ = ("otel_token",)

    def __enter__(self) -> _Unsampled:
        current = otel_context.get_current()
        self.otel_token = otel_context.attach(
            otel_context.set_value(_SUPPRESS_INSTRUMENTATION_KEY, True, current)
            if current
            else _SUPPRESSED  # the usual case, made once
        )
        return self

    def __exit__(self, *exc_info: object) -> None:
        otel_context.detach(self.otel_token)


class TracingObserver(Observer):
    """Spans through *provider*. With *sample* (a ratio), Nitro decides at the root of
    each trace whether to sample it, before building anything, and the provider's own
    sampler only follows parents; without, the provider's sampler decides."""

    def __init__(self, provider: Any, sample: float | None = None) -> None:
        self.provider = provider
        self.tracer = provider.get_tracer("nitro")
        self.sample = sample
        # Nitro's own spans skip the SDK's Span where that changes nothing (_spans); the
        # provider's sampler must be Nitro's, which keeps every child of a sampled span.
        lean = LeanSpans(self.tracer)
        sampler = getattr(self.tracer, "sampler", None)
        self.lean = lean if getattr(sampler, "nitro_keeps_sampled_children", False) else None

    def _start(
        self, name: str, kind: Any, attributes: Any, parent: Any, context: Any = None
    ) -> Any:
        """A sampled span: *parent* is its parent's ``SpanContext`` (``None``: a root, or
        for the SDK's path, the parent in *context* or the current one)."""
        lean = self.lean
        if lean is not None and lean.sinks() is not None:  # (usable(), one call less)
            return lean.start(name, parent, kind, attributes)
        return self.tracer.start_span(name, context=context, kind=kind, attributes=attributes)

    def _chosen(self) -> bool:
        return self.sample is None or random.random() < self.sample

    # -- requests (called by the middleware) --------------------------------------------

    def quick_unsampled(self) -> tuple[int, Any, Any] | None:
        """What the middleware needs to mark a request that starts a trace of its own,
        not sampled, without calling :meth:`start_request`: ``(bound, OpenTelemetry's
        context variable, the context suppressing instrumentation)``: a request is
        sampled when a random 64-bit number is below *bound* (the ratio of 2**64); if
        not, the variable is set to that context, its token reset as
        :meth:`end_request` does. ``None`` when the provider's sampler decides, or the
        context is not the SDK's."""
        if self.sample is None or _otel_now is None:
            return None
        return int(self.sample * 2**64), _otel_now, _SUPPRESSED

    def start_request(
        self, route: Any, request: Any, action: str, chosen: bool = False
    ) -> tuple[Any, Any]:
        """``(span, token)`` of the request's span, or ``(None, token)`` when its
        trace is not sampled (the token ends the unsampled mark). *chosen*: the caller
        drew this root as sampled already (a root is drawn once), where no trace is
        current and the request brought none."""
        headers = request.headers
        current = None if chosen else _current()  # (chosen: the caller saw no context)
        if not current and "traceparent" not in headers:  # the root of a trace (usually)
            if not (chosen or self._chosen()):
                if _otel_now is None:
                    return None, _Unsampled().__enter__()
                # the usual case, in the fewest steps: _Unsampled's mark
                return None, _otel_now.set(_SUPPRESSED)
            parent = parent_span = None
            kind = SpanKind.SERVER
        else:
            parent, parent_span, kind = self._parent(current, headers)
            if kind is None:  # a caller's trace that is not sampled
                return None, _Unsampled().__enter__()
        # (few attributes: each one costs every sampled span about 5 µs, created and
        # encoded; the span's name says which action)
        attributes = {
            "http.request.method": request.method,
            "http.route": route.path,
            "url.path": request.path,
        }
        span = self._start(f"action {action}", kind, attributes, parent_span, parent)
        return span, _attach_span(span, parent if parent is not None else current)

    def _parent(self, current: Any, headers: Any) -> tuple[Any, Any, Any]:
        """``(context, parent span context, kind)`` for a request under a span of the
        framework (*current*) or with a ``traceparent``: the kind is ``None`` when the
        caller's trace is not sampled (Nitro follows it); one sampled as a root else."""
        nested = trace.get_current_span(current).get_span_context() if current else None
        if nested is not None and nested.is_valid:  # under the framework's server span
            if not nested.trace_flags.sampled:
                return None, None, None
            return None, nested, SpanKind.INTERNAL
        if "traceparent" not in headers:
            return None, None, SpanKind.SERVER if self._chosen() else None
        parent = propagate.extract(headers)
        remote = trace.get_current_span(parent).get_span_context()
        if remote.is_valid and not remote.trace_flags.sampled:
            return None, None, None
        return parent, remote if remote.is_valid else None, SpanKind.SERVER

    @staticmethod
    def end_request(span: Any, token: Any, status: int) -> None:
        if span is None:
            if type(token) is _Unsampled:
                token.__exit__(None, None, None)
            else:  # (the quick unsampled mark of start_request)
                _detach(token)
            return
        if type(span) is _LeanSpan:
            span.finish(status)  # (what follows, in fewer calls)
        else:
            if span.is_recording():
                span.set_attribute("http.response.status_code", status)
                if status >= 500:
                    span.set_status(Status(StatusCode.ERROR))
            span.end()
        _detach(token)

    # -- probe reports ------------------------------------------------------------------

    def wants_span(self, kind: str) -> bool:
        return kind not in _NO_SPAN

    def span(self, kind: str, name: str, attributes: Mapping[str, Any]) -> Any:
        current = _otel_now.get() if _otel_now is not None else otel_context.get_current()
        if current and current.get(_SUPPRESS_INSTRUMENTATION_KEY):  # (suppressed(), inline:
            return None  # a request whose trace is not sampled makes several calls)
        if kind in _NO_SPAN:
            return None
        parent = trace.get_current_span().get_span_context()
        if parent.is_valid:
            if not parent.trace_flags.sampled:
                return None  # a trace that is not sampled: no child spans
        elif not self._chosen():  # the root of a trace (a job, a command in a script)
            return _Unsampled()
        span_kind = kind if kind != "repository" else f"{attributes.get('backend')}"
        return _Span(
            self._start,
            f"{span_kind} {name}",
            _attributes(attributes),
            parent if parent.is_valid else None,
        )

    def flush(self) -> None:
        force_flush = getattr(self.provider, "force_flush", None)
        if force_flush is not None:
            force_flush(5000)

    def inject(self, carrier: dict[str, str]) -> None:
        if suppressed():  # the work sent on belongs to a trace nobody keeps (Nitro's mark)
            carrier[UNSAMPLED] = "1"
        else:
            propagate.inject(carrier)

    def resume(self, carrier: Mapping[str, str]) -> Any:
        if UNSAMPLED in carrier:
            return _Unsampled()
        if "traceparent" not in carrier:
            return None
        return _resumed(carrier)


def _attach_span(span: Any, context: Any) -> Any:
    """Make *span* current in a copy of *context* (what ``otel_context.attach(trace.
    set_span_in_context(span, context))`` does, in one step where OpenTelemetry's
    context variable and key are known); the token for :meth:`TracingObserver.end_request`."""
    if _otel_now is None or _SPAN_KEY is None:
        return otel_context.attach(trace.set_span_in_context(span, context))
    return _otel_now.set(Context({**context, _SPAN_KEY: span} if context else {_SPAN_KEY: span}))


def _detach(token: Any) -> None:
    """Undo :func:`_attach_span` or the quick unsampled mark: the reset of
    OpenTelemetry's context variable where its token is one, else OpenTelemetry's
    ``detach`` (a runtime context of another kind, whose tokens may be ``Token`` too)."""
    if _otel_now is not None and type(token) is Token:
        _otel_now.reset(token)
    else:
        otel_context.detach(token)


@contextmanager
def _resumed(carrier: Mapping[str, str]) -> Iterator[None]:
    token = otel_context.attach(propagate.extract(carrier))
    try:
        yield
    finally:
        otel_context.detach(token)
