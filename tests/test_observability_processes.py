"""Observability across processes: examples/orders served by a real server process, its
confirmation job run by a real ``nitro worker`` (RQ engine, real redis-server), both
with ``NITRO_OBSERVABILITY=logs,traces`` (and ``NITRO_ACCESS_LOG=on``) and nothing else
changed.

Traces go over OTLP/HTTP (the OpenTelemetry SDK's own exporter) to a receiver this test
runs, which decodes the protobuf with ``opentelemetry-proto``: the worker's job span
must continue the trace of the request that placed the order. The JSON log lines of
both processes must carry the request's id.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from nitro_orders import JOB, Worker, mails, orders_app
from nitro_test_services import wait_for
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
CALLER_SPAN = "00f067aa0ba902b7"


class OTLPReceiver:
    """``POST /v1/traces`` (OTLP/HTTP, protobuf): keeps every span it is sent."""

    def __init__(self) -> None:
        self.spans: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if self.path != "/v1/traces":
                    self.send_error(404)
                    return
                receiver.keep(ExportTraceServiceRequest.FromString(body))
                answer = ExportTraceServiceResponse().SerializeToString()
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def keep(self, request: ExportTraceServiceRequest) -> None:
        found = []
        for resource_spans in request.resource_spans:
            service = next(
                (
                    a.value.string_value
                    for a in resource_spans.resource.attributes
                    if a.key == "service.name"
                ),
                "",
            )
            for scope_spans in resource_spans.scope_spans:
                for span in scope_spans.spans:
                    found.append(
                        {
                            "service": service,
                            "scope": scope_spans.scope.name,
                            "name": span.name,
                            "trace_id": span.trace_id.hex(),
                            "span_id": span.span_id.hex(),
                            "parent": span.parent_span_id.hex(),
                        }
                    )
        with self.lock:
            self.spans += found

    def named(self, name: str) -> list[dict[str, Any]]:
        with self.lock:
            return [span for span in self.spans if span["name"] == name]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[OTLPReceiver]:
    started = OTLPReceiver()
    yield started
    started.close()


def observed(receiver: OTLPReceiver, service: str) -> dict[str, str]:
    return {
        "NITRO_OBSERVABILITY": "logs,traces",
        "NITRO_LOG_FORMAT": "json",
        "NITRO_ACCESS_LOG": "on",
        "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.url,
        "OTEL_SERVICE_NAME": service,
        "OTEL_BSP_SCHEDULE_DELAY": "100",  # export within 0.1 s, not 5 s
    }


def json_lines(path: Path) -> list[dict[str, Any]]:
    lines = []
    for line in path.read_text(errors="replace").splitlines():
        if line.startswith("{"):
            lines.append(json.loads(line))
    return lines


@pytest.mark.redis
def test_the_worker_continues_the_trace_and_the_request_id_of_the_request(
    tmp_path: Path, redis_url: str, receiver: OTLPReceiver
) -> None:
    jobs_url = f"rq+{redis_url}"
    worker = Worker(jobs_url, tmp_path, observed(receiver, "orders-worker"))
    worker.start()
    try:
        env = observed(receiver, "orders-web")
        with orders_app(tmp_path, jobs_url, env) as base_url, httpx.Client(base_url=base_url) as c:
            answer = c.post(
                "/checkout/place",
                json={"email": "ann@example.com", "quantities": {"tea": 1}},
                headers={
                    "X-Request-ID": "order-ann-1",
                    "traceparent": f"00-{TRACE_ID}-{CALLER_SPAN}-01",
                },
            )
            assert answer.status_code == 200, answer.text
            assert answer.headers["X-Request-ID"] == "order-ann-1"
            wait_for(lambda: mails(tmp_path), what="the confirmation mail")
            job_spans = wait_for(lambda: receiver.named(f"job {JOB}"), what="the job's span")
            # (while the web process runs: a server stopped by a signal sends nothing
            # more, and its batch goes out every 0.1 s here, which a loaded machine
            # can stretch past the job's end)
            [action] = wait_for(
                lambda: receiver.named("action Checkout.place"), what="the action's span"
            )
    finally:
        worker.stop()

    # -- one trace, from the caller through the web process into the worker
    assert action["service"] == "orders-web"
    assert action["trace_id"] == TRACE_ID
    assert action["parent"] == CALLER_SPAN
    web = [s for s in receiver.spans if s["service"] == "orders-web"]
    by_id = {span["span_id"]: span for span in web}
    [command] = [s for s in web if s["name"] == "command PlaceOrder"]
    assert command["parent"] == action["span_id"]
    sql = {
        s["name"].split()[0]
        for s in web
        if s["scope"] == "opentelemetry.instrumentation.sqlalchemy" and s["trace_id"] == TRACE_ID
    }
    assert {"SELECT", "INSERT", "UPDATE"} <= sql  # SQLAlchemy's own spans, in the trace
    [job_span] = job_spans
    assert job_span["service"] == "orders-worker"
    assert job_span["trace_id"] == TRACE_ID
    # its parent is a span of the web process, inside the request's trace
    enqueued_under = by_id[job_span["parent"]]
    assert enqueued_under["trace_id"] == TRACE_ID
    # the worker traced nothing else: its Redis polling makes no one-span traces
    worker_spans = [s for s in receiver.spans if s["service"] == "orders-worker"]
    assert {s["trace_id"] for s in worker_spans} == {TRACE_ID}
    assert any(s["parent"] == job_span["span_id"] for s in worker_spans)

    # -- the request id in the log lines of both processes
    web_lines = json_lines(tmp_path / "orders.log")
    worker_lines = json_lines(tmp_path / "worker.log")
    [access] = [line for line in web_lines if line["logger"] == "nitro.access"]
    assert access["request_id"] == "order-ann-1"
    assert access["status"] == 200
    job_lines = [line for line in worker_lines if line.get("job") == JOB]
    assert {line["message"] for line in job_lines} >= {
        f"job {JOB} started (try 1)",
        f"job {JOB} finished",
    }
    assert {line["request_id"] for line in job_lines} == {"order-ann-1"}
