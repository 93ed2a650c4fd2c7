"""Real services for the test suite: a ``redis-server`` and a PostgreSQL cluster.

Loaded for every test in the workspace by the root ``conftest.py``. Each fixture starts
its server on a free loopback port inside a temporary directory once per session and
stops it afterwards, so tests talk to the real thing and never to a shared, long-lived
server.

``NITRO_TEST_REDIS_URL`` / ``NITRO_TEST_POSTGRES_URL`` point the fixtures at servers
that already run (GitHub Actions service containers) instead of starting their own.

When a binary is missing the fixture fails loudly under CI (``CI`` set in the
environment) and skips elsewhere, with the reason and the install command printed, so
that a developer without PostgreSQL can still run the rest of the suite.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from nitro.testing import services
from nitro.testing.services import (
    PG_BIN_CANDIDATES,
    START_TIMEOUT,
    PostgresServer,
    RedisServer,
    ServiceNotInstalled,
    as_postgres_user,
    find_pg_bin,
    free_port,
    stop_process,
    wait_for_port,
)

# The service code is nitro.testing.services (nitro test uses it too); these names are
# re-exported because the workspace's tests import them from here.
__all__ = [
    "CHROMIUM_ARGS",
    "PG_BIN_CANDIDATES",
    "START_TIMEOUT",
    "PostgresCluster",
    "PostgresServer",
    "RedisServer",
    "as_postgres_user",
    "find_chromium",
    "find_pg_bin",
    "free_port",
    "in_ci",
    "missing_service",
    "start_redis",
    "stop_process",
    "wait_for",
    "wait_for_port",
]


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() not in ("", "0", "false", "no")


def missing_service(what: str, install_hint: str) -> None:
    """Fail under CI, skip (with the reason) elsewhere."""
    message = f"{what} is not available; install it with: {install_hint}"
    if in_ci():
        pytest.fail(f"{message} (CI is set, so this is a failure, not a skip)", pytrace=False)
    print(f"\nSKIP: {message}")
    pytest.skip(message)


def wait_for(check: Callable[[], Any], timeout: float = 30.0, what: str = "") -> Any:
    """Poll *check* every 0.1 s until it returns something true; return that."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout} s waiting for {what or check}")


#: Every redis-server started this session, restarts included, so none outlives it.
_redis_processes: list[subprocess.Popen[bytes]] = []


def start_redis(directory: Path, port: int) -> RedisServer:
    """:func:`nitro.testing.services.start_redis`, remembered so that the session's
    end stops it even when the test that started it did not."""
    server = services.start_redis(directory, port)
    assert server.process is not None
    _redis_processes.append(server.process)
    return server


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    """A real redis-server on a free port, for the whole session."""
    external = os.environ.get("NITRO_TEST_REDIS_URL")
    if external:
        parsed = urlsplit(external)
        db = int(parsed.path.strip("/") or 0)
        yield RedisServer(parsed.hostname or "127.0.0.1", parsed.port or 6379, None, None, db)
        return
    if services.find_redis_server() is None:
        missing_service("redis-server", "apt-get install redis-server")
    with tempfile.TemporaryDirectory(prefix="nitro-redis-") as tmp:
        server = start_redis(Path(tmp), free_port())
        try:
            yield server
        finally:
            for process in _redis_processes:
                stop_process(process)


@pytest.fixture
def redis_url(redis_server: RedisServer) -> Iterator[str]:
    """The URL of the session's Redis, flushed after each test that uses it."""
    yield redis_server.url
    redis_server.flush()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A real PostgreSQL cluster, created with initdb in a temp dir, on a free port."""
    external = os.environ.get("NITRO_TEST_POSTGRES_URL")
    if external:
        parsed = urlsplit(external)
        yield PostgresServer(
            parsed.hostname or "127.0.0.1",
            parsed.port or 5432,
            parsed.username or "postgres",
            parsed.path.strip("/"),
        )
        return
    cluster = PostgresCluster.create()
    if cluster is None:
        return
    try:
        yield cluster.server
    finally:
        cluster.remove()


class PostgresCluster(services.PostgresCluster):
    """:class:`nitro.testing.services.PostgresCluster`, whose :meth:`create` reports
    missing binaries the test suite's way (:func:`missing_service`)."""

    @classmethod
    def create(cls) -> PostgresCluster | None:  # type: ignore[override]
        """A started cluster with a ``nitro_test`` database; ``None`` (after the
        missing-service report) without PostgreSQL's binaries."""
        try:
            return super().create()  # type: ignore[return-value]
        except ServiceNotInstalled as missing:
            missing_service(missing.what, missing.install)
            return None


#: Flags that keep Chromium quiet on a machine with no network but loopback.
CHROMIUM_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


def find_chromium() -> str | None:
    override = os.environ.get("NITRO_CHROMIUM")
    if override:
        return override
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Run browser tests last.

    Playwright's sync API keeps an asyncio loop marked as running in the main thread
    while a browser is open; async tests that ran after it would find that loop and
    fail. Keeping browser tests at the end (and the browser per module) avoids it.
    """
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    """A headless Chromium (the system's, driven by Playwright), for one test module.

    Tests take a fresh page with ``chromium.new_page()`` and close it when done. Module
    scope, not session: see :func:`pytest_collection_modifyitems`.
    """
    executable = find_chromium()
    if executable is None:
        missing_service("Chromium", "apt-get install chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable, headless=True, args=list(CHROMIUM_ARGS)
        )
        try:
            yield browser
        finally:
            browser.close()
