"""Issue 18's first acceptance, as a new user meets Nitro: wheels built from the
workspace, ``nitro`` installed into a fresh virtual environment (Nitro's own wheels with
``--no-index``), ``nitro init`` for each framework on SQLite and for FastAPI on
PostgreSQL and on Redis, then the generated project's own test command, ``uv run nitro
test``, which makes the project's environment with uv (Nitro's packages from the
wheelhouse, the rest from the package index) and starts the services the project
names. The time from ``nitro init`` to green is printed for each (run with ``-s``)."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
import tomllib
from pathlib import Path

import pytest
from nitro_test_services import find_pg_bin, missing_service

REPO_ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.slow


def run(*command: str | Path, cwd: Path, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        [str(part) for part in command],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=600,
        stdin=subprocess.DEVNULL,
        env=env,
    )
    assert done.returncode == 0, f"{command} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def user_environment(wheelhouse: Path) -> dict[str, str]:
    """A shell outside this workspace: no active venv, no test-service URLs, uv finding
    Nitro's packages in the wheelhouse."""
    drop = ("VIRTUAL_ENV", "UV_PROJECT_ENVIRONMENT", "PYTHONPATH", "NITRO_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(drop)}
    return {**env, "UV_FIND_LINKS": str(wheelhouse)}


@pytest.fixture(scope="module")
def wheelhouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if shutil.which("uv") is None:
        pytest.fail("uv is required to build the wheels")
    out = tmp_path_factory.mktemp("wheels")
    run("uv", "build", "--all-packages", "--wheel", "--out-dir", out, cwd=REPO_ROOT)
    return out


@pytest.fixture(scope="module")
def nitro(wheelhouse: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The ``nitro`` command of a fresh venv holding ``nitro-core[sql]``: Nitro's wheels
    from the wheelhouse only (``--no-index``), their requirements from the index."""
    venv = tmp_path_factory.mktemp("cli") / "venv"
    cwd = venv.parent
    run("uv", "venv", "--quiet", venv, cwd=cwd)
    python = venv / "bin" / "python"
    ours = [
        next(wheelhouse.glob(f"{name}-*.whl")) for name in ("nitro_core", "nitro_sql", "rusty_tags")
    ]
    run("uv", "pip", "install", "--quiet", "--python", python, "--no-index", "--no-deps", *ours,
        cwd=cwd)  # fmt: skip
    run("uv", "pip", "install", "--quiet", "--python", python, "--find-links", wheelhouse,
        "nitro-core[sql]", cwd=cwd)  # fmt: skip
    installed = run(venv / "bin" / "nitro", "info", cwd=cwd)
    assert "nitro-core 0.1.0" in installed
    assert "nitro-sql 0.1.0" in installed
    return venv / "bin" / "nitro"


@pytest.mark.parametrize(
    ("framework", "storage"),
    [
        ("fastapi", "sqlite"),
        ("flask", "sqlite"),
        ("fasthtml", "sqlite"),
        ("fastapi", "postgres"),
        ("fastapi", "redis"),
    ],
)
def test_init_then_the_projects_own_tests_pass(
    framework: str, storage: str, nitro: Path, wheelhouse: Path, tmp_path: Path
) -> None:
    if storage == "postgres" and find_pg_bin() is None:
        missing_service("PostgreSQL server binaries (initdb)", "apt-get install postgresql")
    if storage == "redis" and shutil.which("redis-server") is None:
        missing_service("redis-server", "apt-get install redis-server")
    env = user_environment(wheelhouse)

    started = time.monotonic()
    choices = ["--framework", framework, "--storage", storage]
    run(nitro, "init", "shop", *choices, cwd=tmp_path, env=env)
    project = tmp_path / "shop"
    readme = (project / "README.md").read_text()
    assert "uv run nitro test" in readme
    tests = run("uv", "run", "nitro", "test", "-q", "-p", "no:cacheprovider", cwd=project, env=env)
    seconds = time.monotonic() - started
    print(f"\ninit to green: {seconds:.1f} s ({framework}, {storage})")
    assert "3 passed" in tests

    # Nitro's own packages came from the wheelhouse, never from an index.
    lock = tomllib.loads((project / "uv.lock").read_text())
    sources = {
        package["name"]: package["source"]
        for package in lock["package"]
        if package["name"].startswith(("nitro-", "rusty-tags"))
    }
    assert {"nitro-core", "rusty-tags", f"nitro-{framework}"} <= set(sources)
    assert all(source == {"registry": str(wheelhouse)} for source in sources.values()), sources
