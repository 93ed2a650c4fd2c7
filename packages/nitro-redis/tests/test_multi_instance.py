"""Three uvicorn processes of ``multi_app.py`` and one redis-server, for real.

* a change made through C reaches the SSE streams on A, B and C exactly once;
* Redis restarted mid-test: no process dies, routes that do not need Redis keep
  answering, a write while Redis is down fails loudly, subscriptions come back and
  every stream is re-synced with state it never received through pub/sub;
* a write through A is never served stale by B or C once it has returned.
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
from nitro_test_services import RedisServer, free_port, start_redis, stop_process, wait_for_port

pytestmark = pytest.mark.redis

HERE = Path(__file__).resolve().parent


@dataclass
class Instance:
    name: str
    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def alive(self) -> bool:
        return self.process.poll() is None


@dataclass
class Cluster:
    redis: list[RedisServer]  # the current server is the last one
    instances: list[Instance]
    client: httpx.Client
    primary: Path  # the directory standing in for the database behind the cache

    @property
    def server(self) -> RedisServer:
        return self.redis[-1]


def start_instance(name: str, redis_url: str, primary_dir: Path, log: Path) -> Instance:
    port = free_port()
    env = {
        **os.environ,
        "NITRO_REDIS_URL": redis_url,
        "NITRO_TEST_PRIMARY_DIR": str(primary_dir),
        "NITRO_TEST_INSTANCE": name,
    }
    command = [
        sys.executable, "-m", "uvicorn", "multi_app:app", "--app-dir", str(HERE),
        "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning",
        "--no-access-log", "--timeout-graceful-shutdown", "1",
    ]  # fmt: skip
    with log.open("wb") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
    return Instance(name, f"http://127.0.0.1:{port}", process, log)


def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if condition():
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.02)
    raise AssertionError(f"timed out after {timeout}s waiting until {what}")


@pytest.fixture(scope="module")
def cluster(
    redis_server: RedisServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Cluster]:
    # Its own redis-server (the test restarts it); redis_server fails loudly under CI
    # when the binary is missing.
    tmp = tmp_path_factory.mktemp("multi")
    (tmp / "redis").mkdir()
    servers = [start_redis(tmp / "redis", free_port())]
    instances = [
        start_instance(name, servers[0].url, tmp / "primary", tmp / f"{name}.log")
        for name in ("A", "B", "C")
    ]
    client = httpx.Client(timeout=10)
    try:
        for instance in instances:
            port = int(instance.url.rsplit(":", 1)[1])
            wait_for_port(port, instance.process, 30)  # type: ignore[arg-type]
            wait_until(
                lambda i=instance: client.get(f"{i.url}/broadcaster").json()["connected"],
                10,
                f"{instance.name} subscribed to Redis",
            )
        yield Cluster(servers, instances, client, tmp / "primary")
    finally:
        client.close()
        for instance in instances:  # all at once: each takes a moment to shut down
            instance.process.terminate()
        for instance in instances:
            stop_process(instance.process)
        for server in servers:
            if server.process is not None:
                stop_process(server.process)
        for instance in instances:
            text = instance.log.read_text(errors="replace").strip()
            if text:
                print(f"--- log of instance {instance.name} ---\n{text}")


class LiveStream:
    """An SSE client on ``/_live/<entity>/<id>``; each signals patch lands in ``events``."""

    def __init__(self, url: str) -> None:
        self.events: queue.Queue[dict[str, Any]] = queue.Queue()
        self._client = httpx.Client(timeout=httpx.Timeout(10, read=None))
        self._response = self._client.send(self._client.build_request("GET", url), stream=True)
        assert self._response.status_code == 200, self._response.read()
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        try:
            for line in self._response.iter_lines():
                if line.startswith("data: signals "):
                    self.events.put(json.loads(line.removeprefix("data: signals ")))
                elif line.startswith("data: elements "):  # a live list's patch
                    self.events.put({"elements": line.removeprefix("data: elements ")})
        except (httpx.HTTPError, ValueError, RuntimeError):
            pass  # closed by the test

    def next(self, timeout: float = 10) -> dict[str, Any]:
        try:
            return self.events.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"no event within {timeout}s") from None

    def close(self) -> None:
        self._response.close()
        self._client.close()


@pytest.fixture
def streams() -> Iterator[Callable[[str], LiveStream]]:
    opened: list[LiveStream] = []

    def open_stream(url: str) -> LiveStream:
        opened.append(LiveStream(url))
        return opened[-1]

    yield open_stream
    for stream in opened:
        stream.close()


def counter(count: int, counter_id: str) -> dict[str, Any]:
    return {"Counter": {"id": counter_id, "count": count}}


def test_a_change_through_c_reaches_a_and_b_once(cluster: Cluster, streams) -> None:
    a, b, c = cluster.instances
    redis.Redis.from_url(cluster.server.url).set(
        "nitro:Counter:shared", json.dumps({"id": "shared", "count": 0})
    )
    redis.Redis.from_url(cluster.server.url).zadd("nitro:Counter", {"shared": float("inf")})
    on_a, on_b, on_c = (streams(f"{i.url}/_live/counter/shared") for i in (a, b, c))
    for stream in (on_a, on_b, on_c):
        assert stream.next() == counter(0, "shared")  # the current state, first
    response = cluster.client.post(f"{c.url}/counter/shared/increment")
    assert response.status_code == 200, response.text
    for stream in (on_a, on_b, on_c):
        assert stream.next() == counter(1, "shared")
    # A second change arrives next everywhere: the first was not delivered twice
    # (C drops its own echo from Redis; A and B got it once from Redis).
    cluster.client.post(f"{b.url}/counter/shared/increment", params={"amount": 10})
    for stream in (on_a, on_b, on_c):
        assert stream.next() == counter(11, "shared")
    for stream in (on_a, on_b, on_c):
        assert stream.events.empty()


#: A process that serves no pages (a script, a job worker) saving a Counter: its
#: changes reach the instances' pages through nitro.actions.publish_changes.
SCRIPT = """
import sys
from nitro import Entity
from nitro.actions import publish_changes
from nitro.redis import RedisBroadcaster, RedisRepo
from nitro.uow import MemoryUnitOfWork


class Counter(Entity):
    _persistence_backend_class = RedisRepo
    count: int = 0


broadcaster = RedisBroadcaster(sys.argv[1])
assert broadcaster.wait_connected(10)
publish_changes(broadcaster)
with MemoryUnitOfWork() as unit:
    Counter(id="scripted", count=99).save()
    unit.rollback()  # never published
Counter(id="scripted", count=7).save()
broadcaster.close()  # sends what is still queued
"""


def test_a_change_made_by_a_process_without_pages_reaches_every_instance(
    cluster: Cluster, streams
) -> None:
    store = redis.Redis.from_url(cluster.server.url)
    store.set("nitro:Counter:scripted", json.dumps({"id": "scripted", "count": 0}))
    store.zadd("nitro:Counter", {"scripted": float("inf")})
    opened = [streams(f"{i.url}/_live/counter/scripted") for i in cluster.instances]
    for stream in opened:
        assert stream.next() == counter(0, "scripted")  # the current state, first
    script = subprocess.run(
        [sys.executable, "-c", SCRIPT, cluster.server.url],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "NITRO_REDIS_URL": cluster.server.url},
    )
    assert script.returncode == 0, script.stderr
    for stream in opened:
        assert stream.next() == counter(7, "scripted")
        assert stream.events.empty()  # the rolled-back 99 was never sent


def test_redis_restart_mid_test(cluster: Cluster, streams) -> None:
    a, b, c = cluster.instances
    http = cluster.client
    counter_id = "restart"
    assert http.get(f"{a.url}/health").status_code == 200
    raw = redis.Redis.from_url(cluster.server.url)
    raw.set(f"nitro:Counter:{counter_id}", json.dumps({"id": counter_id, "count": 5}))
    raw.zadd("nitro:Counter", {counter_id: float("inf")})
    live = [streams(f"{i.url}/_live/counter/{counter_id}") for i in (a, b, c)]
    for stream in live:
        assert stream.next() == counter(5, counter_id)
    lists = [streams(f"{i.url}/_live/_list/counters") for i in (a, b, c)]
    for stream in lists:
        assert f">{counter_id}=5<" in stream.next()["elements"]
    before = {i.name: http.get(f"{i.url}/broadcaster").json()["connections"] for i in (a, b, c)}

    # A change the pages never hear about through pub/sub (written behind Nitro's
    # back), persisted so that the restarted Redis has it: only a re-sync shows it.
    raw.set(f"nitro:Counter:{counter_id}", json.dumps({"id": counter_id, "count": 42}))
    raw.save()
    raw.close()
    server = cluster.server
    assert server.process is not None
    stop_process(server.process)
    for instance in (a, b, c):
        wait_until(
            lambda i=instance: not http.get(f"{i.url}/broadcaster").json()["connected"],
            10,
            f"{instance.name} noticed that Redis is gone",
        )

    # Redis is down: routes that do not need it answer; a write fails loudly.
    for instance in (a, b, c):
        assert http.get(f"{instance.url}/health").status_code == 200
    started = time.monotonic()
    failed = http.post(f"{b.url}/counter/{counter_id}/increment")
    assert failed.status_code >= 500, failed.text
    assert "Redis" not in failed.text  # the client gets a safe message; the log has details
    assert time.monotonic() - started < 5
    assert all(i.alive() for i in (a, b, c))

    cluster.redis.append(start_redis(server.directory or Path(), server.port))

    # Every stream is re-synced with the state Redis holds now, lists included ...
    for stream in live:
        assert stream.next() == counter(42, counter_id)
    for stream in lists:
        assert f">{counter_id}=42<" in stream.next()["elements"]
    for instance in (a, b, c):
        wait_until(
            lambda i=instance: (
                http.get(f"{i.url}/broadcaster").json()["connections"] > before[i.name]
            ),
            10,
            f"{instance.name} subscribed again",
        )
    # ... the failed write was not applied behind anyone's back, and live updates flow.
    response = http.post(f"{c.url}/counter/{counter_id}/increment")
    assert response.status_code == 200, response.text
    assert response.json()["entity"]["count"] == 43
    for stream in live:
        assert stream.next() == counter(43, counter_id)
    for stream in lists:  # its sort value changed: the row is moved (removed, inserted)
        assert [stream.next()["elements"] for _ in range(2)][1].endswith(f">{counter_id}=43</div>")
    assert all(i.alive() for i in (a, b, c))


def test_a_write_through_a_is_never_served_stale_by_b_or_c(cluster: Cluster) -> None:
    a, b, c = cluster.instances
    http = cluster.client
    (cluster.primary / "Product").mkdir(parents=True, exist_ok=True)
    (cluster.primary / "Product" / "p1.json").write_text('{"id": "p1", "name": "pen"}')
    stop = threading.Event()
    errors: list[str] = []

    def hammer(instance: Instance) -> None:
        # Concurrent readers keep refilling the cache, racing every write.
        with httpx.Client(timeout=10) as own:
            while not stop.is_set():
                reply = own.get(f"{instance.url}/products/p1")
                if reply.status_code not in (200, 404):
                    errors.append(reply.text)

    readers = [threading.Thread(target=hammer, args=(i,)) for i in (b, c)]
    for reader in readers:
        reader.start()
    try:
        for price in range(1, 41):
            assert http.get(f"{b.url}/products/p1").json()["price"] == price - 1
            response = http.post(f"{a.url}/product/p1/set_price", params={"price": price})
            assert response.status_code == 200, response.text
            assert http.get(f"{b.url}/products/p1").json()["price"] == price
            assert http.get(f"{c.url}/products/p1").json()["price"] == price
    finally:
        stop.set()
        for reader in readers:
            reader.join(10)
    assert errors == []
