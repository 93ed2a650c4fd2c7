"""``nitro init`` through the installed script: each framework's project passes its own
tests at once, with the storage chosen. (The fresh-venv check from built wheels, with
the time from init to green, is the next step of issue 18.)"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

NITRO = Path(sys.executable).with_name("nitro")


def nitro_init(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(NITRO), "init", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )


def project_tests(project: Path, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, **(env or {})},
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


@pytest.mark.parametrize(
    ("framework", "storage"),
    [
        ("fastapi", "sqlite"),
        ("flask", "sqlite"),
        ("fasthtml", "sqlite"),
        ("fastapi", "memory"),
        pytest.param("flask", "redis", marks=pytest.mark.redis),
    ],
)
def test_a_new_project_passes_its_own_tests(
    framework: str, storage: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    started = time.monotonic()
    made = nitro_init(tmp_path, "shop", "--framework", framework, "--storage", storage)
    assert made.returncode == 0, made.stderr
    project = tmp_path / "shop"
    env = {"NITRO_REDIS_URL": request.getfixturevalue("redis_url")} if storage == "redis" else {}
    assert "3 passed" in project_tests(project, env)
    print(f"init to green: {time.monotonic() - started:.1f} s ({framework}, {storage})")

    extras = {"sqlite": "sql", "redis": "redis"}.get(storage)
    wanted = ",".join([framework, extras] if extras else [framework])
    pyproject = (project / "pyproject.toml").read_text()
    assert f'"nitro-core[{wanted}]>=0.1.0,<0.2",' in pyproject
    readme = (project / "README.md").read_text()
    assert "uv run pytest" in readme
    assert "nitro dev app:app" in readme
    assert (project / ".gitignore").exists()
    migrations = list((project / "migrations" / "versions").glob("*.py"))
    if storage == "sqlite":
        (baseline,) = migrations
        assert "create_table('note'" in baseline.read_text()
        assert not (project / ".nitro-init.db").exists()
    else:
        assert migrations == []


def test_the_sql_project_migrates_and_serves_the_migrated_table(tmp_path: Path) -> None:
    assert nitro_init(tmp_path, "shop", "--framework", "fastapi").returncode == 0
    project = tmp_path / "shop"
    env = {**os.environ, "NITRO_DATABASE_URL": f"sqlite:///{project / 'app.db'}"}
    script = (
        "from starlette.testclient import TestClient\n"
        "from app import app\n"
        "from models import Note\n"
        "try:\n"
        "    Note.all()\n"
        "except Exception as exc:\n"
        "    print(type(exc).__name__, exc)\n"
    )
    before = subprocess.run(
        [sys.executable, "-c", script], cwd=project, env=env, capture_output=True, text=True
    )
    assert "SchemaMismatch the table 'note' does not exist" in before.stdout
    assert "Run 'nitro migrate'" in before.stdout
    migrate = subprocess.run(
        [str(NITRO), "migrate"], cwd=project, env=env, capture_output=True, text=True
    )
    assert migrate.returncode == 0, migrate.stderr
    assert re.search(r"Database at \w+ \(head\)\.", migrate.stdout)
    after = subprocess.run(
        [sys.executable, "-c", script.replace("Note.all()", "print(Note.all())")],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
    )
    assert after.stdout.strip() == "[]", after.stdout + after.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["9lives"], "is not a project name"),
        (["shop", "--framework", "django"], "invalid choice: 'django'"),
        (["shop", "--storage", "mongo"], "invalid choice: 'mongo'"),
    ],
)
def test_bad_arguments_exit_2_naming_them(args: list[str], message: str, tmp_path: Path) -> None:
    done = nitro_init(tmp_path, *args)
    assert done.returncode == 2
    assert message in done.stderr
    assert list(tmp_path.iterdir()) == []  # nothing written


def test_an_existing_project_is_not_overwritten_without_force(tmp_path: Path) -> None:
    (tmp_path / "shop").mkdir()
    (tmp_path / "shop" / "models.py").write_text("# mine\n")
    refused = nitro_init(tmp_path, "shop", "--storage", "memory")
    assert refused.returncode == 2
    assert "exists and is not empty (--force writes over its files)" in refused.stderr
    assert (tmp_path / "shop" / "models.py").read_text() == "# mine\n"
    forced = nitro_init(tmp_path, "shop", "--storage", "memory", "--force")
    assert forced.returncode == 0, forced.stderr
    assert "class Note(Entity)" in (tmp_path / "shop" / "models.py").read_text()
