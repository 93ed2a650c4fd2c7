"""``nitro test [PYTEST ARGS...]``: the project's tests, with the services they need.

The project names its services in ``pyproject.toml``::

    [tool.nitro]
    services = ["postgres"]  # or ["redis"], or both, or []

For each one that is not already given in the environment, a throwaway server is
started (:mod:`nitro.testing.services`) and its URL handed to the tests:

========== =========================== ====================================================
service    variable                    value
========== =========================== ====================================================
postgres   ``NITRO_TEST_DATABASE_URL`` ``postgresql+psycopg://nitro@127.0.0.1:PORT/nitro_test``
redis      ``NITRO_TEST_REDIS_URL``    ``redis://127.0.0.1:PORT/0``
========== =========================== ====================================================

Then ``python -m pytest ARGS`` runs with the same interpreter, and the servers are
stopped and their files removed whatever happens: the tests pass or fail, Ctrl-C,
SIGTERM. The exit status is pytest's; 2 for a bad ``[tool.nitro]``; 1 (with one line
saying why) when a service cannot start.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import tomllib
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from types import FrameType

from nitro.testing.services import PostgresCluster, ServiceUnavailable, start_redis

__all__ = ["SERVICES", "ConfigError", "read_services", "run_tests"]

#: Each service ``[tool.nitro] services`` may name, and the variable carrying its URL.
SERVICES = {"postgres": "NITRO_TEST_DATABASE_URL", "redis": "NITRO_TEST_REDIS_URL"}
#: Seconds pytest gets to finish on its own after a Ctrl-C before it is terminated.
_GRACE = 10.0


class ConfigError(ValueError):
    """``[tool.nitro]`` in pyproject.toml is not what ``nitro test`` understands."""


def read_services(pyproject: Path) -> list[str]:
    """The services *pyproject* asks for, in order, without repeats; none without the
    file, the table or the key."""
    if not pyproject.is_file():
        return []
    try:
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{pyproject.name} is not valid TOML: {error}") from error
    table = data.get("tool", {}).get("nitro", {})
    services = table.get("services", []) if isinstance(table, dict) else []
    if not isinstance(services, list) or not all(isinstance(s, str) for s in services):
        raise ConfigError(
            f"[tool.nitro] services in {pyproject.name} must be a list of names "
            f"({', '.join(SERVICES)}), got {services!r}"
        )
    for name in services:
        if name not in SERVICES:
            raise ConfigError(
                f"unknown service {name!r} in [tool.nitro] services of {pyproject.name} "
                f"(known: {', '.join(SERVICES)})"
            )
    return list(dict.fromkeys(services))


def _start_postgres(stack: contextlib.ExitStack) -> str:
    cluster = PostgresCluster.create()
    stack.callback(cluster.remove)
    print(f"PostgreSQL {cluster.version} on 127.0.0.1:{cluster.port} (temporary)", flush=True)
    return cluster.server.url


def _start_redis(stack: contextlib.ExitStack) -> str:
    directory = Path(tempfile.mkdtemp(prefix="nitro-redis-"))
    stack.callback(shutil.rmtree, directory, ignore_errors=True)
    server = start_redis(directory)
    stack.callback(server.stop)
    print(f"Redis {server.version} on 127.0.0.1:{server.port} (temporary)", flush=True)
    return server.url


_STARTERS: dict[str, Callable[[contextlib.ExitStack], str]] = {
    "postgres": _start_postgres,
    "redis": _start_redis,
}


@contextlib.contextmanager
def _sigterm_as_exit() -> Iterator[None]:
    """Turn SIGTERM into ``SystemExit(143)`` while the services run, so that the
    ``finally`` blocks stopping them run too (by default SIGTERM ends the process
    on the spot and would leave the servers behind)."""
    if threading.current_thread() is not threading.main_thread():
        yield  # only the main thread may set signal handlers
        return

    def _exit(signum: int, _frame: FrameType | None) -> None:
        raise SystemExit(128 + signum)

    previous = signal.signal(signal.SIGTERM, _exit)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _run_pytest(args: Sequence[str], env: dict[str, str], cwd: Path) -> int:
    process = subprocess.Popen([sys.executable, "-m", "pytest", *args], env=env, cwd=cwd)
    try:
        code = process.wait()
    except KeyboardInterrupt:
        # The terminal sent SIGINT to pytest too: let it report and finish its teardown.
        try:
            code = process.wait(timeout=_GRACE)
        except subprocess.TimeoutExpired:
            _stop(process)
            raise KeyboardInterrupt from None
        # A second Ctrl-C while waiting propagates, and the services still stop.
    except BaseException:  # SIGTERM (SystemExit): pass it on, then let the services stop
        _stop(process)
        raise
    return 128 - code if code < 0 else code  # killed by a signal: the shell's 128+N


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=_GRACE)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def run_tests(pytest_args: Sequence[str], cwd: Path | None = None) -> int:
    """Start what ``cwd/pyproject.toml`` asks for, run pytest with *pytest_args*,
    stop everything; return the exit status (see the module docs)."""
    cwd = Path.cwd() if cwd is None else cwd
    try:
        services = read_services(cwd / "pyproject.toml")
    except ConfigError as error:
        print(f"nitro test: {error}", file=sys.stderr)
        return 2
    env = dict(os.environ)
    try:
        with _sigterm_as_exit(), contextlib.ExitStack() as stack:
            for name in services:
                variable = SERVICES[name]
                if env.get(variable):
                    print(f"{name}: {variable} is set, using it", flush=True)
                    continue
                env[variable] = _STARTERS[name](stack)
            return _run_pytest(pytest_args, env, cwd)
    except ServiceUnavailable as error:
        print(f"nitro test: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("nitro test: interrupted", file=sys.stderr)
        return 130
