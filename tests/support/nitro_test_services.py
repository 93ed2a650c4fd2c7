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

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

#: Where Debian's postgresql package puts the server binaries; NITRO_PG_BIN overrides.
PG_BIN_CANDIDATES = (
    "/usr/lib/postgresql/17/bin",
    "/usr/lib/postgresql/16/bin",
    "/usr/lib/postgresql/15/bin",
)
START_TIMEOUT = 30.0


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() not in ("", "0", "false", "no")


def missing_service(what: str, install_hint: str) -> None:
    """Fail under CI, skip (with the reason) elsewhere."""
    message = f"{what} is not available; install it with: {install_hint}"
    if in_ci():
        pytest.fail(f"{message} (CI is set, so this is a failure, not a skip)", pytrace=False)
    print(f"\nSKIP: {message}")
    pytest.skip(message)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(check: Callable[[], Any], timeout: float = 30.0, what: str = "") -> Any:
    """Poll *check* every 0.1 s until it returns something true; return that."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout} s waiting for {what or check}")


def wait_for_port(port: int, process: subprocess.Popen[bytes] | None, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"server exited with code {process.returncode} before listening")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listened on 127.0.0.1:{port} within {timeout:.0f}s")


@dataclass(frozen=True)
class RedisServer:
    host: str
    port: int
    process: subprocess.Popen[bytes] | None
    directory: Path | None
    db: int = 0

    @property
    def url(self) -> str:
        return f"redis://{self.host}:{self.port}/{self.db}"

    def restart(self, down_for: float = 0.0) -> RedisServer:
        """Stop the server and start a new one on the same port (for failure tests)."""
        if self.process is None or self.directory is None:
            pytest.skip("cannot restart an external Redis (NITRO_TEST_REDIS_URL)")
        stop_process(self.process)
        time.sleep(down_for)
        return start_redis(self.directory, self.port)


#: Every redis-server started this session, restarts included, so none outlives it.
_redis_processes: list[subprocess.Popen[bytes]] = []


def start_redis(directory: Path, port: int) -> RedisServer:
    binary = shutil.which("redis-server")
    assert binary is not None
    process = subprocess.Popen(
        [
            binary,
            "--port", str(port),
            "--bind", "127.0.0.1",
            "--dir", str(directory),
            "--save", "",
            "--appendonly", "no",
            "--protected-mode", "yes",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    _redis_processes.append(process)
    try:
        wait_for_port(port, process, START_TIMEOUT)
    except Exception:
        stop_process(process)
        raise
    return RedisServer("127.0.0.1", port, process, directory)


def stop_process(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    """A real redis-server on a free port, for the whole session."""
    external = os.environ.get("NITRO_TEST_REDIS_URL")
    if external:
        parsed = urlsplit(external)
        db = int(parsed.path.strip("/") or 0)
        yield RedisServer(parsed.hostname or "127.0.0.1", parsed.port or 6379, None, None, db)
        return
    if shutil.which("redis-server") is None:
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
    with socket.create_connection((redis_server.host, redis_server.port), 2) as sock:
        sock.sendall(f"SELECT {redis_server.db}\r\nFLUSHDB\r\n".encode())
        replies = b""
        while replies.count(b"\r\n") < 2:
            chunk = sock.recv(64)
            if not chunk:
                break
            replies += chunk
        assert replies == b"+OK\r\n+OK\r\n", f"could not flush Redis: {replies!r}"


@dataclass(frozen=True)
class PostgresServer:
    host: str
    port: int
    user: str
    database: str

    @property
    def url(self) -> str:
        """A SQLAlchemy URL (psycopg 3 driver)."""
        return f"postgresql+psycopg://{self.user}@{self.host}:{self.port}/{self.database}"

    @property
    def dsn(self) -> str:
        return f"host={self.host} port={self.port} user={self.user} dbname={self.database}"


def find_pg_bin() -> Path | None:
    override = os.environ.get("NITRO_PG_BIN")
    candidates = [override] if override else list(PG_BIN_CANDIDATES)
    for candidate in candidates:
        if candidate and (Path(candidate) / "initdb").exists():
            return Path(candidate)
    return None


def as_postgres_user(command: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root; CI runs as root, so drop to ``postgres``."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *command]
    return command


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


class PostgresCluster:
    """A PostgreSQL cluster of its own (initdb in a temp dir, a free port), which a
    test may stop and start again (``tests/test_health.py``)."""

    def __init__(self, pg_bin: Path, tmp: Path, port: int, user: str) -> None:
        self.pg_bin, self.tmp, self.port, self.user = pg_bin, tmp, port, user
        self.data = tmp / "data"
        self.server = PostgresServer("127.0.0.1", port, user, "nitro_test")

    @classmethod
    def create(cls) -> PostgresCluster | None:
        """A started cluster with a ``nitro_test`` database; ``None`` (after the
        missing-service report) without PostgreSQL's binaries."""
        pg_bin = find_pg_bin()
        if pg_bin is None:
            missing_service("PostgreSQL server binaries (initdb)", "apt-get install postgresql")
            return None
        tmp = Path(tempfile.mkdtemp(prefix="nitro-pg-"))
        (tmp / "sock").mkdir()
        if os.geteuid() == 0:
            shutil.chown(tmp, "postgres")
            shutil.chown(tmp / "sock", "postgres")
        cluster = cls(pg_bin, tmp, free_port(), "nitro")
        cluster._run(str(pg_bin / "initdb"), "-D", str(cluster.data), "-A", "trust", "-U", "nitro")
        cluster.start()
        createdb = [str(pg_bin / "createdb"), "-h", "127.0.0.1", "-p", str(cluster.port)]
        cluster._run(*createdb, "-U", cluster.user, "nitro_test")
        return cluster

    def _run(self, *command: str, check: bool = True) -> None:
        subprocess.run(
            as_postgres_user(list(command)), check=check, capture_output=True, cwd=self.tmp
        )

    def start(self) -> None:
        options = (
            f"-p {self.port} -k {self.tmp / 'sock'} -c listen_addresses=127.0.0.1 -c fsync=off"
        )
        pg_ctl = str(self.pg_bin / "pg_ctl")
        self._run(
            pg_ctl, "-D", str(self.data), "-o", options, "-l", str(self.tmp / "log"), "-w", "start"
        )
        wait_for_port(self.port, None, START_TIMEOUT)

    def stop(self) -> None:
        pg_ctl = str(self.pg_bin / "pg_ctl")
        self._run(pg_ctl, "-D", str(self.data), "-m", "fast", "-w", "stop", check=False)

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)


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
