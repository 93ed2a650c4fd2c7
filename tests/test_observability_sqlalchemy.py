"""SQLAlchemy's own instrumentation under Nitro's sampler (``nitro.observability._sqlalchemy``):
its statement listeners sit on the connections sampled traces open, not on the engine,
so an engine's other connections keep SQLAlchemy's event dispatch off."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import sqlalchemy as sa
from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.instrumentation.sqlalchemy.engine import EngineTracer
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanContext, StatusCode, TraceFlags

import nitro.observability as observability
from nitro.observability import _libraries, _sqlalchemy, tracing

SCOPE = "opentelemetry.instrumentation.sqlalchemy"
SAMPLED = SpanContext(0x0AF7651916CD43DD8448EB211C80319C, 0xB7AD6B7169203331, True, TraceFlags(1))
UNSAMPLED = SpanContext(SAMPLED.trace_id, SAMPLED.span_id, True, TraceFlags(0))

_exporter = InMemorySpanExporter()


@contextmanager
def under(parent: SpanContext | None) -> Iterator[None]:
    """Inside a trace whose current span is *parent* (``None``: outside any trace)."""
    if parent is None:
        yield
        return
    token = otel_context.attach(trace.set_span_in_context(trace.NonRecordingSpan(parent)))
    try:
        yield
    finally:
        otel_context.detach(token)


def statements() -> list[Any]:
    """SQLAlchemy's statement spans (not its ``connect`` spans, which stay as they were)."""
    return [
        s
        for s in _exporter.get_finished_spans()
        if s.instrumentation_scope.name == SCOPE and s.name != "connect"
    ]


@pytest.fixture
def nitros_sampler() -> Iterator[None]:
    provider = TracerProvider(sampler=tracing._within_traces())
    provider.add_span_processor(SimpleSpanProcessor(_exporter))
    observability.enable(tracer_provider=provider, trace_libraries=["sqlalchemy"])
    _exporter.clear()
    yield
    observability.disable()


def test_only_connections_of_sampled_traces_listen_to_statements(nitros_sampler: None) -> None:
    engine = sa.create_engine("sqlite://")  # made while traces are on: instrumented
    assert not engine._has_events  # no listener on the engine: no dispatch per statement
    for parent, spans in ((SAMPLED, 1), (UNSAMPLED, 0), (None, 0)):
        _exporter.clear()
        with under(parent), engine.connect() as connection:
            assert connection.execute(sa.text("SELECT 1")).scalar() == 1
            # (a connection of a sampled trace comes from the engine's view for them)
            assert (connection.engine is engine) is (parent is not SAMPLED)
            assert connection.engine.pool is engine.pool
        found = statements()
        assert len(found) == spans, parent
    _exporter.clear()
    with under(SAMPLED), engine.connect() as connection:
        connection.execute(sa.text("SELECT 1"))
    [span] = statements()
    assert span.name.startswith("SELECT")
    assert span.parent is not None
    assert span.parent.span_id == SAMPLED.span_id
    assert span.context.trace_id == SAMPLED.trace_id
    assert span.attributes["db.system"] == "sqlite"


def test_a_failing_statement_in_a_sampled_trace_ends_its_span_with_the_error(
    nitros_sampler: None,
) -> None:
    engine = sa.create_engine("sqlite://")
    with under(SAMPLED), engine.connect() as connection, pytest.raises(sa.exc.OperationalError):
        connection.execute(sa.text("SELECT * FROM missing"))
    [span] = statements()
    assert span.status.status_code is StatusCode.ERROR


def test_an_engine_made_before_is_handed_over_and_off_leaves_nothing_behind() -> None:
    from nitro.events import event

    engine = sa.create_engine("sqlite://")  # made before traces were on

    def made_before(sender: Any) -> list[Any]:
        return [engine]

    event(_libraries.SQLALCHEMY_ENGINES).connect(made_before)
    provider = TracerProvider(sampler=tracing._within_traces())
    provider.add_span_processor(SimpleSpanProcessor(_exporter))
    original = EngineTracer.__dict__["_register_event_listener"]
    try:
        for _ in range(2):  # on, off, on again, off again
            assert _libraries.instrument_libraries(provider, ["sqlalchemy"]) == ["sqlalchemy"]
            try:
                assert _sqlalchemy.instrumented()
                _exporter.clear()
                with under(SAMPLED), engine.connect() as connection:
                    connection.execute(sa.text("SELECT 2"))
                assert [s.name.split()[0] for s in statements()] == ["SELECT"]
                assert not engine._has_events
            finally:
                _libraries.uninstrument_libraries()
            assert not _sqlalchemy.instrumented()
            assert EngineTracer.__dict__["_register_event_listener"] is original
            assert not hasattr(sa.engine.base.Engine.connect, "__wrapped__")
            _exporter.clear()
            with under(SAMPLED), engine.connect() as connection:
                connection.execute(sa.text("SELECT 3"))
            assert statements() == []
    finally:
        event(_libraries.SQLALCHEMY_ENGINES).disconnect(made_before)


def test_with_a_sampler_of_the_apps_own_the_engine_listens_as_usual() -> None:
    provider = TracerProvider()  # the SDK's default sampler decides each span itself
    provider.add_span_processor(SimpleSpanProcessor(_exporter))
    observability.enable(tracer_provider=provider, trace_libraries=["sqlalchemy"])
    try:
        assert not _sqlalchemy.instrumented()
        engine = sa.create_engine("sqlite://")
        assert engine._has_events
        _exporter.clear()
        with under(SAMPLED), engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
        assert [s.name.split()[0] for s in statements()] == ["SELECT"]
    finally:
        observability.disable()


def test_an_engine_with_listeners_of_its_own_gets_the_statement_listeners_itself(
    nitros_sampler: None,
) -> None:
    engine = sa.create_engine("sqlite://")
    begun: list[str] = []
    sa.event.listen(engine, "begin", lambda connection: begun.append("begin"))
    assert engine._has_events  # (as nitro.sql's SQLite engines: BEGIN IMMEDIATE)
    for parent, spans in ((SAMPLED, 1), (UNSAMPLED, 0), (SAMPLED, 1), (None, 0)):
        _exporter.clear()
        with under(parent), engine.begin() as connection:
            assert connection.execute(sa.text("SELECT 1")).scalar() == 1
            assert not connection._has_events  # (the engine's listeners serve it)
        assert len(statements()) == spans, parent  # one span each: never twice
    assert len(begun) == 4
    assert _sqlalchemy._listeners.get(engine) is None  # moved to the engine


def test_an_engine_dropped_while_traces_are_on_is_freed_with_its_view(
    nitros_sampler: None,
) -> None:
    import gc
    import weakref

    engine = sa.create_engine("sqlite://")
    with under(SAMPLED), engine.connect() as connection:
        connection.execute(sa.text("SELECT 1"))
        view = weakref.ref(connection.engine)
    assert view() is not None
    gone = weakref.ref(engine)
    del engine, connection
    gc.collect()
    assert gone() is None  # (with its pool and the connections it holds)
    assert view() is None


def test_the_apps_own_view_of_an_engine_gets_statement_spans_too(nitros_sampler: None) -> None:
    engine = sa.create_engine("sqlite://")
    mine = engine.execution_options(isolation_level="SERIALIZABLE")  # an OptionEngine
    seen: list[str] = []
    sa.event.listen(mine, "before_cursor_execute", lambda *args: seen.append(args[2]))
    for parent, spans in ((SAMPLED, 1), (UNSAMPLED, 0), (SAMPLED, 1)):
        _exporter.clear()
        with under(parent), mine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
            assert connection.get_isolation_level() == "SERIALIZABLE"  # its options kept
        assert len(statements()) == spans, parent
    assert seen == ["SELECT 1"] * 3  # its own listener heard every statement
    assert not engine._has_events


def test_without_a_meter_provider_the_pool_has_no_usage_listeners(nitros_sampler: None) -> None:
    engine = sa.create_engine("sqlite://")
    with under(SAMPLED), engine.connect() as connection:
        connection.execute(sa.text("SELECT 1"))
    # (OpenTelemetry's connection usage metric would go nowhere: no listener per checkout)
    # (and none on connect and close, where SQLAlchemy's own SQLite dialect listens)
    assert not engine.pool.dispatch.checkout
    assert not engine.pool.dispatch.checkin
    for name in ("connect", "close"):
        owners = {getattr(f, "__self__", None) for f in getattr(engine.pool.dispatch, name)}
        assert not any(type(owner) is EngineTracer for owner in owners), name
    assert any(s.name == "connect" for s in _exporter.get_finished_spans())  # (still traced)


METERED = """
import sqlalchemy as sa
from opentelemetry import metrics
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider

import nitro.observability as observability
from nitro.observability import tracing

reader = InMemoryMetricReader()
metrics.set_meter_provider(MeterProvider(metric_readers=[reader]))
observability.enable(
    tracer_provider=TracerProvider(sampler=tracing._within_traces()),
    trace_libraries=["sqlalchemy"],
)
engine = sa.create_engine("sqlite://")
assert engine.pool.dispatch.checkout
with engine.connect() as connection:
    connection.execute(sa.text("SELECT 1"))
points = {
    point.attributes["state"]: point.value
    for resource in reader.get_metrics_data().resource_metrics
    for scope in resource.scope_metrics
    for metric in scope.metrics
    if metric.name == "db.client.connections.usage"
    for point in metric.data.data_points
}
print(sorted(points.items()))
"""


def test_with_a_meter_provider_the_connection_usage_metric_is_kept() -> None:
    import subprocess
    import sys

    # (a process of its own: OpenTelemetry's meter provider can be set once per process)
    done = subprocess.run(
        [sys.executable, "-c", METERED], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[('idle', 1), ('used', 0)]"
