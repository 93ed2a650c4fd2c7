"""An @action with logs, metrics and traces on vs off vs not installed, side by side.

    uv run --no-sync python benchmarks/actions/bench_observability.py

One app (``fastapi_app.py``: ``POST /counter/main/increment?amount=1``, the route
``configure_app`` makes for ``Counter.increment``, an ``Entity`` on MemoryRepo; served
through :func:`create_app`) by three uvicorn processes (1 worker, ``--no-access-log``),
one per configuration:

- **without**: ``NITRO_PLUGINS=audit,auth``, the ``observability`` plugin not loaded at
  all (the code path before ``nitro.observability`` existed);
- **off**: plugins loaded as by default, ``NITRO_OBSERVABILITY`` unset (installed, off);
- **on**: ``NITRO_OBSERVABILITY=logs,metrics,traces``, ``NITRO_TRACES_SAMPLE=0.1``,
  ``NITRO_LOG_FORMAT=json``: a JSON access line per request on stderr (redirected to a
  file), Prometheus counter and histogram per request and per repository call, a server
  span per request (10% of traces sampled, with their repository and render child
  spans) exported by the SDK's ``BatchSpanProcessor`` over OTLP/HTTP to
  ``OTEL_EXPORTER_OTLP_ENDPOINT``, a sink process this script starts (``--sink``: answers
  200 to ``POST /v1/traces``, counts requests, bytes and spans). FastAPI (0.165) adds its
  own server span to every request once Nitro has set the global tracer provider.

Each round starts a fresh server process per configuration (``--no-fresh``: the same
ones for all rounds; a process's memory layout, its hash seeds and addresses, moves its
speed by a few % for as long as it runs), warms each up, and ``wrk -t1 -c16`` loads them
in turn, the order rotated every round. Where there are two CPUs or more the servers
run on the last one and ``wrk`` and the sink on the others (``--no-pin``: anywhere; not
with ``--app postgres``, whose server processes would share ``wrk``'s CPU).

Printed: requests/s per configuration per round, the medians of requests/s, p99 and
server CPU per request (with its kernel part, and the part of the threads other than
the event loop's: the span exporter's, the app's worker threads), and the median over
rounds of the on/off (target >= 0.90) and off/without (target: no measurable
difference) ratios.
Afterwards the script checks that ``on`` really was on: ``/metrics`` counts the
requests, the log file has JSON access lines with a ``request_id``, and the sink
received spans, about a tenth of the requests as sampled traces.

``--app sqlite`` serves the counter stored in SQLite (``sql_counter.py``, the files in
``/dev/shm`` where there is one), ``--app postgres`` in PostgreSQL (a cluster started
for the run, a database per server); ``--counters N`` spreads the load over N counters
picked at random per request.

``--configs`` picks other servers to compare, among them parts of ``on`` alone
(``logs``, ``logs-access``, ``metrics``, ``traces``, ``traces-0``, ``on-access``,
``on-fastapi``, ``on-1``: see ``CONFIGS``), each compared with ``off``. ``--profile SECONDS``
then runs py-spy on each server but ``without`` under wrk and prints their CPU per
request by area (FastAPI's telemetry, OpenTelemetry, nitro.observability, the probes,
prometheus_client, logging, the span exporter's thread, the rest).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib.metadata import version
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_actions import (  # noqa: E402
    NITRO_PATH,
    POST_SCRIPT,
    Run,
    free_port,
    post_json,
    server_cpu_seconds,
    wait_until_up,
    wrk,
)

SAMPLE = "0.1"
#: configuration: (what it is, its environment on top of the inherited one without
#: NITRO_*/OTEL_*). "without", "off" and "on" are the benchmark; the others split "on"
#: up (``--configs``), for finding where its cost goes.
CONFIGS: dict[str, tuple[str, dict[str, str]]] = {
    "without": ("observability plugin not loaded", {"NITRO_PLUGINS": "audit,auth"}),
    "off": ("plugin loaded, NITRO_OBSERVABILITY unset", {}),
    "on": (
        f"logs (JSON), metrics, traces sampled {SAMPLE}",
        {
            "NITRO_OBSERVABILITY": "logs,metrics,traces",
            "NITRO_TRACES_SAMPLE": SAMPLE,
            "NITRO_LOG_FORMAT": "json",
        },
    ),
    "logs": ("logs (JSON) only", {"NITRO_OBSERVABILITY": "logs", "NITRO_LOG_FORMAT": "json"}),
    "metrics": ("metrics only", {"NITRO_OBSERVABILITY": "metrics"}),
    "traces": (
        f"traces only, sampled {SAMPLE}",
        {"NITRO_OBSERVABILITY": "traces", "NITRO_TRACES_SAMPLE": SAMPLE},
    ),
    "logs-access": (
        "logs (JSON) with NITRO_ACCESS_LOG=on: a nitro.access line per request",
        {"NITRO_OBSERVABILITY": "logs", "NITRO_LOG_FORMAT": "json", "NITRO_ACCESS_LOG": "on"},
    ),
    "on-access": (
        "on, plus NITRO_ACCESS_LOG=on",
        {
            "NITRO_OBSERVABILITY": "logs,metrics,traces",
            "NITRO_TRACES_SAMPLE": SAMPLE,
            "NITRO_LOG_FORMAT": "json",
            "NITRO_ACCESS_LOG": "on",
        },
    ),
    "on-nolib": (
        "on, with NITRO_TRACES_LIBRARIES=none: Nitro's spans (request, repository calls) "
        "but not SQLAlchemy's and redis-py's per-statement ones",
        {
            "NITRO_OBSERVABILITY": "logs,metrics,traces",
            "NITRO_TRACES_SAMPLE": SAMPLE,
            "NITRO_LOG_FORMAT": "json",
            "NITRO_TRACES_LIBRARIES": "none",
        },
    ),
    "on-late": (
        "on, with the span exports put off until after the measurement (a batch of up to "
        "a million spans every 10 minutes): what exporting costs the serving process",
        {
            "NITRO_OBSERVABILITY": "logs,metrics,traces",
            "NITRO_TRACES_SAMPLE": SAMPLE,
            "NITRO_LOG_FORMAT": "json",
            "OTEL_BSP_SCHEDULE_DELAY": "600000",
            "OTEL_BSP_MAX_QUEUE_SIZE": "1000000",
            "OTEL_BSP_MAX_EXPORT_BATCH_SIZE": "1000000",
        },
    ),
    "on-0": (
        "on, with no trace sampled (what the unsampled nine in ten cost)",
        {
            "NITRO_OBSERVABILITY": "logs,metrics,traces",
            "NITRO_TRACES_SAMPLE": "0",
            "NITRO_LOG_FORMAT": "json",
        },
    ),
    "on-0-nolib": (
        "on-0 with NITRO_TRACES_LIBRARIES=none (what the libraries' instrumentation costs a "
        "request whose trace is not sampled)",
        {
            "NITRO_OBSERVABILITY": "logs,metrics,traces",
            "NITRO_TRACES_SAMPLE": "0",
            "NITRO_LOG_FORMAT": "json",
            "NITRO_TRACES_LIBRARIES": "none",
        },
    ),
    "on-1": (
        "on, with every trace sampled (what a sampled request costs, times ten)",
        {
            "NITRO_OBSERVABILITY": "logs,metrics,traces",
            "NITRO_TRACES_SAMPLE": "1",
            "NITRO_LOG_FORMAT": "json",
        },
    ),
    "traces-0": (
        "traces only, sampled 0 (no trace sampled: nothing built or exported)",
        {"NITRO_OBSERVABILITY": "traces", "NITRO_TRACES_SAMPLE": "0"},
    ),
    "on-fastapi": (
        "on, with FastAPI's own telemetry left on (it reads OTEL_EXPORTER_OTLP_ENDPOINT "
        "too, and then makes a server span for every request)",
        {
            "NITRO_OBSERVABILITY": "logs,metrics,traces",
            "NITRO_TRACES_SAMPLE": SAMPLE,
            "NITRO_LOG_FORMAT": "json",
            "BENCH_FASTAPI_TELEMETRY": "on",
        },
    ),
    "on-noexport": (
        "on, but no exporter: sampled spans are made and dropped (the export's share)",
        {
            "NITRO_OBSERVABILITY": "logs,metrics,traces",
            "NITRO_TRACES_SAMPLE": SAMPLE,
            "NITRO_LOG_FORMAT": "json",
            "BENCH_NO_EXPORT": "1",
        },
    ),
}
DEFAULT_CONFIGS = ("without", "off", "on")


def environment(config: str, sink: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("NITRO_", "OTEL_", "FASTAPI_OTEL", "PROMETHEUS_MULTIPROC_DIR"))
    }
    env.update(CONFIGS[config][1])
    if "traces" in env.get("NITRO_OBSERVABILITY", "") and "BENCH_NO_EXPORT" not in env:
        env["OTEL_EXPORTER_OTLP_ENDPOINT"] = sink
    return env


def create_app() -> Any:
    """The served app (``uvicorn --factory``): the counter of ``counter.py`` (MemoryRepo)
    or, with ``BENCH_APP=sqlite`` or ``postgres``, of ``sql_counter.py``. FastAPI's own
    telemetry (FastAPI 0.165 traces every request itself once ``OTEL_*`` exporter
    settings are set) is off unless ``BENCH_FASTAPI_TELEMETRY=on``: the benchmark
    compares Nitro's observability on and off."""
    if os.environ.get("BENCH_APP") in ("sqlite", "postgres"):
        import sql_counter  # noqa: F401  (the entity, and its row "main")
    else:
        import counter  # noqa: F401
    from fastapi import FastAPI

    from nitro.adapters.fastapi import configure_app

    if os.environ.get("BENCH_FASTAPI_TELEMETRY") == "on":
        app = FastAPI()
    else:
        app = FastAPI(telemetry={"tracing": False, "metrics": False, "logs": False})
    configure_app(app)
    return app


def database_dir(tmp: Path) -> Path:
    """Where the SQLite files go: in memory (``/dev/shm``) where there is one, so that
    the disk's fsync latency, which varies by the second on a VM, does not drown the
    CPU cost being compared; else *tmp*."""
    shm = Path("/dev/shm")
    if shm.is_dir() and os.access(shm, os.W_OK):
        return Path(tempfile.mkdtemp(prefix="nitro-bench-", dir=shm))
    return tmp


def system_seconds(pid: int) -> float:
    """The system (kernel) part of the server's CPU time."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[12]) / os.sysconf("SC_CLK_TCK")


def other_threads_seconds(pid: int) -> float:
    """CPU time of the server's threads other than its main one (the event loop's): the
    span exporter's thread, and any worker threads the app runs work in."""
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        if task.name == str(pid):
            continue
        try:
            fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:  # (a thread that ended meanwhile)
            continue
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def _pin_server() -> None:
    os.sched_setaffinity(0, {os.cpu_count() - 1})


def server_command(port: int) -> list[str]:
    return [
        sys.executable, "-m", "uvicorn", "bench_observability:create_app", "--factory",
        "--app-dir", str(HERE), "--host", "127.0.0.1", "--port", str(port), "--workers", "1",
        "--log-level", "warning", "--no-access-log",
    ]  # fmt: skip


# -- the OTLP/HTTP sink (a process of its own: its CPU is not the server's) -------------


def run_sink(port: int) -> None:
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
        ExportTraceServiceRequest,
    )

    stats = {"posts": 0, "bytes": 0, "spans": 0, "roots": 0, "names": {}}
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as the exporter's session expects

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            if self.path == "/v1/traces":
                export = ExportTraceServiceRequest.FromString(body)
                spans = [
                    span
                    for resource in export.resource_spans
                    for scope in resource.scope_spans
                    for span in scope.spans
                ]
                with lock:
                    stats["posts"] += 1
                    stats["bytes"] += len(body)
                    stats["spans"] += len(spans)
                    stats["roots"] += sum(1 for s in spans if not s.parent_span_id)
                    for span in spans:
                        stats["names"][span.name] = stats["names"].get(span.name, 0) + 1
            self._answer(200, b"", "application/x-protobuf")

        def do_GET(self) -> None:
            with lock:
                body = json.dumps(stats).encode()
            self._answer(200, body, "application/json")

        def _answer(self, status: int, body: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()


def sink_stats(base: str) -> dict[str, Any]:
    with urllib.request.urlopen(base + "/stats", timeout=5) as response:
        return json.loads(response.read())


# -- the run ----------------------------------------------------------------------------


def bench(args: argparse.Namespace, script: Path, tmp: Path) -> dict[str, Any]:
    configs = args.configs
    sink_port = free_port()
    sink = f"http://127.0.0.1:{sink_port}"
    sink_process = subprocess.Popen([sys.executable, __file__, "--sink", str(sink_port)], cwd=HERE)
    servers: dict[str, subprocess.Popen[bytes]] = {}
    urls: dict[str, str] = {}
    logs = {config: tmp / f"{config}.log" for config in configs}
    result: dict[str, Any] = {"logs": logs, "metrics": {config: [] for config in configs}}
    args.extra = result["extra"] = {}  # config -> requests made outside the measurement
    db_dir = database_dir(tmp)
    databases = Databases(args.app, db_dir)
    try:
        wait_until_up(sink, sink_process)
        database_urls = {config: databases.url(config) for config in configs}
        runs: dict[str, list[Run]] = {config: [] for config in configs}
        for round_number in range(args.rounds):
            if round_number == 0 or args.fresh:
                stop_servers(servers, urls, result)
                servers, urls = start_servers(args, sink, database_urls, logs, script)
            shift = round_number % len(configs)
            order = configs[shift:] + configs[:shift]
            for config in order:
                pid = servers[config].pid
                cpu_before, sys_before = server_cpu_seconds(pid), system_seconds(pid)
                threads_before = other_threads_seconds(pid)
                run = wrk(urls[config], script, args.seconds, args.connections)
                run.cpu_us = (server_cpu_seconds(pid) - cpu_before) / run.requests * 1e6
                run.sys_us = (system_seconds(pid) - sys_before) / run.requests * 1e6
                run.threads_us = (other_threads_seconds(pid) - threads_before) / run.requests * 1e6
                runs[config].append(run)
            print(
                f"round {round_number + 1}: "
                + ", ".join(f"{c} {runs[c][-1].rps:.0f}" for c in order)
                + f" req/s (load {os.getloadavg()[0]:.2f})",
                flush=True,
            )
        result["runs"] = runs
        if args.profile:
            profiles = {
                config: profile(args, config, servers[config].pid, urls[config], script, tmp)
                for config in configs
                if config != "without"
            }
            print_profiles(profiles)
        stop_servers(servers, urls, result)
        result["sink"] = sink_stats(sink)
        result["sink"]["cpu_seconds"] = server_cpu_seconds(sink_process.pid)
    finally:
        for process in servers.values():
            process.terminate()
        for process in servers.values():
            process.wait(timeout=15)
        sink_process.terminate()
        sink_process.wait(timeout=10)
        databases.remove()
        if db_dir != tmp:
            shutil.rmtree(db_dir, ignore_errors=True)
    return result


def start_servers(
    args: argparse.Namespace,
    sink: str,
    database_urls: dict[str, str],
    logs: dict[str, Path],
    script: Path,
) -> tuple[dict[str, subprocess.Popen[bytes]], dict[str, str]]:
    """A server per configuration, up, checked and warmed up: ``(processes, action URLs)``."""
    servers, bases = {}, {}
    for config in args.configs:
        port = free_port()
        bases[config] = f"http://127.0.0.1:{port}"
        with logs[config].open("ab") as log:  # stderr to a file: the JSON log lines
            env = environment(config, sink)
            env["BENCH_APP"] = args.app
            env["BENCH_COUNTERS"] = str(args.counters)
            env["NITRO_DATABASE_URL"] = database_urls[config]
            servers[config] = subprocess.Popen(
                server_command(port),
                cwd=HERE,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=log,
                preexec_fn=_pin_server if args.pin else None,
            )
    for config in args.configs:
        wait_until_up(bases[config], servers[config])
    urls = {config: bases[config] + NITRO_PATH for config in args.configs}
    for config, url in urls.items():  # each answers the action's JSON, counting up
        first, second = post_json(url), post_json(url)
        assert second["entity"]["count"] == first["entity"]["count"] + 1, (config, second)
    for config, url in urls.items():  # warm-up (its requests are traced too)
        warmed = wrk(url, script, args.warmup, args.connections).requests
        args.extra[config] = args.extra.get(config, 0) + warmed + 2
    return servers, urls


def stop_servers(
    servers: dict[str, subprocess.Popen[bytes]], urls: dict[str, str], result: dict[str, Any]
) -> None:
    """Keep what each server's ``/metrics`` counted, let the span exporters send their
    last batch, and stop them."""
    if not servers:
        return
    for config, url in urls.items():
        if "metrics" in CONFIGS[config][1].get("NITRO_OBSERVABILITY", ""):
            base = url.removesuffix(NITRO_PATH)
            with urllib.request.urlopen(base + "/metrics", timeout=5) as response:
                result["metrics"][config].append(response.read().decode())
    # The batch span processor sends a batch every second (Nitro's default); a stopping
    # uvicorn re-raises SIGTERM, which ends the process without atexit (the SDK's
    # flush): wait for the last batch rather than lose it.
    time.sleep(2)
    for process in servers.values():
        process.terminate()
    for process in servers.values():
        process.wait(timeout=15)
    servers.clear()


class Databases:
    """Where each server keeps its counter: a SQLite file in *directory*, or a database
    of its own on a PostgreSQL cluster started for the run (``--app postgres``, with
    ``nitro.testing.services``: Debian's server binaries, fsync off)."""

    def __init__(self, app: str, directory: Path) -> None:
        self.app, self.directory, self.cluster = app, directory, None
        if app == "postgres":
            from nitro.testing.services import PostgresCluster

            self.cluster = PostgresCluster.create()
            print(f"PostgreSQL {self.cluster.version} on port {self.cluster.port}", flush=True)

    def url(self, config: str) -> str:
        if self.cluster is None:
            return f"sqlite:///{self.directory / config}.db"
        import psycopg

        name = "bench_" + re.sub(r"\W", "_", config)
        with psycopg.connect(self.cluster.server.dsn, autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        return self.cluster.server.url.rsplit("/", 1)[0] + "/" + name

    def remove(self) -> None:
        if self.cluster is not None:
            self.cluster.remove()


# -- where the time goes in `on` (--profile) -------------------------------------------

#: (area, markers in a frame's file name); a frame outside all of them is the Python
#: standard library and counts for its caller, except the areas named here.
_AREAS = (
    ("fastapi.telemetry (FastAPI's own spans)", ("/fastapi/telemetry/",)),
    ("opentelemetry", ("/opentelemetry/",)),
    ("nitro.observability", ("/nitro/observability/",)),
    ("nitro.probe + repository wrappers", ("/nitro/probe.py", "/nitro/persistence/_instrument")),
    ("prometheus_client", ("/prometheus_client/",)),
    ("logging (stdlib)", ("/logging/__init__.py",)),
    ("app, Nitro, FastAPI, uvicorn", ("/site-packages/", "/src/nitro/", "/benchmarks/")),
)


def profile(
    args: argparse.Namespace, config: str, pid: int, url: str, script: Path, tmp: Path
) -> dict[str, Any]:
    """py-spy one server under wrk: its samples by area (see :func:`attribute`)."""
    py_spy = shutil.which("py-spy") or str(Path.home() / ".local/bin/py-spy")
    raw = Path(f"{args.profile_out}.{config}") if args.profile_out else tmp / f"{config}.raw"
    cpu_before = server_cpu_seconds(pid)
    spy = subprocess.Popen(
        [py_spy, "record", "--pid", str(pid), "--format", "raw", "--rate", "200",
         "--duration", str(args.profile + 1), "--full-filenames", "--nonblocking",
         "--output", str(raw)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    time.sleep(0.5)
    run = wrk(url, script, args.profile, args.connections)
    spy.wait(timeout=args.profile + 30)
    cpu_us = (server_cpu_seconds(pid) - cpu_before) / run.requests * 1e6
    return {"rps": run.rps, "cpu_us": cpu_us, **attribute(raw)}


def _area(frame: str) -> str | None:
    path = frame[frame.rfind("(") + 1 :]
    for area, markers in _AREAS:
        if any(marker in path for marker in markers):
            return area
    return None


_EXPORT_THREAD = "OTLP export thread (BatchSpanProcessor)"
_STDLIB = "stdlib only (event loop, threads)"


def attribute(raw: Path) -> dict[str, Any]:
    """Each sample counts for the innermost frame in one of the areas (a stdlib frame
    counts for its caller); samples of the span exporter's thread count apart. Also:
    the observability areas' samples by the other area that called into them."""
    total = 0
    by_area: dict[str, int] = {}
    by_via: dict[tuple[str, str], int] = {}
    functions: dict[str, int] = {}
    for line in raw.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        count = int(count_text)
        frames = stack.split(";")
        total += count
        if any("BatchProcessor.worker" in frame for frame in frames):
            area, via, where = _EXPORT_THREAD, "", frames[-1]
        else:
            area, via, where = _STDLIB, "", frames[-1]
            for depth in range(len(frames) - 1, -1, -1):
                found = _area(frames[depth])
                if found is not None:
                    area, where = found, frames[depth]
                    for caller in reversed(frames[:depth]):
                        caller_area = _area(caller)
                        if caller_area is not None and caller_area != area:
                            via = caller_area
                            break
                    break
        by_area[area] = by_area.get(area, 0) + count
        by_via[area, via] = by_via.get((area, via), 0) + count
        where = re.sub(r"\(/\S*?(site-packages|src|lib/python3\.\d+)/", "(", where)
        functions[f"{area}: {where}"] = functions.get(f"{area}: {where}", 0) + count
    return {"samples": total, "areas": by_area, "via": by_via, "functions": functions}


def print_profiles(profiles: dict[str, dict[str, Any]]) -> None:
    """Per area: its share of each server's samples times that server's CPU per request
    (py-spy's samples of threads not idle stand for CPU time)."""
    names = list(profiles)
    print(
        "\npy-spy under wrk for the same seconds each: "
        + "; ".join(
            f"{n} {p['rps']:.0f} req/s, {p['cpu_us']:.0f} us CPU/request, {p['samples']} samples"
            for n, p in profiles.items()
        )
    )
    areas = [a for a, _ in _AREAS] + [_EXPORT_THREAD, _STDLIB]
    print(f"{'us CPU per request (share of samples)':<44}" + "".join(f"{n:>16}" for n in names))
    for area in areas:
        cells = []
        for p in profiles.values():
            share = p["areas"].get(area, 0) / p["samples"]
            cells.append(f"{share * p['cpu_us']:8.0f} ({share:4.0%})")
        print(f"  {area:<42}" + "".join(f"{c:>16}" for c in cells))
    last = names[-1]
    p = profiles[last]
    print(f"`{last}`: observability areas by caller, share of samples")
    observing = [a for a, _ in _AREAS[:-1]]
    for (area, via), count in sorted(p["via"].items(), key=lambda kv: -kv[1]):
        if area in observing and via and count / p["samples"] >= 0.005:
            print(f"  {count / p['samples']:6.1%}  {area} <- {via}")
    print(f"`{last}`: innermost frames (area: function (file:line)), top 30:")
    for frame, count in sorted(p["functions"].items(), key=lambda kv: -kv[1])[:30]:
        print(f"  {count / p['samples']:6.1%}  {frame}")


# -- checks: was `on` really on? --------------------------------------------------------


def check(result: dict[str, Any]) -> list[str]:
    notes, failures = [], []
    runs = result["runs"]
    for config, texts in result["metrics"].items():
        if not texts:
            continue
        counted = sum(  # (each server's, when fresh servers served each round)
            float(value)
            for metrics in texts
            for value in re.findall(
                r'^nitro_requests_total\{[^}]*action="Counter\.increment"[^}]*\} ([\d.e+]+)$',
                metrics,
                re.M,
            )
        )
        sent = sum(r.requests for r in runs[config])
        notes.append(f"/metrics of `{config}`: nitro_requests_total {counted:.0f} (wrk: {sent})")
        if counted < sent:
            failures.append(f"/metrics of `{config}` did not count the requests")
    for config, log in result["logs"].items():
        access = with_id = 0
        for line in log.read_text(errors="replace").splitlines():
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if record.get("logger") == "nitro.access":
                access += 1
                with_id += bool(record.get("request_id"))
        env = CONFIGS[config][1]
        logs_on = "logs" in env.get("NITRO_OBSERVABILITY", "")
        logged = logs_on and env.get("NITRO_ACCESS_LOG") == "on"
        if logged:
            sent = sum(r.requests for r in runs[config])
            notes.append(
                f"stderr of `{config}`: {access} JSON nitro.access lines, {with_id} with a "
                f"request_id (wrk: {sent}; {log.stat().st_size / 1e6:.1f} MB)"
            )
            if with_id < sent:
                failures.append(f"the log of `{config}` lacks JSON access lines")
        elif access:
            failures.append(f"`{config}` wrote access lines")
        elif logs_on:  # no line per request: the JSON handler is there all the same
            lines = [ln for ln in log.read_text(errors="replace").splitlines() if ln.strip()]
            json_lines = sum(ln.startswith('{"time"') for ln in lines)
            notes.append(f"stderr of `{config}`: {json_lines} JSON log lines (no access log)")
            if not json_lines:
                failures.append(f"`{config}` logged no JSON line")
    sink = result["sink"]
    traced = [
        c
        for c in runs
        if "traces" in CONFIGS[c][1].get("NITRO_OBSERVABILITY", "")
        and CONFIGS[c][1].get("NITRO_TRACES_SAMPLE") != "0"
        and "BENCH_NO_EXPORT" not in CONFIGS[c][1]
    ]
    if traced:
        # (the measured requests, the warm-ups' and the checks')
        answered = sum(sum(r.requests for r in runs[c]) + result["extra"].get(c, 0) for c in traced)
        notes.append(
            f"OTLP sink ({', '.join(traced)}): {sink['posts']} exports, "
            f"{sink['bytes'] / 1e6:.1f} MB, {sink['spans']} spans, {sink['roots']} traces "
            f"= {sink['roots'] / max(answered, 1):.3f} of {answered} requests (sampled "
            f"{SAMPLE}); spans by name: {sink['names']}; the sink used "
            f"{sink['cpu_seconds']:.1f} s CPU ({sink['cpu_seconds'] / max(answered, 1) * 1e6:.0f} "
            "us per request of those servers)"
        )
        if sink["spans"] == 0:
            failures.append("the OTLP sink received no spans")
    print("\n".join(notes))
    return failures


def tree_state() -> str:
    """The commit measured, and whether packages/ had changes not committed."""
    root = HERE.parent.parent
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True, text=True
        ).stdout.strip()
        changed = subprocess.run(
            ["git", "status", "--porcelain", "--", "packages"],
            cwd=root,
            capture_output=True,
            text=True,
        ).stdout.split("\n")
    except OSError:
        return "commit: unknown"
    files = [line[3:] for line in changed if line.strip()]
    return f"commit {commit}" + (
        f", with uncommitted changes in {len(files)} files under packages/: {', '.join(files)}"
        if files
        else ""
    )


def post_script(counters: int) -> str:
    """wrk's script: POST, to ``main``'s increment or, with *counters*, to a counter
    picked at random per request."""
    if not counters:
        return POST_SCRIPT
    return POST_SCRIPT + (
        "request = function()\n"
        f'  return wrk.format(nil, "/counter/c" .. math.random(0, {counters - 1}) '
        '.. "/increment?amount=1")\n'
        "end\n"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument(
        "--configs", nargs="+", choices=list(CONFIGS), default=list(DEFAULT_CONFIGS),
        help="the servers to compare (default: without off on)",
    )  # fmt: skip
    parser.add_argument(
        "--profile", type=int, default=0, metavar="SECONDS",
        help="after the rounds, py-spy the `off` and `on` servers under wrk for SECONDS",
    )  # fmt: skip
    parser.add_argument(
        "--profile-out", help="keep py-spy's raw (collapsed) stacks in PROFILE_OUT.<config>"
    )
    parser.add_argument(
        "--app", choices=("memory", "sqlite", "postgres"), default="memory",
        help="the counter on MemoryRepo (default), or stored in SQLite or PostgreSQL "
        "(sql_counter.py; PostgreSQL: a cluster of its own, started for the run)",
    )  # fmt: skip
    parser.add_argument(
        "--counters", type=int, default=0, metavar="N",
        help="spread the load over N counters (each request increments one of c0..cN-1 "
        "at random) instead of all on `main`",
    )  # fmt: skip
    parser.add_argument(
        "--pin", action=argparse.BooleanOptionalAction, default=None,
        help="servers on the last CPU, wrk and the sink on the others (default where "
        "there are two CPUs or more, except with --app postgres: its server processes "
        "would share wrk's CPU)",
    )  # fmt: skip
    parser.add_argument(
        "--fresh", action=argparse.BooleanOptionalAction, default=True,
        help="new server processes for each round (default): a process's memory layout "
        "(hash seeds, addresses) moves its speed by a few %%, the same way all run long",
    )  # fmt: skip
    parser.add_argument("--sink", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.sink:
        run_sink(args.sink)
        return
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install -y wrk")
    args.configs = tuple(dict.fromkeys(args.configs))
    if args.pin is None:
        args.pin = (os.cpu_count() or 1) > 1 and args.app != "postgres"
    if args.pin:
        os.sched_setaffinity(0, set(range(os.cpu_count() - 1)))
    print(tree_state())
    print(
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.machine()}, {os.cpu_count()} CPUs, "
        f"load {os.getloadavg()[0]:.2f}, CPython {platform.python_version()}, nitro-core "
        f"{version('nitro-core')}, fastapi {version('fastapi')}, uvicorn "
        f"{version('uvicorn')}, opentelemetry-sdk {version('opentelemetry-sdk')}, "
        f"prometheus-client {version('prometheus-client')}; wrk -t1 -c{args.connections} "
        f"-d{args.seconds}s, {args.rounds} rounds, order rotated, app: {args.app}"
        + (f", {args.counters} counters" if args.counters else ""),
        flush=True,
    )
    for config in args.configs:
        print(f"  {config}: {CONFIGS[config][0]}")
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        script = tmp / "post.lua"
        script.write_text(post_script(args.counters))
        result = bench(args, script, tmp)
        runs = result["runs"]
        print(
            f"\n{'config':<14}{'req/s':>9}{'p99 ms':>9}{'CPU us/req':>12}{'of it sys':>11}"
            f"{'threads':>9}{'errors':>8}  req/s per round"
        )
        for config in args.configs:
            rps = statistics.median(r.rps for r in runs[config])
            p99 = statistics.median(r.p99_ms for r in runs[config])
            cpu = statistics.median(r.cpu_us for r in runs[config])
            sys_us = statistics.median(r.sys_us for r in runs[config])  # type: ignore[attr-defined]
            threads = statistics.median(r.threads_us for r in runs[config])  # type: ignore[attr-defined]
            errors = sum(r.errors for r in runs[config])
            rounds = " ".join(f"{r.rps:.0f}" for r in runs[config])
            print(
                f"{config:<14}{rps:>9.0f}{p99:>9.2f}{cpu:>12.1f}{sys_us:>11.1f}{threads:>9.1f}{errors:>8}"
                f"  {rounds}"
            )
        pairs = [("off", "without", None)] + [
            (config, "off", 0.9) for config in args.configs if config not in DEFAULT_CONFIGS[:2]
        ]
        for top, bottom, target in pairs:
            if top not in runs or bottom not in runs:
                continue
            ratios = [a.rps / b.rps for a, b in zip(runs[top], runs[bottom], strict=True)]
            ratio = statistics.median(ratios)
            cpu = statistics.median(
                a.cpu_us / b.cpu_us for a, b in zip(runs[top], runs[bottom], strict=True)
            )
            if target is None:
                verdict = "target: no measurable difference"
            else:
                verdict = f"target >= {target:.2f}: {'pass' if ratio >= target else 'MISSED'}"
            print(
                f"req/s {top}/{bottom} = {ratio:.3f} ({verdict}); per round "
                + " ".join(f"{r:.3f}" for r in ratios)
                + f"; CPU per request {top}/{bottom} = {cpu:.3f}"
            )
        print()
        failures = check(result)
    print(f"load average at the end: {os.getloadavg()[0]:.2f}")
    if failures:
        raise SystemExit("NOT VERIFIED: " + "; ".join(failures))


if __name__ == "__main__":
    main()
