"""Throwaway servers for tests: a ``redis-server`` and a PostgreSQL cluster.

Tests that talk to the real thing catch what fakes hide (SQL dialects, Redis scripts,
reconnects), but a shared, long-lived server makes runs depend on each other. So each
server here is started on a free loopback port, with its files in a temporary
directory, and removed afterwards. ``nitro test`` starts them for a project's tests;
Nitro's own test suite starts them from its pytest fixtures. Nothing here imports
pytest, a Redis client or a database driver: servers are started with their own
binaries and probed with plain sockets.

A missing binary raises :class:`ServiceNotInstalled`, whose message says what to
install; a server that will not start raises :class:`ServiceUnavailable` with the
server's own last words.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = [
    "PG_BIN_CANDIDATES",
    "START_TIMEOUT",
    "PostgresCluster",
    "PostgresServer",
    "RedisServer",
    "ServiceNotInstalled",
    "ServiceUnavailable",
    "as_postgres_user",
    "find_pg_bin",
    "find_redis_server",
    "free_port",
    "start_redis",
    "stop_process",
    "wait_for_port",
]

#: Where Debian's postgresql package puts the server binaries; NITRO_PG_BIN overrides.
PG_BIN_CANDIDATES = (
    "/usr/lib/postgresql/17/bin",
    "/usr/lib/postgresql/16/bin",
    "/usr/lib/postgresql/15/bin",
)
#: Seconds a server gets to accept connections (initdb and a cold start included).
START_TIMEOUT = 30.0
HOST = "127.0.0.1"


class ServiceUnavailable(RuntimeError):
    """A server could not be started; the message says why, in one line."""


class ServiceNotInstalled(ServiceUnavailable):
    """A server's binary is missing: *what* is missing, *install* the command that
    installs it (kept apart so a test suite can turn them into a skip)."""

    def __init__(self, what: str, install: str) -> None:
        self.what = what
        self.install = install
        super().__init__(f"{what} is not available; install it with: {install}")


def free_port() -> int:
    """A TCP port nobody listens on now (the OS picks it, so parallel runs differ)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, process: subprocess.Popen[Any] | None, timeout: float) -> None:
    """Return once something accepts connections on ``127.0.0.1:port``.

    A server that daemonises (pg_ctl) is ready only when it listens, not when its
    starter returns. With *process*, its early exit fails at once (RuntimeError)
    instead of after *timeout* (TimeoutError).
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"server exited with code {process.returncode} before listening")
        with contextlib.suppress(OSError), socket.create_connection((HOST, port), 0.2):
            return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listened on {HOST}:{port} within {timeout:.0f}s")


def stop_process(process: subprocess.Popen[Any]) -> None:
    """SIGTERM, then SIGKILL after 10 s: a server gets the chance to shut down cleanly
    but can never hang the caller."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


# -- Redis ---------------------------------------------------------------------------


def find_redis_server() -> str | None:
    """The ``redis-server`` on PATH, if any."""
    return shutil.which("redis-server")


@dataclass(frozen=True)
class RedisServer:
    """A Redis to test against: one this module started (*process* and *directory*
    set) or one that already runs elsewhere (both ``None``)."""

    host: str
    port: int
    process: subprocess.Popen[bytes] | None
    directory: Path | None
    db: int = 0

    @property
    def url(self) -> str:
        return f"redis://{self.host}:{self.port}/{self.db}"

    @property
    def version(self) -> str:
        """The server's version (``7.0.15``), from ``redis-server --version``."""
        binary = find_redis_server()
        if binary is None:
            return "?"
        done = subprocess.run([binary, "--version"], capture_output=True, text=True, check=False)
        found = re.search(r"v=(\S+)", done.stdout)
        return found.group(1) if found else "?"

    def stop(self) -> None:
        """Stop a server this module started (one started elsewhere is left alone)."""
        if self.process is not None:
            stop_process(self.process)

    def restart(self, down_for: float = 0.0) -> RedisServer:
        """Stop the server and start a new one on the same port (for failure tests)."""
        if self.process is None or self.directory is None:
            raise ServiceUnavailable(f"cannot restart the Redis at {self.url}: not started here")
        stop_process(self.process)
        time.sleep(down_for)
        return start_redis(self.directory, self.port)

    def flush(self) -> None:
        """``FLUSHDB`` on this server's database, over a plain socket (no client
        library needed): what a test wrote is gone before the next one starts."""
        with socket.create_connection((self.host, self.port), 2) as sock:
            sock.sendall(f"SELECT {self.db}\r\nFLUSHDB\r\n".encode())
            replies = b""
            while replies.count(b"\r\n") < 2:
                chunk = sock.recv(64)
                if not chunk:
                    break
                replies += chunk
        if replies != b"+OK\r\n+OK\r\n":
            raise ServiceUnavailable(f"could not flush the Redis at {self.url}: {replies!r}")


def start_redis(directory: Path, port: int | None = None) -> RedisServer:
    """A ``redis-server`` listening on ``127.0.0.1:port`` (a free one by default),
    its files in *directory*, nothing persisted.

    It runs in a session of its own, so a Ctrl-C meant for the tests does not kill it
    before they have finished with it: the caller stops it (:meth:`RedisServer.stop`).
    """
    binary = find_redis_server()
    if binary is None:
        raise ServiceNotInstalled("redis-server", "apt-get install redis-server")
    port = free_port() if port is None else port
    process = subprocess.Popen(
        [
            binary,
            "--port", str(port),
            "--bind", HOST,
            "--dir", str(directory),
            "--save", "",
            "--appendonly", "no",
            "--protected-mode", "yes",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )  # fmt: skip
    try:
        wait_for_port(port, process, START_TIMEOUT)
    except (RuntimeError, TimeoutError) as error:
        stop_process(process)
        raise ServiceUnavailable(f"redis-server on port {port} did not start: {error}") from error
    except BaseException:
        stop_process(process)
        raise
    return RedisServer(HOST, port, process, directory)


# -- PostgreSQL ----------------------------------------------------------------------


@dataclass(frozen=True)
class PostgresServer:
    """Where a PostgreSQL database is, and its URLs."""

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
    """The directory holding ``initdb`` and ``pg_ctl``: ``$NITRO_PG_BIN``, else the
    newest of Debian's (they are not on PATH there)."""
    override = os.environ.get("NITRO_PG_BIN")
    candidates = [override] if override else list(PG_BIN_CANDIDATES)
    for candidate in candidates:
        if candidate and (Path(candidate) / "initdb").exists():
            return Path(candidate)
    return None


def as_postgres_user(command: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root; CI runs as root, so drop to ``postgres``
    (the user Debian's package creates)."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *command]
    return command


class PostgresCluster:
    """A PostgreSQL cluster of its own: initdb in a temporary directory, a server on a
    free port with fsync off (a throwaway database needs no durability) and its socket
    in that directory, and a ``nitro_test`` database owned by the user ``nitro``
    (trust authentication, loopback only). It can be stopped and started again
    (``tests/test_health.py`` does) and :meth:`remove` deletes every file."""

    def __init__(self, pg_bin: Path, tmp: Path, port: int, user: str) -> None:
        self.pg_bin, self.tmp, self.port, self.user = pg_bin, tmp, port, user
        self.data = tmp / "data"
        self.server = PostgresServer(HOST, port, user, "nitro_test")

    @classmethod
    def create(cls) -> PostgresCluster:
        """A started cluster with its ``nitro_test`` database.

        Raises :class:`ServiceNotInstalled` without the server binaries and
        :class:`ServiceUnavailable` when the cluster cannot be made or started (nothing
        is left behind then).
        """
        pg_bin = find_pg_bin()
        if pg_bin is None:
            where = os.environ.get("NITRO_PG_BIN") or ", ".join(PG_BIN_CANDIDATES)
            raise ServiceNotInstalled(
                f"PostgreSQL's initdb (looked for in {where})",
                "apt-get install postgresql, or set NITRO_PG_BIN to the directory holding it",
            )
        tmp = Path(tempfile.mkdtemp(prefix="nitro-pg-"))
        cluster = cls(pg_bin, tmp, free_port(), "nitro")
        try:
            (tmp / "sock").mkdir()
            if os.geteuid() == 0:
                cluster._give_to_postgres()
            cluster._run(
                str(pg_bin / "initdb"), "-D", str(cluster.data), "-A", "trust", "-U", "nitro"
            )
            cluster.start()
            createdb = [str(pg_bin / "createdb"), "-h", HOST, "-p", str(cluster.port)]
            cluster._run(*createdb, "-U", cluster.user, "nitro_test")
        except BaseException:
            cluster.remove()
            raise
        return cluster

    @property
    def version(self) -> str:
        """The major version (``15``), as initdb wrote it into the data directory."""
        try:
            return (self.data / "PG_VERSION").read_text().strip()
        except OSError:
            return "?"

    def _give_to_postgres(self) -> None:
        try:
            shutil.chown(self.tmp, "postgres")
            shutil.chown(self.tmp / "sock", "postgres")
        except LookupError as error:
            raise ServiceUnavailable(
                "PostgreSQL refuses to run as root and there is no 'postgres' user to run "
                "it as (apt-get install postgresql creates it)"
            ) from error

    def _run(self, *command: str, check: bool = True) -> None:
        """Run a PostgreSQL tool as the user that owns the cluster; a failure is a
        :class:`ServiceUnavailable` ending with the tool's last line of output."""
        try:
            done = subprocess.run(
                as_postgres_user(list(command)),
                capture_output=True,
                text=True,
                cwd=self.tmp,
                # pg_ctl's server inherits it: a Ctrl-C for the tests must not stop the
                # database under them; whoever created the cluster removes it.
                start_new_session=True,
                check=False,
            )
        except OSError as error:  # runuser missing, for one
            raise ServiceUnavailable(f"could not run {Path(command[0]).name}: {error}") from error
        if check and done.returncode != 0:
            output = (done.stderr.strip() or done.stdout.strip()).splitlines()
            last = output[-1] if output else f"exit status {done.returncode}"
            raise ServiceUnavailable(f"PostgreSQL: {Path(command[0]).name} failed: {last}")

    def start(self) -> None:
        options = f"-p {self.port} -k {self.tmp / 'sock'} -c listen_addresses={HOST} -c fsync=off"
        pg_ctl = str(self.pg_bin / "pg_ctl")
        log = str(self.tmp / "log")
        self._run(pg_ctl, "-D", str(self.data), "-o", options, "-l", log, "-w", "start")
        try:
            wait_for_port(self.port, None, START_TIMEOUT)
        except TimeoutError as error:
            raise ServiceUnavailable(f"PostgreSQL did not start: {error}") from error

    def stop(self) -> None:
        """A fast shutdown (open connections are closed), waiting until it is down."""
        if not (self.data / "postmaster.pid").exists():
            return  # never started, or already stopped
        pg_ctl = str(self.pg_bin / "pg_ctl")
        self._run(pg_ctl, "-D", str(self.data), "-m", "fast", "-w", "stop", check=False)

    def remove(self) -> None:
        """Stop the server and delete the cluster's files."""
        self.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)
