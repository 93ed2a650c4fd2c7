"""Nitro's own spans (a request, a repository call), recorded without the SDK's
``Span`` and handed to the SDK's span processors when they end.

The SDK's ``Tracer.start_span`` runs the sampler, builds limit-checked attribute and
event containers under locks, and ends under a lock again: about 18 µs per span here,
against about 3 µs for this class. Nitro has already decided, before making one of
these, that the trace is sampled, and its spans carry a few attributes, so the
difference is the whole cost. What reaches the processors and exporters is the SDK's
own ``ReadableSpan``, with the provider's resource, limits and Nitro's scope.

It is used only where nothing would notice the difference: a tracer from an SDK
``TracerProvider`` whose processors do nothing when a span starts (the SDK's batch and
simple processors); with anything else (another provider, a processor with its own
``on_start``), Nitro makes its spans through the tracer as usual.

:class:`LeanTracerProvider` gives the same to SQLAlchemy's and redis-py's own
instrumentation, which Nitro turns on with it: their spans (a statement, a command:
several per request) keep their names, kinds and attributes, and skip the SDK's
``Span`` inside traces Nitro samples.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from random import getrandbits
from types import TracebackType
from typing import Any

from opentelemetry import trace
from opentelemetry.attributes import BoundedAttributes
from opentelemetry.sdk.trace import Event, ReadableSpan, SpanProcessor
from opentelemetry.sdk.trace import Tracer as SDKTracer
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor
from opentelemetry.sdk.trace.id_generator import RandomIdGenerator
from opentelemetry.trace import Link, SpanContext, SpanKind, Status, StatusCode, TraceFlags
from opentelemetry.trace.span import DEFAULT_TRACE_STATE

__all__ = ["LeanSpans", "LeanTracerProvider"]

_SAMPLED = TraceFlags.SAMPLED
_UNSET = Status(StatusCode.UNSET)
_FLAGS = {flags: TraceFlags(flags) for flags in (0x01, 0x03)}  # sampled, with random ids
_PLAIN = frozenset({str, bool, int, float})
_QUIET_STARTS = (BatchSpanProcessor, SimpleSpanProcessor)


class LeanSpans:
    """Makes :class:`_LeanSpan` objects for one SDK tracer, or says it cannot."""

    def __init__(self, tracer: Any) -> None:
        self.tracer = tracer
        self.resource = getattr(tracer, "resource", None)
        self.scope = getattr(tracer, "_instrumentation_scope", None)
        self.ids = getattr(tracer, "id_generator", None)
        self.limits = getattr(tracer, "_span_limits", None)
        # (the provider's processors: its tuple is replaced when one is added)
        self.multi = getattr(tracer, "span_processor", None)
        self.complete = None not in (self.resource, self.scope, self.ids, self.limits) and (
            hasattr(self.multi, "_span_processors")
        )
        # the SDK's default ids (random bits, zero is invalid), drawn here without the calls
        self.random_ids = type(self.ids) is RandomIdGenerator
        # (sinks()' answer for the processors it last saw: asked for every span)
        self._seen: Any = None
        self._sinks: tuple[Callable[[ReadableSpan], None], ...] | None = None

    def usable(self) -> bool:
        """Whether spans made here now would be indistinguishable from the tracer's."""
        return self.sinks() is not None

    def sinks(self) -> tuple[Callable[[ReadableSpan], None], ...] | None:
        """What an ended span is handed to: each processor's ``on_end``, or for the SDK's
        batch processor what its ``on_end`` calls for a sampled span (these all are);
        ``None`` when spans made here now would not be indistinguishable from the
        tracer's (see the module docs)."""
        if not self.complete:
            return None
        processors = self.multi._span_processors  # type: ignore[union-attr]
        if processors is not self._seen:  # (the provider replaces its tuple on a change)
            quiet = processors and all(type(p) in _QUIET_STARTS for p in processors)
            self._sinks = tuple(map(_sink, processors)) if quiet else None
            self._seen = processors
        return self._sinks

    def start(
        self,
        name: str,
        parent: SpanContext | None,
        kind: SpanKind,
        attributes: dict[str, Any],
        start_time: int | None = None,
    ) -> _LeanSpan:
        """A recording span, sampled, child of *parent* (a root when ``None``)."""
        ids = self.ids
        if parent is None:
            if self.random_ids:
                flags = 0x03  # sampled, with a random trace id
                trace_id = getrandbits(128) or ids.generate_trace_id()  # type: ignore[union-attr]
            else:
                flags = _SAMPLED | (0x02 if ids.is_trace_id_random() else 0)  # type: ignore[union-attr]
                trace_id = ids.generate_trace_id()  # type: ignore[union-attr]
            state = None
        else:
            flags = _SAMPLED | (parent.trace_flags & 0x02)
            trace_id = parent.trace_id
            state = parent.trace_state
        span_id = (self.random_ids and getrandbits(64)) or ids.generate_span_id()  # type: ignore[union-attr]
        trace_flags = _FLAGS.get(flags) or TraceFlags(flags)
        if self.random_ids and _TUPLE_CONTEXT:  # valid ids: what SpanContext() makes of them
            context = _new_tuple(SpanContext, (trace_id, span_id, False, trace_flags,
                                               state or DEFAULT_TRACE_STATE, True))  # fmt: skip
        else:
            context = SpanContext(trace_id, span_id, False, trace_flags, state)
        return _LeanSpan(self, name, context, parent, kind, attributes, start_time)


class _LeanSpan(trace.Span, ReadableSpan):
    """A recording span made by :class:`LeanSpans` (see the module docs). It is its own
    ``ReadableSpan``: once ended, it is what the processors get (the SDK's span hands
    them a copy of itself; nothing changes this one after its end)."""

    #: What ``with span:`` does with an exception, as the SDK's span (set per span by
    #: :class:`_LeanTracer` when a library asks otherwise).
    _record_exception = True
    _set_status_on_exception = True
    _instrumentation_info = None  # (ReadableSpan's deprecated field)
    _end_time: int | None = None
    _ended = False
    # No events or links until one is added: each list would be one more object per
    # span for the garbage collector to track until the export (spans wait there for
    # seconds; with two lists per span, they made most of a serving process's
    # collections).
    _events: Sequence[Event] = ()
    _links: Sequence[Link] = ()

    def __init__(
        self,
        maker: LeanSpans,
        name: str,
        context: SpanContext,
        parent: SpanContext | None,
        kind: SpanKind,
        attributes: dict[str, Any],
        start_time: int | None = None,
    ) -> None:
        # (ReadableSpan's fields, set here rather than through its __init__)
        self._maker = maker
        self._name = name
        self._context = context
        self._parent = parent
        self._kind = kind
        self._attributes: Any = attributes
        self._status = _UNSET
        self._start_time = start_time or time.time_ns()
        self._resource = maker.resource  # type: ignore[assignment]  # (known, see usable())
        self._instrumentation_scope = maker.scope

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_val: BaseException | None,
        exc_tb: TracebackType | None,
    ) -> None:
        if exc_val is not None and not self._ended:  # (as the SDK's span)
            if self._record_exception:
                self.record_exception(exc_val, escaped=True)
            if self._set_status_on_exception:
                self.set_status(Status(StatusCode.ERROR, f"{type(exc_val).__name__}: {exc_val}"))
        self.end()

    def get_span_context(self) -> SpanContext:
        return self._context  # type: ignore[return-value]  # (always set here)

    def is_recording(self) -> bool:
        return not self._ended

    def set_attributes(self, attributes: Mapping[str, Any]) -> None:
        if not self._ended:
            self._attributes.update(attributes)

    def set_attribute(self, key: str, value: Any) -> None:
        if not self._ended:
            self._attributes[key] = value

    def add_event(
        self, name: str, attributes: Mapping[str, Any] | None = None, timestamp: int | None = None
    ) -> None:
        if not self._ended:
            event = Event(name, attributes, timestamp or time.time_ns())
            if isinstance(self._events, list):
                self._events.append(event)
            else:
                self._events = [event]

    def add_link(self, context: SpanContext, attributes: Mapping[str, Any] | None = None) -> None:
        if not self._ended and context.is_valid:
            link = Link(context, attributes)
            if isinstance(self._links, list):
                self._links.append(link)
            else:
                self._links = [link]

    def update_name(self, name: str) -> None:
        if not self._ended:
            self._name = name

    def set_status(self, status: Status | StatusCode, description: str | None = None) -> None:
        if self._ended or self._status.status_code is StatusCode.OK:
            return  # (as the SDK: OK is final)
        if isinstance(status, Status):
            self._status = status
        else:
            self._status = Status(status, description)

    def record_exception(
        self,
        exception: BaseException,
        attributes: Mapping[str, Any] | None = None,
        timestamp: int | None = None,
        escaped: bool = False,
    ) -> None:
        import traceback

        details = {
            "exception.type": type(exception).__qualname__,
            "exception.message": str(exception),
            "exception.stacktrace": "".join(traceback.format_exception(exception)),
            "exception.escaped": str(escaped),
        }
        if attributes:
            details.update(attributes)
        self.add_event("exception", details, timestamp)

    def end(self, end_time: int | None = None) -> None:
        if self._ended:
            return
        self._ended = True
        maker = self._maker
        limits = maker.limits
        attributes = self._attributes
        most = limits.max_span_attributes  # type: ignore[union-attr]
        longest = limits.max_span_attribute_length  # type: ignore[union-attr]
        if (
            (most is not None and len(attributes) > most)
            or longest is not None
            or not _PLAIN.issuperset(map(type, attributes.values()))
        ):  # what the SDK's span would have done: cap, truncate, clean
            self._attributes = BoundedAttributes(
                most, attributes, immutable=True, max_value_len=longest
            )
        if self._events:
            self._events = self._events[: limits.max_events]  # type: ignore[union-attr]
        if self._links:
            self._links = self._links[: limits.max_links]  # type: ignore[union-attr]
        self._end_time = end_time or time.time_ns()
        # (maker.sinks(), without the call while the processors are those it last saw)
        sinks = maker._sinks if maker.multi._span_processors is maker._seen else maker.sinks()  # type: ignore[union-attr]
        if sinks is None:  # (processors changed since the start: the SDK's way then)
            for processor in maker.multi._span_processors:  # type: ignore[union-attr]
                processor.on_end(self)
        else:
            for sink in sinks:
                sink(self)

    def finish(self, status: int) -> None:
        """End a request's span with its HTTP *status* (what ``end_request`` does through
        the span's API: ``set_attribute``, ``set_status`` for a 5xx, ``end``)."""
        if not self._ended:
            self._attributes["http.response.status_code"] = status
            if status >= 500:
                self.set_status(Status(StatusCode.ERROR))
            self.end()


def _sink(processor: SpanProcessor) -> Callable[[ReadableSpan], None]:
    """What *processor*'s ``on_end`` calls for a sampled span: the batch processor's
    ``emit`` for the SDK's ``BatchSpanProcessor`` (its ``on_end`` checks the span is
    sampled, then calls it: four calls less per span), else ``on_end`` itself."""
    if type(processor) is BatchSpanProcessor:
        emit = getattr(getattr(processor, "_batch_processor", None), "emit", None)
        if callable(emit):
            return emit  # type: ignore[no-any-return]
    return processor.on_end


def _tuple_context_works() -> bool:
    """Whether a ``SpanContext`` is still the tuple :meth:`LeanSpans.start` builds
    directly (its ``__new__`` checks ids that the SDK's random ones always pass)."""
    try:
        made = SpanContext(5, 7, False, TraceFlags(1), DEFAULT_TRACE_STATE)
        built = _new_tuple(SpanContext, (5, 7, False, TraceFlags(1), DEFAULT_TRACE_STATE, True))
        return built == made and built.is_valid and built.span_id == 7 and not built.is_remote
    except Exception:  # pragma: no cover - an API whose SpanContext is built otherwise
        return False


_new_tuple = tuple.__new__
_TUPLE_CONTEXT = _tuple_context_works()


class LeanTracerProvider(trace.TracerProvider):
    """*provider* (Nitro's SDK provider) as handed to a library's instrumentation: its
    tracers make the library's spans inside sampled traces as :class:`_LeanSpan`; any
    other span (a root, one with links, a trace not sampled) the SDK's tracer makes."""

    def __init__(self, provider: Any) -> None:
        self.provider = provider

    def get_tracer(
        self,
        instrumenting_module_name: str,
        instrumenting_library_version: str | None = None,
        schema_url: str | None = None,
        attributes: Any = None,
    ) -> trace.Tracer:
        tracer = self.provider.get_tracer(
            instrumenting_module_name, instrumenting_library_version, schema_url, attributes
        )
        return _LeanTracer(tracer)

    def __getattr__(self, name: str) -> Any:  # force_flush(), resource, ...
        return getattr(self.provider, name)


class _LeanTracer(trace.Tracer):
    """An SDK tracer whose sampled children skip the SDK's ``Span``: only behind a
    sampler that keeps every child of a sampled parent (Nitro's), where the SDK would
    decide the same without asking."""

    def __init__(self, tracer: Any) -> None:
        self.tracer = tracer
        self.lean = LeanSpans(tracer)
        sampler = getattr(tracer, "sampler", None)
        self.keeps = bool(getattr(sampler, "nitro_keeps_sampled_children", False))

    def start_span(
        self,
        name: str,
        context: Any = None,
        kind: SpanKind = SpanKind.INTERNAL,
        attributes: Any = None,
        links: Any = None,
        start_time: int | None = None,
        record_exception: bool = True,
        set_status_on_exception: bool = True,
    ) -> trace.Span:
        if self.keeps and not links:
            parent = trace.get_current_span(context).get_span_context()
            if parent.is_valid and parent.trace_flags.sampled and self.lean.usable():
                span = self.lean.start(
                    name, parent, kind, dict(attributes) if attributes else {}, start_time
                )
                if not record_exception:
                    span._record_exception = False
                if not set_status_on_exception:
                    span._set_status_on_exception = False
                return span
        return self.tracer.start_span(  # type: ignore[no-any-return]
            name,
            context,
            kind,
            attributes,
            links,
            start_time,
            record_exception,
            set_status_on_exception,
        )

    # The SDK's own: it makes the span with ``self.start_span`` (the method above) and
    # makes it current with ``trace.use_span``; nothing else of the SDK's tracer.
    start_as_current_span = SDKTracer.start_as_current_span
