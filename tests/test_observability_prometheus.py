"""A real Prometheus server (Debian's ``prometheus``) scrapes the observability example
(``examples/observability/app.py``) served by uvicorn with two workers in Prometheus's
multiprocess mode; after a scripted set of requests, its HTTP API reports the exact
counts by status, consistent histogram buckets and the SQL repository's timings.

A second test serves ``/metrics`` behind ``NITRO_METRICS_TOKEN``: a scrape without the
token gets 401, and Prometheus with ``authorization: {credentials: ...}`` gets the
metrics.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from nitro_examples import CLEARED_ENV, EXAMPLES
from nitro_test_services import free_port, missing_service, wait_for_port

pytestmark = [pytest.mark.slow, pytest.mark.timeout(180)]

APP = EXAMPLES / "observability" / "app.py"
#: Settings of the developer's shell that would change what the app serves.
APP_ENV_CLEARED = (
    *CLEARED_ENV,
    "NITRO_OBSERVABILITY",
    "NITRO_METRICS_PATH",
    "NITRO_METRICS_TOKEN",
    "NITRO_PLUGINS",
    "PROMETHEUS_MULTIPROC_DIR",
)
#: The example's latency buckets (nitro.observability.metrics.LATENCY_BUCKETS) and +Inf.
BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)
SCRAPE_WAIT = 30.0

ORDERS, THREADS = 12, 6


# -- processes ------------------------------------------------------------------------------


def stop_group(process: subprocess.Popen[bytes]) -> None:
    """Stop *process* (started in a session of its own) and, if it does not stop in
    time, everything in its process group (uvicorn's workers)."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
            return
        except subprocess.TimeoutExpired:
            pass
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


@contextlib.contextmanager
def started(
    command: list[str], port: int, log: Path, cwd: Path, env: Mapping[str, str] | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("wb") as output:
        process = subprocess.Popen(
            command,
            cwd=cwd,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            try:
                wait_for_port(port, process, timeout=30)
            except (RuntimeError, TimeoutError) as exc:
                message = f"{command[:2]} did not start: {exc}\n{log.read_text()}"
                raise AssertionError(message) from exc
            yield process
        finally:
            stop_group(process)


@contextlib.contextmanager
def serve_app(tmp_path: Path, extra_env: Mapping[str, str], workers: int = 2) -> Iterator[str]:
    """The example under uvicorn with *workers* processes; yields its base URL."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in APP_ENV_CLEARED}
    env["NITRO_DATABASE_URL"] = f"sqlite:///{tmp_path / 'orders.db'}"
    env.update(extra_env)
    command = [sys.executable, str(APP), "--port", str(port), "--workers", str(workers)]
    with started(command, port, tmp_path / "app.log", tmp_path, env):
        yield f"http://127.0.0.1:{port}"


@dataclass
class Prometheus:
    url: str
    log: Path

    def query(self, promql: str) -> list[dict[str, Any]]:
        answer = httpx.get(f"{self.url}/api/v1/query", params={"query": promql}, timeout=10)
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert body["status"] == "success", body
        result: list[dict[str, Any]] = body["data"]["result"]
        return result

    def values(self, promql: str, by: str) -> dict[str, float]:
        """``{label value: sample value}`` of a query that keeps only the label *by*."""
        return {s["metric"].get(by, ""): float(s["value"][1]) for s in self.query(promql)}

    def wait_for(self, what: str, check: Callable[[], Any]) -> Any:
        """Poll *check* until it returns something true (scrapes run every second)."""
        deadline = time.monotonic() + SCRAPE_WAIT
        last: Any = None
        while time.monotonic() < deadline:
            last = check()
            if last:
                return last
            time.sleep(0.25)
        targets = httpx.get(f"{self.url}/api/v1/targets", timeout=10).json()
        raise AssertionError(
            f"Prometheus did not show {what} within {SCRAPE_WAIT:.0f}s; last: {last!r}\n"
            f"targets: {json.dumps(targets['data']['activeTargets'], indent=1)}\n"
            f"{self.log.read_text()[-3000:]}"
        )


@pytest.fixture
def prometheus_bin() -> str:
    """The ``prometheus`` binary (Debian's package); a failure under CI without it."""
    binary = shutil.which("prometheus")
    if binary is None:
        missing_service("prometheus", "apt-get install prometheus")
    assert binary is not None
    return binary


@contextlib.contextmanager
def prometheus(binary: str, tmp_path: Path, jobs: list[dict[str, Any]]) -> Iterator[Prometheus]:
    """A real Prometheus scraping *jobs* (scrape_configs entries) every second."""
    directory = tmp_path / "prometheus"
    directory.mkdir()
    config = directory / "prometheus.yml"
    # JSON is YAML: the configuration is written with json.dumps, no YAML library needed.
    settings = {
        "global": {"scrape_interval": "1s", "scrape_timeout": "1s", "evaluation_interval": "1s"},
        "scrape_configs": jobs,
    }
    config.write_text(json.dumps(settings, indent=1))
    port = free_port()
    command = [
        binary,
        f"--config.file={config}",
        f"--storage.tsdb.path={directory / 'data'}",
        f"--web.listen-address=127.0.0.1:{port}",
        "--log.level=warn",
    ]
    log = directory / "prometheus.log"
    with started(command, port, log, directory):
        url = f"http://127.0.0.1:{port}"
        server = Prometheus(url, log)
        server.wait_for("readiness", lambda: httpx.get(f"{url}/-/ready", timeout=5).is_success)
        yield server


def scrape_job(name: str, base_url: str, **options: Any) -> dict[str, Any]:
    return {
        "job_name": name,
        "metrics_path": "/metrics",
        "static_configs": [{"targets": [base_url.removeprefix("http://")]}],
        **options,
    }


# -- the scripted requests ----------------------------------------------------------------


def post(base_url: str, path: str, body: dict[str, Any] | None = None) -> httpx.Response:
    # A connection per request, so that either worker may accept it.
    return httpx.post(f"{base_url}{path}", json=body or {}, timeout=20)


def one_order(base_url: str, n: int) -> list[tuple[str, int]]:
    """Open an order and run it through every outcome; ``[(action, status)]``."""
    opened = post(base_url, "/order/open")
    assert opened.status_code == 200, opened.text
    order = f"/order/{opened.json()['result']}"
    missing = f"/order/missing{n}"
    answers = [("Order.open", opened.status_code)]
    for action, path, body in (
        ("Order.add_item", f"{order}/add_item", {"qty": 2}),  # 200
        ("Order.add_item", f"{order}/add_item", {"qty": 0}),  # 422: qty > 0
        ("Order.add_item", f"{order}/add_item", {"qty": 101}),  # 422: qty <= 100
        ("Order.pay", f"{order}/pay", None),  # 200
        ("Order.pay", f"{order}/pay", None),  # 409: paid already
        ("Order.add_item", f"{order}/add_item", {"qty": 1}),  # 409: paid
        ("Order.pay", f"{missing}/pay", None),  # 404
        ("Order.add_item", f"{missing}/add_item", {"qty": 1}),  # 404
    ):
        answers.append((action, post(base_url, path, body).status_code))
    return answers


EXPECTED = {
    "Order.open": {"200": ORDERS},
    "Order.add_item": {"200": ORDERS, "422": 2 * ORDERS, "409": ORDERS, "404": ORDERS},
    "Order.pay": {"200": ORDERS, "409": ORDERS, "404": ORDERS},
}
TOTAL = sum(sum(by_status.values()) for by_status in EXPECTED.values())
#: Every successful action changed its order, which is saved once.
SAVES = ORDERS * 3


def per_worker_requests(multiproc_dir: Path, tmp_path: Path) -> dict[str, float]:
    """``{worker pid: requests it counted}``, from each worker's own file."""
    from prometheus_client import CollectorRegistry, multiprocess

    counts = {}
    for file in sorted(multiproc_dir.glob("counter_*.db")):
        alone = tmp_path / f"alone-{file.stem}"
        alone.mkdir()
        shutil.copy(file, alone / file.name)
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry, path=str(alone))
        total = sum(
            sample.value
            for metric in registry.collect()
            if metric.name == "nitro_requests"
            for sample in metric.samples
            if sample.name == "nitro_requests_total"
        )
        counts[file.stem.removeprefix("counter_")] = total
    return counts


# -- the tests ----------------------------------------------------------------------------


def test_prometheus_scrapes_exact_counts_from_two_workers(
    prometheus_bin: str, tmp_path: Path
) -> None:
    multiproc_dir = tmp_path / "multiproc"
    multiproc_dir.mkdir()
    env = {"NITRO_OBSERVABILITY": "metrics", "PROMETHEUS_MULTIPROC_DIR": str(multiproc_dir)}
    with (
        serve_app(tmp_path, env) as base_url,
        prometheus(prometheus_bin, tmp_path, [scrape_job("nitro", base_url)]) as prom,
    ):
        prom.wait_for(
            "the app as up", lambda: prom.values('up{job="nitro"}', "job") == {"nitro": 1}
        )

        with ThreadPoolExecutor(THREADS) as pool:
            scripts = pool.map(one_order, [base_url] * ORDERS, range(ORDERS))
            answers = [answer for script in scripts for answer in script]
        sent: dict[str, dict[str, int]] = {}
        for action, status in answers:
            by_status = sent.setdefault(action, {})
            by_status[str(status)] = by_status.get(str(status), 0) + 1
        assert sent == EXPECTED  # what the clients got, before asking Prometheus

        prom.wait_for(
            f"{TOTAL} requests",
            lambda: prom.values("sum(nitro_requests_total)", "") == {"": TOTAL},
        )

        for action, by_status in EXPECTED.items():
            counted = prom.values(
                f'sum by (status) (nitro_requests_total{{action="{action}",method="POST"}})',
                "status",
            )
            assert counted == by_status, action

        # The latency histogram: one observation per request, in every action's +Inf
        # bucket and _count, and cumulative buckets that never decrease.
        infinite = prom.values(
            'sum by (action) (nitro_request_duration_seconds_bucket{le="+Inf"})', "action"
        )
        assert infinite == {action: sum(s.values()) for action, s in EXPECTED.items()}
        assert prom.values("sum(nitro_request_duration_seconds_count)", "") == {"": TOTAL}
        for action in EXPECTED:
            buckets = prom.values(
                f'sum by (le) (nitro_request_duration_seconds_bucket{{action="{action}"}})', "le"
            )
            assert sorted(float(le) for le in buckets) == [*BUCKETS, math.inf], action
            counts = [count for _le, count in sorted(buckets.items(), key=lambda b: float(b[0]))]
            assert counts == sorted(counts), (action, buckets)
            assert counts[-1] == sum(EXPECTED[action].values())
            assert counts[-2] > 0, f"{action}: every request took more than 10 s? {buckets}"
        seconds = prom.values("sum(nitro_request_duration_seconds_sum)", "")[""]
        assert 0 < seconds < TOTAL * 10

        # The SQL backend's repository calls.
        repository = prom.values(
            "sum by (operation) "
            '(nitro_repository_duration_seconds_count{backend="SQLModelBackend"})',
            "operation",
        )
        assert repository.get("save") == SAVES, repository
        assert repository.get("get", 0) > 0, repository
        saves = prom.values(
            "sum by (le) (nitro_repository_duration_seconds_bucket"
            '{backend="SQLModelBackend",operation="save"})',
            "le",
        )
        counts = [count for _le, count in sorted(saves.items(), key=lambda b: float(b[0]))]
        assert counts == sorted(counts)
        assert counts[-1] == SAVES

        # Units of work: one committed per successful action; each action that raised
        # (the 409s) rolled its unit back.
        units = prom.values("sum by (outcome) (nitro_unit_of_work_total)", "outcome")
        assert units.get("commit") == SAVES, units
        assert units.get("rollback", 0) >= 2 * ORDERS, units

    # Multiprocess mode was really at work: both workers answered some of the requests,
    # and their files add up to what Prometheus saw.
    workers = per_worker_requests(multiproc_dir, tmp_path)
    print(f"requests counted per worker process: {workers}")
    answered = {pid: n for pid, n in workers.items() if n}
    assert len(answered) == 2, f"requests counted per worker process: {workers}"
    assert sum(workers.values()) == TOTAL


def test_metrics_token_keeps_scrapes_without_it_out(prometheus_bin: str, tmp_path: Path) -> None:
    token = "s3cret-scrape-token"
    env = {"NITRO_OBSERVABILITY": "metrics", "NITRO_METRICS_TOKEN": token}
    with serve_app(tmp_path, env, workers=1) as base_url:
        refused = httpx.get(f"{base_url}/metrics", timeout=10)
        assert refused.status_code == 401
        assert "nitro_" not in refused.text
        assert refused.headers["www-authenticate"] == "Bearer"
        wrong = httpx.get(f"{base_url}/metrics", headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401
        assert post(base_url, "/order/open").status_code == 200
        allowed = httpx.get(f"{base_url}/metrics", headers={"Authorization": f"Bearer {token}"})
        assert allowed.status_code == 200
        assert 'nitro_requests_total{action="Order.open",method="POST",status="200"} 1.0' in (
            allowed.text
        )

        jobs = [
            scrape_job("with_token", base_url, authorization={"credentials": token}),
            scrape_job("without_token", base_url),
        ]
        with prometheus(prometheus_bin, tmp_path, jobs) as prom:
            prom.wait_for(
                "one target up and the other down",
                lambda: prom.values("up", "job") == {"with_token": 1, "without_token": 0},
            )
            counted = prom.wait_for(
                "the request counted",
                lambda: prom.values("sum by (job) (nitro_requests_total)", "job"),
            )
            assert counted == {"with_token": 1}
            targets = httpx.get(f"{prom.url}/api/v1/targets", timeout=10).json()
            errors = {t["labels"]["job"]: t["lastError"] for t in targets["data"]["activeTargets"]}
            assert "401" in errors["without_token"], errors
            assert errors["with_token"] == ""
