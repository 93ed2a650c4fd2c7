"""Nitro's OTLP encoder against the SDK's: for any spans the SDK makes, the request
Nitro sends parses into exactly the message the SDK's own encoder builds."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.common.trace_encoder import (
    encode_spans as sdk_encode_spans,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
)
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExportResult
from opentelemetry.sdk.trace.export.in_memory_span_exporter import (
    InMemorySpanExporter,
)
from opentelemetry.trace import (
    Link,
    NonRecordingSpan,
    SpanContext,
    SpanKind,
    Status,
    StatusCode,
    TraceFlags,
    TraceState,
)

from nitro.observability.otlp import OTLPExporter, encode_spans

PLAIN = {
    "name": "action Counter.increment",
    "kind": SpanKind.SERVER,
    "attributes": {"http.route": "/counter/{id}/increment", "http.response.status_code": 200},
    "events": [],
    "status": None,
    "description": "",
    "parent": "none",
    "links": [],
    "state": [],
    "scope": ("nitro", None, None),
}

texts = st.text(max_size=12)
scalars = st.one_of(
    texts,
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=False),
)
values = st.one_of(
    scalars,
    st.lists(texts, max_size=3),
    st.lists(st.integers(min_value=-(2**63), max_value=2**63 - 1), max_size=3),
    st.lists(st.floats(allow_nan=False), max_size=3),
    st.lists(st.booleans(), max_size=3),
)
attributes = st.dictionaries(st.text(min_size=1, max_size=8), values, max_size=4)
ids = st.integers(min_value=1, max_value=2**63)
span_plans = st.fixed_dictionaries(
    {
        "name": texts,
        "kind": st.sampled_from(list(SpanKind)),
        "attributes": attributes,
        "events": st.lists(st.tuples(texts, attributes), max_size=2),
        "status": st.sampled_from([None, "ok", "error"]),
        "description": texts,
        "parent": st.sampled_from(["none", "remote", "local"]),
        "links": st.lists(st.tuples(ids, ids, st.booleans(), attributes), max_size=2),
        "state": st.lists(st.tuples(st.sampled_from("abc"), st.sampled_from("xyz")), max_size=2),
        "scope": st.sampled_from([("nitro", None, None), ("lib", "1.2", "https://s")]),
    }
)


def make_spans(plans: list[dict]) -> list:
    exporter = InMemorySpanExporter()
    provider = TracerProvider(
        resource=Resource.create({"service.name": "nitro", "service.version": "9"})
    )
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    for plan in plans:
        name, version, schema = plan["scope"]
        tracer = provider.get_tracer(name, version, schema_url=schema)
        parent = parent_of(plan)
        context = None if parent is None else trace.set_span_in_context(NonRecordingSpan(parent))
        links = [
            Link(SpanContext(t, s, is_remote=remote), attrs)
            for t, s, remote, attrs in plan["links"]
        ]
        span = tracer.start_span(plan["name"], context, plan["kind"], plan["attributes"], links)
        finish(span, plan)
    return list(exporter.get_finished_spans())


def parent_of(plan: dict) -> SpanContext | None:
    """The plan's parent: none, or a sampled one, remote or local, with its trace state."""
    if plan["parent"] == "none":
        return None
    return SpanContext(
        0x5B8EFFF798038103D269B633813FC60C,
        0xEEE19B7EC3C1B174,
        is_remote=plan["parent"] == "remote",
        trace_flags=TraceFlags(TraceFlags.SAMPLED),
        trace_state=TraceState(list(dict(plan["state"]).items())),
    )


def finish(span, plan: dict) -> None:
    """Add the plan's events and status to *span*, and end it."""
    for event_name, event_attributes in plan["events"]:
        span.add_event(event_name, event_attributes)
    if plan["status"] == "error":
        span.set_status(Status(StatusCode.ERROR, plan["description"] or None))
    elif plan["status"] == "ok":
        span.set_status(Status(StatusCode.OK))
    span.end()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(span_plans, min_size=1, max_size=4))
def test_the_request_parses_into_the_sdk_encoders_message(plans: list[dict]) -> None:
    spans = make_spans(plans)
    ours = ExportTraceServiceRequest.FromString(encode_spans(spans))
    assert ours == sdk_encode_spans(spans)


def test_an_exception_event_and_an_error_status_arrive_whole() -> None:
    provider = TracerProvider()
    exporter = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    with (
        pytest.raises(ValueError, match="boom"),
        provider.get_tracer("nitro").start_as_current_span("failing"),
    ):
        raise ValueError("boom <script>")
    spans = exporter.get_finished_spans()
    message = ExportTraceServiceRequest.FromString(encode_spans(spans))
    assert message == sdk_encode_spans(spans)
    span = message.resource_spans[0].scope_spans[0].spans[0]
    assert span.status.code == 2  # STATUS_CODE_ERROR
    event = span.events[0]
    assert event.name == "exception"
    found = {kv.key: kv.value.string_value for kv in event.attributes}
    assert found["exception.message"] == "boom <script>"
    assert "Traceback" in found["exception.stacktrace"]


def test_a_value_no_encoder_takes_is_left_out_with_a_warning(caplog) -> None:
    provider = TracerProvider()
    exporter = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    span = provider.get_tracer("nitro").start_span("big", attributes={"fine": 1})
    span._attributes._dict["huge"] = 2**70  # past the SDK's own checks, as a bug might
    span.end()
    spans = exporter.get_finished_spans()
    message = ExportTraceServiceRequest.FromString(encode_spans(spans))
    keys = [kv.key for kv in message.resource_spans[0].scope_spans[0].spans[0].attributes]
    assert keys == ["fine"]
    assert "huge" in caplog.text


def test_the_exporter_sends_our_encoding_to_a_receiver() -> None:
    received: list[bytes] = []

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append(body)
            self.send_response(200)
            self.send_header("Content-Type", "application/x-protobuf")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        exporter = OTLPExporter(endpoint=f"http://127.0.0.1:{server.server_port}/v1/traces")
        spans = make_spans([PLAIN, {**PLAIN, "name": "SQLModelBackend save", "parent": "local"}])
        assert exporter.export(spans) is SpanExportResult.SUCCESS
        exporter.shutdown()
    finally:
        server.shutdown()
        server.server_close()
    assert len(received) == 1
    assert ExportTraceServiceRequest.FromString(received[0]) == sdk_encode_spans(spans)


def test_the_exporter_reports_a_refused_export() -> None:
    exporter = OTLPExporter(endpoint="http://127.0.0.1:9/v1/traces", timeout=1)
    assert exporter.export(make_spans([PLAIN])) is SpanExportResult.FAILURE
    exporter.shutdown()


def test_cached_attribute_encodings_keep_their_types_and_the_cache_stays_bounded(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Repeated str and int attributes are encoded once; True == 1 but encodes apart,
    # and values that never repeat (a path per entity) empty the cache, not grow it.
    from nitro.observability import otlp

    monkeypatch.setattr(otlp, "_PAIRS_MAX", 3)
    monkeypatch.setattr(otlp, "_pairs", {})
    plans = [
        dict(PLAIN, attributes={"a": True, "b": 1, "c": "x", "d": 1.0, "path": f"/c/{n}"})
        for n in range(5)
    ]
    plans.append(dict(PLAIN, attributes={"a": 1, "b": True, "c": "x"}))
    spans = make_spans(plans)
    for _ in range(2):  # the second time from the cache
        assert ExportTraceServiceRequest.FromString(encode_spans(spans)) == sdk_encode_spans(spans)
    assert len(otlp._pairs) <= 3


def make_lean_spans(plans: list[dict]) -> list:
    """The spans of *plans* as Nitro's lean spans make them (``_spans.LeanSpans``, the
    spans of sampled requests), their events, status and, for one, its attributes
    capped by the provider's limits as the SDK's span would."""
    from opentelemetry.sdk.trace import SpanLimits

    from nitro.observability._spans import LeanSpans, _LeanSpan

    exporter = InMemorySpanExporter()
    provider = TracerProvider(
        resource=Resource.create({"service.name": "nitro"}),
        span_limits=SpanLimits(max_span_attributes=3),
    )
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    for plan in plans:
        name, version, schema = plan["scope"]
        lean = LeanSpans(provider.get_tracer(name, version, schema_url=schema))
        assert lean.usable()
        span = lean.start(plan["name"], parent_of(plan), plan["kind"], dict(plan["attributes"]))
        finish(span, plan)
    spans = list(exporter.get_finished_spans())
    assert all(type(span) is _LeanSpan for span in spans)
    return spans


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(span_plans, min_size=1, max_size=4))
def test_lean_spans_parse_into_the_sdk_encoders_message(plans: list[dict]) -> None:
    # Lean spans are encoded from their fields (otlp._lean_span), not through
    # ReadableSpan's properties: the same message, and the same bytes as the general way.
    from nitro.observability import otlp

    spans = make_lean_spans(plans)
    ours = encode_spans(spans)
    assert ExportTraceServiceRequest.FromString(ours) == sdk_encode_spans(spans)
    for span in spans:
        fast = otlp._lean_span(span)
        if fast is not None:
            assert fast == otlp._readable_span(span)
