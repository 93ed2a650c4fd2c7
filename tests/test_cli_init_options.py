"""``nitro init --admin --auth --jobs`` on each framework: the project passes its own
tests at once (the admin needs its login and lists notes; actions need a logged-in user
with permission, through the app's /login page; renaming a note counts its words in a
background job), ``nitro routes`` shows who may call each action, and ruff finds
nothing to fix in what was written."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

NITRO = Path(sys.executable).with_name("nitro")
RUFF = Path(sys.executable).with_name("ruff")


def run(cwd: Path, *command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        list(command),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        stdin=subprocess.DEVNULL,
        env={k: v for k, v in os.environ.items() if not k.startswith("NITRO_ADMIN_")},
    )


@pytest.mark.parametrize(
    ("framework", "storage"), [("fastapi", "memory"), ("flask", "sqlite"), ("fasthtml", "sqlite")]
)
def test_a_project_with_every_option_passes_its_own_tests(
    framework: str, storage: str, tmp_path: Path
) -> None:
    made = run(
        tmp_path,
        str(NITRO), "init", "shop", "--framework", framework, "--storage", storage,
        "--admin", "--auth", "--jobs",
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    assert "with admin, auth, jobs." in made.stdout
    project = tmp_path / "shop"
    for name in ("admin.py", "auth.py", "jobs.py", "tests/test_admin.py", "tests/test_jobs.py"):
        assert (project / name).exists(), name
    extras = "admin,cqrs" if storage == "memory" else "sql,admin,cqrs"
    assert f'"nitro-core[{framework},{extras}]' in (project / "pyproject.toml").read_text()

    assert_lint_clean(project)
    tests = run(project, sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider")
    assert tests.returncode == 0, tests.stdout + tests.stderr
    assert "9 passed" in tests.stdout  # app 3, admin 2, auth 3, jobs 1

    routes = run(project, str(NITRO), "routes", "app:app")
    assert routes.returncode == 0, routes.stderr
    pin = next(line for line in routes.stdout.splitlines() if "Note.pin" in line)
    assert "permission note.change" in pin
    assert any("/login" in line for line in routes.stdout.splitlines())
    assert any("/admin" in line for line in routes.stdout.splitlines())


def assert_lint_clean(project: Path) -> None:
    """The project's own ruff settings (its pyproject) find nothing to fix."""
    for command in (["check", "."], ["format", "--check", "."]):
        done = run(project, str(RUFF), *command)
        assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize("storage", ["memory", "redis", "postgres"])
def test_without_options_there_is_no_admin_auth_or_jobs(storage: str, tmp_path: Path) -> None:
    made = run(tmp_path, str(NITRO), "init", "shop", "--storage", storage)
    assert made.returncode == 0, made.stderr
    project = tmp_path / "shop"
    assert_lint_clean(project)
    for name in ("admin.py", "auth.py", "jobs.py", "tests/test_admin.py", "tests/test_auth.py"):
        assert not (project / name).exists(), name
    app = (project / "app.py").read_text()
    assert "mount" not in app
    assert "auth" not in app
