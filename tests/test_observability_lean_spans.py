"""Nitro's spans made without the SDK's Span (nitro.observability._spans) arrive at the
processors as the SDK's own spans would: same fields, same limits, same cleaning."""

from __future__ import annotations

import contextlib
from typing import Any

import pytest
from opentelemetry.sdk.trace import ReadableSpan, SpanLimits, TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    SimpleSpanProcessor,
    SpanExporter,
    SpanExportResult,
)
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanContext, SpanKind, Status, StatusCode, TraceFlags

from nitro.observability._spans import LeanSpans
from nitro.observability.tracing import _within_traces

PARENT = SpanContext(0x0AF7651916CD43DD8448EB211C80319C, 0xB7AD6B7169203331, True, TraceFlags(1))


def provider(limits: SpanLimits | None = None) -> tuple[TracerProvider, InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    made = TracerProvider(sampler=_within_traces(), span_limits=limits)
    made.add_span_processor(SimpleSpanProcessor(exporter))
    return made, exporter


def exercise(span: Any) -> None:
    span.set_attribute("http.response.status_code", 500)
    span.set_attributes({"list": ["a", "b"], "gone": None})
    span.add_event("retry", {"attempt": 2})
    span.update_name("action Order.pay")
    span.record_exception(ValueError("no"))
    span.set_status(Status(StatusCode.ERROR, "boom"))
    span.end()
    span.set_attribute("after", "end")  # ignored once ended
    span.end()  # a second end sends nothing


def comparable(span: ReadableSpan) -> dict[str, Any]:
    return {
        "name": span.name,
        "kind": span.kind,
        "attributes": dict(span.attributes or {}),
        "events": [(e.name, dict(e.attributes or {})) for e in span.events],
        "status": (span.status.status_code, span.status.description),
        "parent": span.parent.span_id if span.parent else None,
        "trace": span.context.trace_id,
        "flags": span.context.trace_flags,
        "resource": span.resource,
        "scope": span.instrumentation_scope,
    }


@pytest.mark.parametrize("parent", [PARENT, None], ids=["child", "root"])
def test_a_lean_span_exports_what_the_sdks_span_would(parent: SpanContext | None) -> None:
    made, exporter = provider()
    tracer = made.get_tracer("nitro")
    maker = LeanSpans(tracer)
    assert maker.usable()
    attributes = {"http.request.method": "POST"}
    exercise(maker.start("action", parent, SpanKind.SERVER, dict(attributes)))
    from opentelemetry import trace

    context = trace.set_span_in_context(trace.NonRecordingSpan(parent)) if parent else None
    exercise(tracer.start_span("action", context, SpanKind.SERVER, dict(attributes)))
    lean, sdk = exporter.get_finished_spans()
    ours, theirs = comparable(lean), comparable(sdk)
    if parent is None:  # two roots: two traces
        assert ours.pop("trace") != theirs.pop("trace")
    # the stack trace differs by the line it was raised from
    for found in (ours, theirs):
        for _name, details in found["events"]:
            details.pop("exception.stacktrace", None)
    assert ours == theirs
    assert lean.start_time <= lean.end_time
    assert lean.context.span_id != sdk.context.span_id


def test_limits_apply_as_the_sdks() -> None:
    made, exporter = provider(SpanLimits(max_span_attributes=2, max_span_attribute_length=3))
    tracer = made.get_tracer("nitro")
    LeanSpans(tracer).start("x", None, SpanKind.INTERNAL, {"a": "ab", "b": "cdef"}).end()
    tracer.start_span("x", None, SpanKind.INTERNAL, {"a": "ab", "b": "cdef"}).end()
    for many in (LeanSpans(tracer).start("y", None, SpanKind.INTERNAL, {}), tracer.start_span("y")):
        many.set_attributes({"a": 1, "b": 2, "c": 3})
        many.end()
    lean, sdk, lean_many, sdk_many = exporter.get_finished_spans()
    assert dict(lean.attributes) == dict(sdk.attributes) == {"a": "ab", "b": "cde"}
    assert dict(lean_many.attributes) == dict(sdk_many.attributes)
    assert len(lean_many.attributes) == 2


@pytest.mark.parametrize("parent", [PARENT, None], ids=["child", "root"])
def test_through_the_sdks_batch_processor_a_lean_span_arrives_as_the_sdks(
    parent: SpanContext | None,
) -> None:
    """The batch processor gets the span without its on_end (see _spans._sink), the
    span's context is built without SpanContext() and its events and links are made
    only when added: what arrives is still what the SDK's span would send."""
    from opentelemetry import trace

    exporter = InMemorySpanExporter()
    made = TracerProvider(sampler=_within_traces())
    made.add_span_processor(BatchSpanProcessor(exporter))
    tracer = made.get_tracer("nitro")
    context = trace.set_span_in_context(trace.NonRecordingSpan(parent)) if parent else None
    lean = LeanSpans(tracer).start("plain", parent, SpanKind.SERVER, {"a": "b"})
    sdk = tracer.start_span("plain", context, SpanKind.SERVER, {"a": "b"})
    for span in (lean, sdk):
        span.end()
    linked = LeanSpans(tracer).start("linked", parent, SpanKind.INTERNAL, {})
    linked.add_link(PARENT, {"why": "batch"})
    linked.add_link(SpanContext(0, 0, False))  # invalid: not kept, as the SDK
    linked.add_event("one")
    linked.add_event("two")
    linked.end()
    assert made.force_flush(5000)
    ours, theirs, with_links = exporter.get_finished_spans()
    assert ours.events == theirs.events == ()
    assert ours.links == theirs.links == ()
    assert [e.name for e in with_links.events] == ["one", "two"]
    assert [(link.context, dict(link.attributes or {})) for link in with_links.links] == [
        (PARENT, {"why": "batch"})
    ]
    for field in ("is_remote", "is_valid", "trace_flags", "trace_state"):
        assert getattr(ours.context, field) == getattr(theirs.context, field), field
    assert ours.context.trace_state is theirs.context.trace_state
    assert ours.context == SpanContext(
        ours.context.trace_id, ours.context.span_id, False, ours.context.trace_flags
    )
    if parent is not None:
        assert ours.context.trace_id == theirs.context.trace_id == parent.trace_id
        assert ours.parent == theirs.parent == parent
    made.shutdown()


def test_only_processors_that_ignore_starts_let_spans_skip_the_sdk() -> None:
    class Custom(SpanExporter):
        def export(self, spans: Any) -> SpanExportResult:
            return SpanExportResult.SUCCESS

    class Watching(SimpleSpanProcessor):
        def on_start(self, span: Any, parent_context: Any = None) -> None:
            pass

    made, _ = provider()
    maker = LeanSpans(made.get_tracer("nitro"))
    assert maker.usable()
    made.add_span_processor(Watching(Custom()))
    assert not maker.usable()  # (read at each span: processors added later count)
    assert not LeanSpans(TracerProvider().get_tracer("nitro")).usable()  # no processor


# -- the libraries' spans (LeanTracerProvider, given to SQLAlchemy's and redis-py's
# instrumentation) ------------------------------------------------------------------


def library_calls(tracer: Any, parent: SpanContext | None) -> None:
    """What an instrumentation does with its tracer: a span started and ended around a
    statement, one made current by ``start_as_current_span`` whose block raises, one
    used as ``with span:`` that raises, one with a link, one with a given start time."""
    from opentelemetry import trace

    context = trace.set_span_in_context(trace.NonRecordingSpan(parent)) if parent else None
    token = None
    if context is not None:
        from opentelemetry import context as otel_context

        token = otel_context.attach(context)
    try:
        span = tracer.start_span("SELECT shop", kind=SpanKind.CLIENT, attributes={"db.system": "x"})
        span.set_attribute("db.statement", "SELECT 1")
        if parent is not None:  # (a client span starting a trace is dropped)
            # what instrumentations read back (redis-py's reads the name)
            assert (span.name, span.kind, span.attributes["db.statement"]) == (
                "SELECT shop",
                SpanKind.CLIENT,
                "SELECT 1",
            )
            assert span.context == span.get_span_context()
            assert span.start_time > 0
        span.end()
        current: list[Any] = []
        with contextlib.suppress(KeyError), tracer.start_as_current_span("connect") as made:
            current.append(trace.get_current_span() is made)
            raise KeyError("gone")
        assert current == [True]
        with (
            contextlib.suppress(ZeroDivisionError),
            tracer.start_span("GET", kind=SpanKind.CLIENT, set_status_on_exception=False),
        ):
            _ = 1 / 0
        tracer.start_span("linked", links=[trace.Link(PARENT)]).end()
        tracer.start_span("timed", start_time=1_000).end(end_time=2_000)
    finally:
        if token is not None:
            from opentelemetry import context as otel_context

            otel_context.detach(token)


@pytest.mark.parametrize("parent", [PARENT, None], ids=["in-a-sampled-trace", "root"])
def test_a_librarys_spans_through_the_lean_provider_are_the_sdks(
    parent: SpanContext | None,
) -> None:
    from nitro.observability._spans import LeanTracerProvider

    made, exporter = provider()
    lean_tracer = LeanTracerProvider(made).get_tracer("opentelemetry.instrumentation.x", "1.0")
    library_calls(lean_tracer, parent)
    ours = exporter.get_finished_spans()
    exporter.clear()
    library_calls(made.get_tracer("opentelemetry.instrumentation.x", "1.0"), parent)
    theirs = exporter.get_finished_spans()
    # (client spans that would start a trace of their own are dropped, by both)
    expected = ["SELECT shop", "connect", "GET", "linked", "timed"]
    if parent is None:
        expected = ["connect", "linked", "timed"]
    assert [s.name for s in ours] == expected
    for lean, sdk in zip(ours, theirs, strict=True):
        a, b = comparable(lean), comparable(sdk)
        if parent is None:
            assert a.pop("trace") != b.pop("trace")
        for found in (a, b):
            for _name, details in found["events"]:
                details.pop("exception.stacktrace", None)
        assert a == b, lean.name
        assert [dict(link.attributes or {}) for link in lean.links] == [
            dict(link.attributes or {}) for link in sdk.links
        ]
    assert (ours[-1].start_time, ours[-1].end_time) == (1_000, 2_000)
    connect = ours[expected.index("connect")]
    assert connect.status.status_code is StatusCode.ERROR  # its block raised
    assert connect.events[0].name == "exception"
    if parent:
        assert ours[2].status.status_code is StatusCode.UNSET  # set_status_on_exception=False


def test_the_lean_provider_makes_lean_spans_only_in_sampled_traces() -> None:
    from opentelemetry import context as otel_context
    from opentelemetry import trace

    from nitro.observability._spans import LeanTracerProvider, _LeanSpan

    made, exporter = provider()
    tracer = LeanTracerProvider(made).get_tracer("lib")
    unsampled = SpanContext(PARENT.trace_id, PARENT.span_id, True, TraceFlags(0))
    for parent, lean in ((PARENT, True), (unsampled, False)):
        token = otel_context.attach(trace.set_span_in_context(trace.NonRecordingSpan(parent)))
        try:
            span = tracer.start_span("SELECT", kind=SpanKind.CLIENT)
        finally:
            otel_context.detach(token)
        assert isinstance(span, _LeanSpan) is lean
        assert span.is_recording() is lean
        span.end()
    # a sampler other than Nitro's decides for every span itself
    other = TracerProvider()
    other.add_span_processor(SimpleSpanProcessor(exporter))
    token = otel_context.attach(trace.set_span_in_context(trace.NonRecordingSpan(PARENT)))
    try:
        span = LeanTracerProvider(other).get_tracer("lib").start_span("SELECT")
    finally:
        otel_context.detach(token)
    assert not isinstance(span, _LeanSpan)
    assert span.is_recording()
    span.end()


def test_a_providers_own_id_generator_makes_the_ids() -> None:
    """The SDK's default ids are drawn inline; any other generator is asked, as the SDK
    asks it (and its trace ids are not flagged random unless it says so)."""
    from opentelemetry.sdk.trace.id_generator import IdGenerator

    class Counting(IdGenerator):
        def __init__(self) -> None:
            self.next = 0x100

        def generate_span_id(self) -> int:
            self.next += 1
            return self.next

        def generate_trace_id(self) -> int:
            return 0xABC

    exporter = InMemorySpanExporter()
    made = TracerProvider(sampler=_within_traces(), id_generator=Counting())
    made.add_span_processor(SimpleSpanProcessor(exporter))
    maker = LeanSpans(made.get_tracer("nitro"))
    maker.start("root", None, SpanKind.SERVER, {}).end()
    maker.start("child", PARENT, SpanKind.INTERNAL, {}).end()
    root, child = exporter.get_finished_spans()
    assert (root.context.trace_id, root.context.span_id) == (0xABC, 0x101)
    assert root.context.trace_flags == TraceFlags(0x01)  # sampled, ids not said random
    assert (child.context.trace_id, child.context.span_id) == (PARENT.trace_id, 0x102)

    made, exporter = provider()  # the SDK's default: random ids, flagged as such
    maker = LeanSpans(made.get_tracer("nitro"))
    spans = [maker.start("root", None, SpanKind.SERVER, {}) for _ in range(50)]
    ids = {(s.get_span_context().trace_id, s.get_span_context().span_id) for s in spans}
    assert len(ids) == 50
    assert all(t and s for t, s in ids)
    assert {s.get_span_context().trace_flags for s in spans} == {TraceFlags(0x03)}


@pytest.mark.parametrize("known", [True, False], ids=["sdk-variable", "api-only"])
def test_a_request_span_is_current_until_its_end_and_then_gone(
    known: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The request's span is made current and undone in one step where OpenTelemetry's
    context variable is known, and through its API where it is not (another runtime
    context: its tokens may be ``contextvars.Token`` all the same)."""
    from types import SimpleNamespace

    from opentelemetry import context as otel_context
    from opentelemetry import trace

    from nitro.observability import tracing

    if not known:
        monkeypatch.setattr(tracing, "_otel_now", None)
    made, exporter = provider()
    observer = tracing.TracingObserver(made, sample=1.0)
    request = SimpleNamespace(headers={}, method="POST", path="/counter/main/increment")
    route = SimpleNamespace(path="/counter/{id}/increment")
    before = otel_context.get_current()
    span, token = observer.start_request(route, request, "Counter.increment")
    assert trace.get_current_span() is span
    observer.end_request(span, token, 201)
    assert otel_context.get_current() == before
    (finished,) = exporter.get_finished_spans()
    assert finished.name == "action Counter.increment"
    assert finished.attributes["http.response.status_code"] == 201
