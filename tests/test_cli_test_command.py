"""``nitro test`` through the installed script: a new PostgreSQL or Redis project passes
its tests against servers the command starts, and no server outlives it (tests
passing, failing, or the command stopped by SIGTERM or a Ctrl-C). The arguments reach
pytest, its exit status is the command's, and a bad ``[tool.nitro]`` or a service that
cannot start is one line, not a traceback."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from nitro_test_services import missing_service

from nitro.testing.services import find_pg_bin, find_redis_server

NITRO = Path(sys.executable).with_name("nitro")
#: Neither the workspace's servers (CI may point at its own) nor a developer's own.
SERVICE_VARIABLES = ("NITRO_TEST_DATABASE_URL", "NITRO_TEST_REDIS_URL", "NITRO_PG_BIN")
STARTED = re.compile(r"^(PostgreSQL|Redis) \S+ on 127\.0\.0\.1:(\d+) \(temporary\)$", re.M)


def environment(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in SERVICE_VARIABLES}
    return {**env, **extra}


def nitro(cwd: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(NITRO), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        stdin=subprocess.DEVNULL,
        env=environment(**env),
    )


def new_project(where: Path, storage: str) -> Path:
    made = nitro(where, "init", "shop", "--framework", "fastapi", "--storage", storage)
    assert made.returncode == 0, made.stderr
    return where / "shop"


def nitro_test(project: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return nitro(project, "test", "-p", "no:cacheprovider", *args, **env)


def started_ports(output: str) -> dict[str, int]:
    return {name: int(port) for name, port in STARTED.findall(output)}


def listening(port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
        return True
    return False


def processes_naming(port: int) -> list[str]:
    """The command lines of live processes that name *port* (postgres -p PORT,
    redis-server 127.0.0.1:PORT)."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        with contextlib.suppress(OSError):
            words = cmdline.read_bytes().split(b"\0")
            if any(w == b"%d" % port or w.endswith(b":%d" % port) for w in words):
                found.append(" ".join(w.decode(errors="replace") for w in words))
    return found


def assert_all_stopped(ports: dict[str, int]) -> None:
    for name, port in ports.items():
        assert not listening(port), f"{name} still listens on {port}"
        assert processes_naming(port) == [], f"{name} left behind"


@pytest.fixture
def postgres_binaries() -> None:
    if find_pg_bin() is None:
        missing_service("PostgreSQL server binaries (initdb)", "apt-get install postgresql")


@pytest.fixture
def redis_binary() -> None:
    if find_redis_server() is None:
        missing_service("redis-server", "apt-get install redis-server")


@pytest.mark.postgres
@pytest.mark.usefixtures("postgres_binaries")
def test_a_postgres_project_passes_against_a_temporary_postgres(tmp_path: Path) -> None:
    project = new_project(tmp_path, "postgres")
    done = nitro_test(project, "-q")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "3 passed" in done.stdout
    ports = started_ports(done.stdout)
    assert list(ports) == ["PostgreSQL"], done.stdout
    assert_all_stopped(ports)

    # Without nitro test, the tests say how to run them instead of failing obscurely.
    plain = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=project,
        capture_output=True,
        text=True,
        env=environment(),
        timeout=120,
    )
    assert plain.returncode == 1
    assert "run the tests with `nitro test`" in plain.stdout + plain.stderr


@pytest.mark.redis
@pytest.mark.usefixtures("redis_binary")
def test_a_redis_project_passes_against_a_temporary_redis(tmp_path: Path) -> None:
    project = new_project(tmp_path, "redis")
    done = nitro_test(project, "-q")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "3 passed" in done.stdout
    ports = started_ports(done.stdout)
    assert list(ports) == ["Redis"], done.stdout
    assert_all_stopped(ports)


@pytest.mark.redis
@pytest.mark.usefixtures("redis_binary")
def test_a_failing_test_is_exit_1_and_the_server_still_stops(tmp_path: Path) -> None:
    project = new_project(tmp_path, "redis")
    (project / "tests" / "test_broken.py").write_text("def test_broken():\n    assert 1 == 2\n")
    done = nitro_test(project, "-q")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "1 failed, 3 passed" in done.stdout
    assert_all_stopped(started_ports(done.stdout))


def test_the_arguments_reach_pytest(tmp_path: Path) -> None:
    project = new_project(tmp_path, "memory")  # no services: only the pass-through
    done = nitro_test(project, "-q", "-k", "pin")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 passed, 2 deselected" in done.stdout
    assert started_ports(done.stdout) == {}
    nothing = nitro_test(project, "-q", "-k", "no_such_test")
    assert nothing.returncode == 5  # pytest's "no tests collected", passed on


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ('services = ["postgres", "mongo"]', "unknown service 'mongo' in [tool.nitro] services"),
        ('services = "redis"', "[tool.nitro] services in pyproject.toml must be a list"),
    ],
)
def test_a_bad_tool_nitro_table_is_exit_2_naming_it(
    table: str, message: str, tmp_path: Path
) -> None:
    (tmp_path / "pyproject.toml").write_text(f'[project]\nname = "x"\n\n[tool.nitro]\n{table}\n')
    done = nitro_test(tmp_path)
    assert done.returncode == 2
    assert message in done.stderr
    assert "Traceback" not in done.stderr
    assert started_ports(done.stdout) == {}


def test_without_a_pyproject_pytest_runs_all_the_same(tmp_path: Path) -> None:
    (tmp_path / "test_alone.py").write_text("def test_alone():\n    pass\n")
    done = nitro_test(tmp_path, "-q")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 passed" in done.stdout


def test_a_service_that_cannot_start_is_one_line_and_exit_1(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.nitro]\nservices = ["postgres"]\n')
    done = nitro_test(tmp_path, NITRO_PG_BIN=str(tmp_path / "nowhere"))
    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        f"nitro test: PostgreSQL's initdb (looked for in {tmp_path / 'nowhere'}) is not "
        "available; install it with: apt-get install postgresql, or set NITRO_PG_BIN to "
        "the directory holding it"
    ]


@pytest.mark.redis
@pytest.mark.usefixtures("redis_binary")
def test_a_url_already_given_is_used_and_nothing_started(redis_url: str, tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.nitro]\nservices = ["redis"]\n')
    (tmp_path / "test_env.py").write_text(
        f"import os\n\ndef test_env():\n"
        f"    assert os.environ['NITRO_TEST_REDIS_URL'] == {redis_url!r}\n"
    )
    done = nitro_test(tmp_path, "-q", NITRO_TEST_REDIS_URL=redis_url)
    assert done.returncode == 0, done.stdout + done.stderr
    assert started_ports(done.stdout) == {}
    assert "redis: NITRO_TEST_REDIS_URL is set, using it" in done.stdout


#: A test that says it runs, then waits to be interrupted.
WAITING = """\
import os
import time
from pathlib import Path


def test_waits():
    Path("running").write_text(os.environ["NITRO_TEST_DATABASE_URL"])
    time.sleep(120)
"""


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.usefixtures("postgres_binaries", "redis_binary")
@pytest.mark.parametrize("how", ["SIGTERM to nitro", "Ctrl-C in the terminal"])
def test_stopping_nitro_test_stops_its_servers(how: str, tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.nitro]\nservices = ["postgres", "redis"]\n')
    (tmp_path / "test_wait.py").write_text(WAITING)
    process = subprocess.Popen(
        [str(NITRO), "test", "-q", "-p", "no:cacheprovider", "-s"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=environment(),
        start_new_session=True,  # its own process group, as a terminal gives a command
    )
    try:
        deadline = time.monotonic() + 120
        while not (tmp_path / "running").exists():
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline, "the test never started"
            time.sleep(0.1)
        if how == "SIGTERM to nitro":
            process.send_signal(signal.SIGTERM)
        else:  # the terminal signals the whole foreground group: nitro and pytest
            os.killpg(process.pid, signal.SIGINT)
        stdout, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    assert process.returncode == (143 if how == "SIGTERM to nitro" else 2), stdout + stderr
    ports = started_ports(stdout)
    assert sorted(ports) == ["PostgreSQL", "Redis"], stdout
    assert "Traceback" not in stderr
    assert_all_stopped(ports)
