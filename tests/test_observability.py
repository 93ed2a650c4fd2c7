"""nitro.observability in one process: request ids in logs, Prometheus metrics in the
default registry, OpenTelemetry spans in the SDK's in-memory exporter, Server-Timing.

Cross-package: an action saving through SQL (nitro-sql) and enqueuing a job
(nitro-cqrs, in-process engine), served by FastAPI and Flask. The worker-process side
(a real RQ worker, OTLP over HTTP) is ``test_observability_processes.py``.
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from flask import Flask
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased
from prometheus_client import REGISTRY

import nitro.observability as observability
from nitro import Entity, action, probe
from nitro.adapters.fastapi import configure_app as configure_fastapi
from nitro.adapters.flask import configure_app as configure_flask
from nitro.cqrs.jobs import InProcessEngine, configure_jobs, job
from nitro.observability import current_request_id, tracing
from nitro.observability._spans import LeanSpans
from nitro.observability.logs import ConsoleFormatter, JSONFormatter, LogfmtFormatter
from nitro.sql import SQLModelBackend, use_database

TRACE_ID = "0af7651916cd43dd8448eb211c80319c"
TRACEPARENT = f"00-{TRACE_ID}-b7ad6b7169203331-01"

seen_by_job: list[dict[str, Any]] = []


@job
def obs_send_receipt(order_id: str) -> None:
    logging.getLogger("shop.jobs").info("receipt for %s", order_id)
    seen_by_job.append({"order_id": order_id, "request_id": current_request_id()})


class ObsOrder(Entity):
    _persistence_backend_class = SQLModelBackend
    total: int = 0
    paid: bool = False

    @action(method="POST")
    def pay(self, amount: int) -> dict[str, Any]:
        if amount <= 0:
            raise ValueError("amount must be positive")
        logging.getLogger("shop").info("paying %s", amount)
        self.total += amount
        self.paid = True
        self.save()
        obs_send_receipt.enqueue(order_id=self.id)
        return {"total": self.total}

    @action(method="POST")
    def crash(self) -> None:
        raise RuntimeError("the till is on fire")


class ObsTally(Entity):  # (MemoryRepo)
    count: int = 0

    @action(method="POST")
    def add(self) -> None:
        self.count += 1


# -- fixtures ---------------------------------------------------------------------------

_exporter = InMemorySpanExporter()
# Nitro's sampler, as tracer_provider() makes it: Nitro's spans then skip the SDK's Span
# (nitro.observability._spans); test_the_sdks_own_spans_make_the_same_trace checks the
# other path, a provider of the app's own.
_provider = TracerProvider(sampler=tracing._within_traces())
_provider.add_span_processor(SimpleSpanProcessor(_exporter))


@pytest.fixture
def engine(tmp_path: Any) -> Iterator[InProcessEngine]:
    engine = configure_jobs("inprocess://")
    seen_by_job.clear()
    with use_database(f"sqlite:///{tmp_path}/obs.db"):
        yield engine  # type: ignore[misc]
        engine.drain()
    configure_jobs("inprocess://")


@pytest.fixture
def log_lines() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    yield stream
    root = logging.getLogger()
    for handler in list(root.handlers):
        if type(handler).__name__ == "_NitroHandler":
            root.removeHandler(handler)


@pytest.fixture
def on(log_lines: io.StringIO) -> Iterator[observability.Observability]:
    obs = observability.enable(
        logs="json", access_log=True, metrics=True, tracer_provider=_provider, server_timing=True
    )
    observability.configure_logging("json", stream=log_lines)
    _exporter.clear()
    yield obs
    observability.disable()


def fastapi_client() -> TestClient:
    app = FastAPI()
    configure_fastapi(app, entities=[ObsOrder])
    return TestClient(app)


def flask_client() -> Any:
    app = Flask(__name__)
    configure_flask(app, entities=[ObsOrder])
    return app.test_client()


def json_lines(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


def sample(metric: str, /, **labels: str) -> float:
    return REGISTRY.get_sample_value(metric, labels) or 0.0


# -- off --------------------------------------------------------------------------------


def test_off_by_default_nothing_listens_and_answers_carry_no_request_id(engine: Any) -> None:
    assert observability.active() is None
    assert probe.observers == ()
    order = ObsOrder(total=1)
    order.save()
    answer = fastapi_client().post(f"/obsorder/{order.id}/pay", json={"amount": 2})
    assert answer.status_code == 200
    assert "x-request-id" not in answer.headers
    assert "server-timing" not in answer.headers
    # a repository made while nothing listens is the plain class's methods
    repo = ObsOrder.repository()
    assert "save" not in vars(repo)


# -- request ids and logs -----------------------------------------------------------------


@pytest.mark.parametrize("client", [fastapi_client, flask_client], ids=["fastapi", "flask"])
def test_one_request_id_in_every_line_of_a_request_and_in_its_job(
    client: Any, engine: InProcessEngine, on: Any, log_lines: io.StringIO
) -> None:
    order = ObsOrder(total=1)
    order.save()
    answer = client().post(
        f"/obsorder/{order.id}/pay", json={"amount": 5}, headers={"X-Request-ID": "req-42"}
    )
    assert answer.status_code == 200, answer.text
    assert answer.headers["X-Request-ID"] == "req-42"
    assert engine.drain()
    assert seen_by_job == [{"order_id": order.id, "request_id": "req-42"}]
    lines = json_lines(log_lines)
    by_logger = {line["logger"]: line for line in lines}
    assert by_logger["shop"]["message"] == "paying 5"
    assert by_logger["shop"]["request_id"] == "req-42"
    access = by_logger["nitro.access"]
    assert access["request_id"] == "req-42"
    assert access["status"] == 200
    assert access["message"].startswith(f"POST /obsorder/{order.id}/pay 200 ")
    job_lines = [line for line in lines if line["logger"] in ("shop.jobs", "nitro.jobs")]
    assert {line["message"] for line in job_lines} >= {
        f"receipt for {order.id}",
        f"job {obs_send_receipt.name} started (try 1)",
        f"job {obs_send_receipt.name} finished",
    }
    assert {line["request_id"] for line in job_lines} == {"req-42"}
    assert {line["job"] for line in job_lines} == {obs_send_receipt.name}
    assert current_request_id() is None  # nothing leaks out of the request


@pytest.mark.parametrize(
    "given",
    ["", "a" * 129, "bad\nline", 'quote"', "é", "<script>"],
    ids=["empty", "too-long", "newline", "quote", "non-ascii", "markup"],
)
def test_an_implausible_request_id_is_replaced_by_a_new_one(
    given: str, engine: Any, on: Any
) -> None:
    order = ObsOrder(total=1)
    order.save()
    headers = {"X-Request-ID": given} if given.isascii() else {}
    answer = fastapi_client().post(f"/obsorder/{order.id}/pay", json={"amount": 1}, headers=headers)
    assert answer.status_code == 200
    returned = answer.headers["X-Request-ID"]
    assert returned != given
    assert len(returned) == 32
    assert int(returned, 16) >= 0


def test_without_a_request_id_the_trace_id_of_traceparent_is_used(engine: Any, on: Any) -> None:
    order = ObsOrder(total=1)
    order.save()
    answer = fastapi_client().post(
        f"/obsorder/{order.id}/pay", json={"amount": 1}, headers={"traceparent": TRACEPARENT}
    )
    assert answer.headers["X-Request-ID"] == TRACE_ID


def test_a_failing_action_is_logged_with_its_request_id_and_no_traceback_is_sent(
    engine: Any, on: Any, log_lines: io.StringIO
) -> None:
    order = ObsOrder(total=1)
    order.save()
    answer = fastapi_client().post(f"/obsorder/{order.id}/crash", headers={"X-Request-ID": "r-500"})
    assert answer.status_code == 500
    assert "fire" not in answer.text
    lines = json_lines(log_lines)
    errors = [line for line in lines if line["level"] == "error"]
    assert errors
    assert all(line["request_id"] == "r-500" for line in errors)
    assert "RuntimeError: the till is on fire" in errors[0]["exception"]
    assert [line["status"] for line in lines if line["logger"] == "nitro.access"] == [500]


def test_formatters_keep_one_record_on_one_line() -> None:
    record = logging.LogRecord("app", logging.WARNING, __file__, 1, "two\nlines %s", ("x",), None)
    record.request_id = "r1"
    record.customer = "ann"
    as_json = json.loads(JSONFormatter().format(record))
    assert as_json["message"] == "two\nlines x"
    assert as_json["request_id"] == "r1"
    assert as_json["customer"] == "ann"
    assert as_json["level"] == "warning"
    logfmt = LogfmtFormatter().format(record)
    assert "\n" not in logfmt
    assert 'message="two\\nlines x"' in logfmt
    assert "request_id=r1" in logfmt
    assert "customer=ann" in logfmt
    console = ConsoleFormatter().format(record)
    assert "WARNING app  [r1]  two" in console


def test_configure_logging_refuses_an_unknown_format() -> None:
    with pytest.raises(ValueError, match="log format must be one of"):
        observability.configure_logging("xml")  # type: ignore[arg-type]


# -- metrics --------------------------------------------------------------------------------


def test_requests_are_counted_by_status_and_timed(engine: Any, on: Any) -> None:
    labels = {"action": "ObsOrder.pay", "method": "POST"}
    before = {s: sample("nitro_requests_total", status=s, **labels) for s in ("200", "404", "422")}
    timed = sample("nitro_request_duration_seconds_count", **labels)
    commits = sample("nitro_unit_of_work_total", outcome="commit")
    rollbacks = sample("nitro_unit_of_work_total", outcome="rollback")
    order = ObsOrder(total=1)
    order.save()
    client = fastapi_client()
    for _ in range(3):
        assert client.post(f"/obsorder/{order.id}/pay", json={"amount": 1}).status_code == 200
    assert client.post(f"/obsorder/{order.id}/pay", json={"amount": "x"}).status_code == 422
    assert client.post("/obsorder/nope/pay", json={"amount": 1}).status_code == 404
    after = {s: sample("nitro_requests_total", status=s, **labels) for s in ("200", "404", "422")}
    assert {s: after[s] - before[s] for s in after} == {"200": 3, "404": 1, "422": 1}
    assert sample("nitro_request_duration_seconds_count", **labels) - timed == 5
    inf = sample("nitro_request_duration_seconds_bucket", le="+Inf", **labels)
    assert inf == sample("nitro_request_duration_seconds_count", **labels)
    # one unit per request that reached the action; the 422 was refused inside it
    assert sample("nitro_unit_of_work_total", outcome="commit") - commits == 3
    # (the 404 too: the entity is read inside the action's transaction)
    assert sample("nitro_unit_of_work_total", outcome="rollback") - rollbacks == 2
    saves = sample(
        "nitro_repository_duration_seconds_count", backend="SQLModelBackend", operation="save"
    )
    assert saves >= 4
    assert engine.drain()
    assert sample("nitro_jobs_total", job=obs_send_receipt.name, event="succeeded")


def test_an_async_call_through_a_worker_thread_is_reported_once_under_its_caller(
    engine: Any, on: Any
) -> None:
    # SQLModelBackend's aget runs the sync get in a worker thread (marked
    # sync_in_thread): the sync wrapper times it there, in the caller's copied context
    labels = {"backend": "SQLModelBackend"}
    gets = sample("nitro_repository_duration_seconds_count", operation="get", **labels)
    saves = sample("nitro_repository_duration_seconds_count", operation="save", **labels)
    repo = ObsOrder.repository()
    assert "get" in vars(repo)  # one wrapper, the sync one
    assert "aget" not in vars(repo)
    tracer = _provider.get_tracer("test")

    async def work() -> None:
        with tracer.start_as_current_span("caller"):
            order = ObsOrder(total=3)
            await order.asave()
            assert (await ObsOrder.aget(order.id)).total == 3  # type: ignore[union-attr]

    _exporter.clear()
    asyncio.run(work())
    assert sample("nitro_repository_duration_seconds_count", operation="get", **labels) == gets + 1
    assert sample("nitro_repository_duration_seconds_count", operation="save", **labels) == (
        saves + 1
    )
    spans = {span.name: span for span in _exporter.get_finished_spans()}
    caller = spans["caller"]
    for name in ("SQLModelBackend get", "SQLModelBackend save"):
        assert spans[name].parent is not None
        assert spans[name].parent.span_id == caller.context.span_id, name


def test_a_rolled_back_unit_is_counted(engine: Any, on: Any) -> None:
    from nitro.uow import MemoryUnitOfWork

    rollbacks = sample("nitro_unit_of_work_total", outcome="rollback")

    def fail_in_a_unit() -> None:
        with MemoryUnitOfWork():
            ObsOrder(total=9).save()
            raise KeyError("no")

    with pytest.raises(KeyError):
        fail_in_a_unit()
    assert sample("nitro_unit_of_work_total", outcome="rollback") - rollbacks == 1


def test_the_metrics_route_serves_the_exposition_format(engine: Any, on: Any) -> None:
    client = fastapi_client()
    order = ObsOrder(total=1)
    order.save()
    client.post(f"/obsorder/{order.id}/pay", json={"amount": 1})
    answer = client.get("/metrics")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain")
    assert 'nitro_requests_total{action="ObsOrder.pay",method="POST",status="200"}' in answer.text


def test_a_metrics_token_keeps_scrapes_without_it_out(engine: Any, log_lines: Any) -> None:
    observability.enable(metrics=True, metrics_token="s3cret")
    try:
        client = fastapi_client()
        assert client.get("/metrics").status_code == 401
        wrong = client.get("/metrics", headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401
        assert "nitro_" not in wrong.text
        right = client.get("/metrics", headers={"Authorization": "Bearer s3cret"})
        assert right.status_code == 200
        assert "nitro_requests" in right.text
    finally:
        observability.disable()


def test_open_live_streams_are_a_gauge(on: Any) -> None:
    from nitro.actions.live import alive_events, live_events
    from nitro.broadcast import InProcessBroadcaster

    order = ObsOrder(total=1)
    streams = sample("nitro_live_streams", transport="sse")
    sync_stream = live_events(InProcessBroadcaster(), order, keepalive=0.01)
    assert next(sync_stream).startswith("event: datastar-patch-signals")
    assert sample("nitro_live_streams", transport="sse") - streams == 1
    sync_stream.close()  # the client went away
    assert sample("nitro_live_streams", transport="sse") == streams

    async def open_and_close() -> float:
        async_stream = alive_events(InProcessBroadcaster(), order, keepalive=0.01)
        await anext(async_stream)
        opened = sample("nitro_live_streams", transport="sse")
        await async_stream.aclose()
        return opened

    assert asyncio.run(open_and_close()) - streams == 1
    assert sample("nitro_live_streams", transport="sse") == streams


# -- traces ---------------------------------------------------------------------------------


def _by_name(spans: tuple[ReadableSpan, ...], name: str) -> list[ReadableSpan]:
    return [span for span in spans if span.name == name]


@pytest.fixture
def lean_spans(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the spans Nitro made without the SDK's Span (_spans)."""
    made: list[str] = []
    start = LeanSpans.start

    def counted(self: LeanSpans, name: str, *args: Any) -> Any:
        made.append(name)
        return start(self, name, *args)

    monkeypatch.setattr(LeanSpans, "start", counted)
    return made


def test_one_request_makes_one_trace_down_to_sql_and_into_the_job(
    engine: Any, on: Any, lean_spans: list[str]
) -> None:
    _one_trace_down_to_sql_and_into_the_job(engine)
    assert {"action ObsOrder.pay", "SQLModelBackend get"} <= set(lean_spans)


def test_the_sdks_own_spans_make_the_same_trace(
    engine: Any, log_lines: Any, lean_spans: list[str]
) -> None:
    # A provider of the app's own (its sampler, its processors): Nitro goes through its
    # tracer, the SDK's Span and all
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(_exporter))
    observability.enable(tracer_provider=provider)
    try:
        _one_trace_down_to_sql_and_into_the_job(engine)
    finally:
        observability.disable()
    assert lean_spans == []


def _one_trace_down_to_sql_and_into_the_job(engine: Any) -> None:
    order = ObsOrder(total=1)
    order.save()
    _exporter.clear()
    answer = fastapi_client().post(
        f"/obsorder/{order.id}/pay", json={"amount": 3}, headers={"traceparent": TRACEPARENT}
    )
    assert answer.status_code == 200
    assert engine.drain()
    spans = _exporter.get_finished_spans()
    [request] = _by_name(spans, "action ObsOrder.pay")
    assert format(request.context.trace_id, "032x") == TRACE_ID
    assert request.attributes["http.route"] == "/obsorder/{id}/pay"
    assert request.attributes["http.response.status_code"] == 200
    in_trace = [s for s in spans if format(s.context.trace_id, "032x") == TRACE_ID]
    below_request = [s for s in in_trace if s.parent and s.parent == request.context]
    children = {s.name for s in below_request}
    assert {"SQLModelBackend get", "SQLModelBackend save"} <= children
    assert not {"render pay", "uow commit"} & children  # timed, but no spans of their own
    [get] = _by_name(in_trace, "SQLModelBackend get")
    # SQLAlchemy's own spans: the SELECT under the get, the write under the request
    # (the save joined the action's SQL transaction, written when it commits)
    below = {
        span.name.split()[0]: span.parent.span_id
        for span in in_trace
        if span.instrumentation_scope.name == "opentelemetry.instrumentation.sqlalchemy"
        and span.name.split()[0] in ("SELECT", "INSERT")
    }
    assert below == {"SELECT": get.context.span_id, "INSERT": request.context.span_id}
    [job_span] = _by_name(spans, f"job {obs_send_receipt.name}")
    assert format(job_span.context.trace_id, "032x") == TRACE_ID
    assert job_span.parent.span_id == request.context.span_id
    assert job_span.attributes["nitro.attempt"] == 1


def test_an_engine_made_before_traces_were_on_gets_sqlalchemys_spans_too(engine: Any) -> None:
    # the app touched its database (a seed, a migration) before observability was on
    assert observability.active() is None
    order = ObsOrder(total=1)
    order.save()
    observability.enable(tracer_provider=_provider)
    try:
        _exporter.clear()
        answer = fastapi_client().post(f"/obsorder/{order.id}/pay", json={"amount": 3})
        assert answer.status_code == 200
        names = [
            span.name.split()[0]
            for span in _exporter.get_finished_spans()
            if span.instrumentation_scope.name == "opentelemetry.instrumentation.sqlalchemy"
        ]
        assert "SELECT" in names
        assert "INSERT" in names
    finally:
        observability.disable()
    # off again: the engine's statements make no spans
    _exporter.clear()
    assert ObsOrder.get(order.id) is not None
    assert _exporter.get_finished_spans() == ()


def test_an_unsampled_trace_makes_no_child_spans(engine: Any, log_lines: Any) -> None:
    never = TracerProvider(sampler=ParentBased(TraceIdRatioBased(0.0)))
    exporter = InMemorySpanExporter()
    never.add_span_processor(SimpleSpanProcessor(exporter))
    observability.enable(tracer_provider=never)
    try:
        order = ObsOrder(total=1)
        order.save()
        # (Flask: FastAPI's own server span would come from the global provider)
        answer = flask_client().post(f"/obsorder/{order.id}/pay", json={"amount": 1})
        assert answer.status_code == 200
        assert engine.drain()
        assert exporter.get_finished_spans() == ()
    finally:
        observability.disable()


def test_a_failed_action_marks_its_span_as_an_error(engine: Any, on: Any) -> None:
    order = ObsOrder(total=1)
    order.save()
    _exporter.clear()
    fastapi_client().post(f"/obsorder/{order.id}/crash")
    [request] = _by_name(_exporter.get_finished_spans(), "action ObsOrder.crash")
    assert request.status.status_code.name == "ERROR"
    assert request.attributes["http.response.status_code"] == 500


def test_command_and_event_handlers_get_spans_and_metrics(on: Any) -> None:
    from nitro.cqrs import Bus, Command, Event

    class ObsPing(Command):
        times: int

    class ObsPinged(Event):
        times: int

    bus = Bus()

    @bus.handles(ObsPing)
    def ping(cmd: ObsPing) -> int:
        bus.publish(ObsPinged(times=cmd.times))
        return cmd.times

    @bus.handles(ObsPinged)
    def pinged(evt: ObsPinged) -> None:
        if evt.times > 1:
            raise ValueError("too many")

    failed = sample("nitro_handler_errors_total", kind="event", name="ObsPinged")
    _exporter.clear()
    assert bus.send(ObsPing(times=1)) == 1
    assert bus.send(ObsPing(times=2)) == 2  # the event handler fails; the command stands
    spans = _exporter.get_finished_spans()
    commands = _by_name(spans, "command ObsPing")
    events = _by_name(spans, "event ObsPinged")
    assert len(commands) == 2
    assert len(events) == 2
    assert {e.parent.span_id for e in events} == {c.context.span_id for c in commands}
    assert sample("nitro_handler_duration_seconds_count", kind="command", name="ObsPing") >= 2
    assert sample("nitro_handler_errors_total", kind="event", name="ObsPinged") - failed == 1


# -- Server-Timing ---------------------------------------------------------------------------


def test_server_timing_shows_action_repository_and_render_time(engine: Any, on: Any) -> None:
    order = ObsOrder(total=1)
    order.save()
    answer = fastapi_client().post(f"/obsorder/{order.id}/pay", json={"amount": 1})
    parts = dict(part.split(";dur=") for part in answer.headers["Server-Timing"].split(", "))
    assert set(parts) == {"action", "repo", "render"}
    action_ms, repo_ms, render_ms = (float(parts[k]) for k in ("action", "repo", "render"))
    assert 0 < repo_ms < action_ms
    assert 0 < render_ms < action_ms


# -- the plugin ------------------------------------------------------------------------------


def test_settings_from_the_environment() -> None:
    from nitro.observability.plugin import settings_from_environment

    assert settings_from_environment({}) is None
    assert settings_from_environment({"NITRO_OBSERVABILITY": "off"}) is None
    assert settings_from_environment({"NITRO_OBSERVABILITY": "metrics"}) == {
        "metrics": True,
        "metrics_path": "/metrics",
        "metrics_token": None,
    }
    everything = settings_from_environment(
        {"NITRO_OBSERVABILITY": "all", "NITRO_TRACES_SAMPLE": "0.1", "NITRO_LOG_FORMAT": "logfmt"}
    )
    assert everything is not None
    assert everything["traces"] == 0.1
    assert everything["logs"] == "logfmt"
    assert everything["server_timing"] is True
    assert everything["access_log"] is False  # a line per request only when asked
    access = settings_from_environment({"NITRO_OBSERVABILITY": "logs", "NITRO_ACCESS_LOG": "on"})
    assert access is not None
    assert access["access_log"] is True
    with pytest.raises(ValueError, match="unknown \\['metric'\\]"):
        settings_from_environment({"NITRO_OBSERVABILITY": "metric"})


def test_the_libraries_traced_are_a_setting() -> None:
    from nitro.observability.plugin import settings_from_environment

    on = {"NITRO_OBSERVABILITY": "traces"}
    assert "trace_libraries" not in (settings_from_environment(on) or {})  # all there are
    for value, libraries in (("none", []), ("", []), ("SQLAlchemy", ["sqlalchemy"])):
        settings = settings_from_environment({**on, "NITRO_TRACES_LIBRARIES": value})
        assert settings is not None
        assert settings["trace_libraries"] == libraries
    with pytest.raises(ValueError, match=r"NITRO_TRACES_LIBRARIES: unknown \['psycopg'\]"):
        settings_from_environment({**on, "NITRO_TRACES_LIBRARIES": "redis,psycopg"})
    with pytest.raises(TypeError, match="a list of names"):
        observability.enable(tracer_provider=_provider, trace_libraries="sqlalchemy")
    with pytest.raises(ValueError, match=r"unknown \['mysql'\]"):
        observability.enable(tracer_provider=_provider, trace_libraries=["mysql"])
    assert observability.active() is None


def test_without_library_instrumentation_nitro_still_spans_each_repository_call(
    engine: Any,
) -> None:
    order = ObsOrder(total=1)
    order.save()
    observability.enable(tracer_provider=_provider, trace_libraries=[])
    try:
        _exporter.clear()
        answer = fastapi_client().post(f"/obsorder/{order.id}/pay", json={"amount": 3})
        assert answer.status_code == 200
        spans = _exporter.get_finished_spans()
        names = {span.name for span in spans}
        assert {"action ObsOrder.pay", "SQLModelBackend get", "SQLModelBackend save"} <= names
        scopes = {span.instrumentation_scope.name for span in spans}
        assert "opentelemetry.instrumentation.sqlalchemy" not in scopes
    finally:
        observability.disable()


def test_the_plugin_has_hooks_only_while_observability_is_on() -> None:
    from nitro.observability.plugin import plugin

    assert not hasattr(plugin, "before_action")
    observability.enable(metrics=True)
    try:
        assert callable(plugin.before_action)
        assert [route.path for route in plugin.web_routes()] == ["/metrics"]
    finally:
        observability.disable()
    assert not hasattr(plugin, "after_action")


# -- head sampling -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ratio", "traceparent", "traced"),
    [
        (0.0, None, False),
        (1.0, None, True),
        (0.0, TRACEPARENT, True),  # the caller sampled it: the trace goes on
        (1.0, TRACEPARENT[:-2] + "00", False),  # the caller did not: nothing here
    ],
    ids=["never", "always", "sampled-parent", "unsampled-parent"],
)
def test_nitro_decides_at_the_root_and_follows_the_caller(
    ratio: float, traceparent: str | None, traced: bool, engine: Any, log_lines: Any
) -> None:
    from nitro.observability.tracing import tracer_provider

    exporter = InMemorySpanExporter()
    provider = tracer_provider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    observability.enable(traces=ratio, tracer_provider=provider)
    try:
        order = ObsOrder(total=1)
        order.save()  # (a trace of its own, sampled or not)
        exporter.clear()
        headers = {"traceparent": traceparent} if traceparent else {}
        answer = flask_client().post(
            f"/obsorder/{order.id}/pay", json={"amount": 1}, headers=headers
        )
        assert answer.status_code == 200
        assert engine.drain()
        names = {span.name for span in exporter.get_finished_spans()}
        if traced:
            assert {"action ObsOrder.pay", "SQLModelBackend save"} <= names
            assert f"job {obs_send_receipt.name}" in names
        else:
            assert names == set()  # not even the job's or the SQL's
    finally:
        observability.disable()


@pytest.mark.parametrize("ratio", [0.1, 0.5])
def test_the_ratio_of_requests_traced_is_the_ratio_asked(ratio: float, log_lines: Any) -> None:
    # Each root is drawn once: 600 requests at 0.1 give about 60 traces (a second draw
    # would give 6). MemoryRepo entities, so that only the requests make traces.
    import random

    from nitro.observability.tracing import tracer_provider

    exporter = InMemorySpanExporter()
    provider = tracer_provider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    observability.enable(traces=ratio, tracer_provider=provider)
    random.seed(20261204)
    try:
        ObsTally(id="t").save()
        app = FastAPI()
        configure_fastapi(app, entities=[ObsTally])
        client = TestClient(app)
        for _ in range(600):
            assert client.post("/obstally/t/add").status_code == 200
    finally:
        observability.disable()
    traced = sum(1 for span in exporter.get_finished_spans() if span.name == "action ObsTally.add")
    assert 0.7 * 600 * ratio <= traced <= 1.3 * 600 * ratio


def test_a_sample_ratio_outside_zero_to_one_is_refused() -> None:
    with pytest.raises(ValueError, match="between 0 and 1"):
        observability.enable(traces=1.5)
    assert observability.active() is None


def test_nitros_sampler_follows_the_parent_and_drops_client_roots() -> None:
    from opentelemetry import trace
    from opentelemetry.sdk.trace.sampling import Decision
    from opentelemetry.trace import NonRecordingSpan, SpanContext, SpanKind, TraceFlags

    from nitro.observability.tracing import _within_traces

    sampler = _within_traces()

    def decide(kind: SpanKind, parent_flags: TraceFlags | None) -> Decision:
        context = None
        if parent_flags is not None:
            parent = SpanContext(int(TRACE_ID, 16), 0xB7AD6B7169203331, True, parent_flags)
            context = trace.set_span_in_context(NonRecordingSpan(parent))
        result = sampler.should_sample(context, 1, "x", kind, {"a": 1})
        if result.decision is Decision.RECORD_AND_SAMPLE:
            assert dict(result.attributes) == {"a": 1}  # the span keeps its attributes
        return result.decision

    keep, drop = Decision.RECORD_AND_SAMPLE, Decision.DROP
    assert decide(SpanKind.SERVER, None) is keep  # a root Nitro chose to sample
    assert decide(SpanKind.INTERNAL, None) is keep
    assert decide(SpanKind.CLIENT, None) is drop  # a pool's own call outside any trace
    assert decide(SpanKind.CLIENT, TraceFlags(TraceFlags.SAMPLED)) is keep
    assert decide(SpanKind.INTERNAL, TraceFlags(TraceFlags.DEFAULT)) is drop
