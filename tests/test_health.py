"""``nitro.health``: /healthz stays 200; /readyz turns 503 within its timeout when Redis
or PostgreSQL stops and 200 again when it is back, naming the check but no address.
Real servers: a redis-server and a PostgreSQL cluster of the test's own."""

from __future__ import annotations

import functools
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from nitro_servers import serve_asgi, serve_wsgi
from nitro_test_services import (
    PostgresCluster,
    RedisServer,
    free_port,
    missing_service,
    start_redis,
    stop_process,
)

from nitro import Entity
from nitro.health import Health
from nitro.persistence.registry import reset_repositories

TIMEOUT = 1.0


class Basket(Entity):
    items: int = 0


class Receipt(Entity):
    total: float = 0.0


def wait_for(client: httpx.Client, status: int, within: float) -> httpx.Response:
    deadline = time.monotonic() + within
    while True:
        answer = client.get("/readyz")
        if answer.status_code == status or time.monotonic() > deadline:
            return answer
        time.sleep(0.2)


@pytest.fixture
def redis_of_its_own(tmp_path: Path) -> Iterator[list[RedisServer]]:
    if shutil.which("redis-server") is None:
        missing_service("redis-server", "apt-get install redis-server")
    servers = [start_redis(tmp_path, free_port())]
    yield servers  # the test may replace it with a restarted one
    for server in servers:
        if server.process is not None:
            stop_process(server.process)


@pytest.fixture
def postgres_of_its_own() -> Iterator[PostgresCluster]:
    cluster = PostgresCluster.create()
    assert cluster is not None
    yield cluster
    cluster.remove()


@pytest.fixture
def backends(
    redis_of_its_own: list[RedisServer], postgres_of_its_own: PostgresCluster
) -> Iterator[None]:
    from nitro.redis import RedisRepo
    from nitro.sql import SQLModelBackend

    Basket._persistence_backend_class = functools.partial(  # type: ignore[attr-defined]
        RedisRepo, url=redis_of_its_own[0].url, timeout=0.5
    )
    Receipt._persistence_backend_class = functools.partial(  # type: ignore[attr-defined]
        SQLModelBackend, url=postgres_of_its_own.server.url
    )
    reset_repositories()
    yield
    del Basket._persistence_backend_class  # type: ignore[attr-defined]
    del Receipt._persistence_backend_class  # type: ignore[attr-defined]
    reset_repositories()


def fastapi_app(health: Health) -> Any:
    from fastapi import FastAPI

    from nitro.adapters.fastapi import mount

    app = FastAPI()
    mount(app, health)
    return app


def test_readyz_follows_redis_and_postgres_going_away_and_coming_back(
    backends: None, redis_of_its_own: list[RedisServer], postgres_of_its_own: PostgresCluster
) -> None:
    health = Health(Basket, Receipt, timeout=TIMEOUT)
    with serve_asgi(fastapi_app(health)) as url, httpx.Client(base_url=url, timeout=10) as c:
        ready = c.get("/readyz")
        assert ready.status_code == 200, ready.text
        assert ready.json()["status"] == "ready"
        assert set(ready.json()["checks"]) == {"Basket", "Receipt"}

        stop_process(redis_of_its_own[0].process)  # type: ignore[arg-type]
        started = time.monotonic()
        down = c.get("/readyz")
        assert time.monotonic() - started < TIMEOUT + 1.0  # within the timeout
        assert down.status_code == 503
        body = down.json()
        assert body["status"] == "not ready"
        assert body["checks"]["Basket"]["ok"] is False
        assert body["checks"]["Receipt"]["ok"] is True
        assert str(redis_of_its_own[0].port) not in down.text  # no address
        assert c.get("/healthz").status_code == 200  # alive all the same

        redis_of_its_own[0] = redis_of_its_own[0].restart()
        back = wait_for(c, 200, within=10)
        assert back.status_code == 200, back.text

        postgres_of_its_own.stop()
        down = wait_for(c, 503, within=TIMEOUT + 1.0)
        assert down.status_code == 503, down.text
        assert down.json()["checks"]["Receipt"]["ok"] is False
        assert str(postgres_of_its_own.port) not in down.text
        assert "postgresql" not in down.text
        assert c.get("/healthz").status_code == 200

        postgres_of_its_own.start()
        back = wait_for(c, 200, within=10)
        assert back.status_code == 200, back.text


def test_a_check_that_hangs_is_cut_at_the_timeout() -> None:
    def slow() -> None:
        time.sleep(5)

    def broken() -> None:
        raise OSError("connect to redis://:secret@db.internal:6379 failed")

    health = Health(checks={"slow": slow, "broken": broken, "fine": lambda: None}, timeout=0.3)
    with serve_asgi(fastapi_app(health)) as url, httpx.Client(base_url=url, timeout=10) as c:
        started = time.monotonic()
        answer = c.get("/readyz")
        assert time.monotonic() - started < 1.5
    assert answer.status_code == 503
    checks = answer.json()["checks"]
    assert checks["slow"] == {"ok": False, "error": "timed out after 0.3 s"}
    assert checks["broken"] == {"ok": False, "error": "OSError"}
    assert checks["fine"]["ok"] is True
    assert "secret" not in answer.text
    assert "db.internal" not in answer.text


@pytest.mark.parametrize("framework", ["flask", "fasthtml"])
def test_the_endpoints_on_the_other_frameworks(framework: str) -> None:
    make: Callable[[], Any]
    health = Health(Basket, checks={"fine": lambda: None}, prefix="/ops")
    if framework == "flask":
        from flask import Flask

        from nitro.adapters.flask import mount as flask_mount

        app = Flask(__name__)
        flask_mount(app, health)
        make = functools.partial(serve_wsgi, app)
    else:
        from fasthtml.common import FastHTML

        from nitro.adapters.fasthtml import mount as fasthtml_mount

        app = FastHTML()
        fasthtml_mount(app, health)
        make = functools.partial(serve_asgi, app)
    with make() as url, httpx.Client(base_url=url, timeout=10) as c:
        assert c.get("/ops/healthz").json() == {"status": "alive"}
        ready = c.get("/ops/readyz")
        assert ready.status_code == 200
        assert set(ready.json()["checks"]) == {"Basket", "fine"}  # memory: always there


def test_bad_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="timeout"):
        Health(timeout=0)
    with pytest.raises(TypeError, match="not callable"):
        Health(checks={"x": "redis://"})  # type: ignore[dict-item]


def test_a_cached_repository_is_ready_when_its_primary_store_is(redis_url: str) -> None:
    from nitro.persistence.memory import MemoryRepo
    from nitro.redis import CachedRepo, RedisRepo

    class Down(MemoryRepo[Any]):
        def ping(self) -> None:
            raise ConnectionError("primary down")

    cache = RedisRepo(Basket, url=redis_url, prefix="health-test")
    CachedRepo(MemoryRepo(Basket), cache=cache).ping()  # both up
    with pytest.raises(ConnectionError):
        CachedRepo(Down(Basket), cache=cache).ping()


@pytest.mark.parametrize("engine_name", ["celery", "dramatiq", "rq", "inprocess"])
def test_a_jobs_engine_is_a_readiness_check(
    engine_name: str, redis_of_its_own: list[RedisServer]
) -> None:
    from nitro.cqrs.jobs import configure_jobs
    from nitro.persistence import BackendUnavailable

    url = (
        "inprocess://" if engine_name == "inprocess" else f"{engine_name}+{redis_of_its_own[0].url}"
    )
    engine = configure_jobs(url)
    try:
        health = Health(checks={"jobs": engine.ping}, timeout=TIMEOUT)
        assert health.report()["jobs"]["ok"] is True
        if engine_name == "inprocess":
            return
        stop_process(redis_of_its_own[0].process)  # type: ignore[arg-type]
        with pytest.raises(BackendUnavailable):
            engine.ping()
        report = health.report()["jobs"]
        assert report["ok"] is False
        assert report["error"] in ("BackendUnavailable", f"timed out after {TIMEOUT:g} s")
    finally:
        engine.close()
