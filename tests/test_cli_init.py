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
    env = {}
    if storage == "redis":  # what nitro test would set
        env["NITRO_TEST_REDIS_URL"] = request.getfixturevalue("redis_url")
    assert "3 passed" in project_tests(project, env)
    print(f"init to green: {time.monotonic() - started:.1f} s ({framework}, {storage})")

    extras = {"sqlite": "sql", "redis": "redis"}.get(storage)
    wanted = ",".join([framework, extras] if extras else [framework])
    pyproject = (project / "pyproject.toml").read_text()
    assert f'"nitro-core[{wanted}]>=0.1.0,<0.2",' in pyproject
    readme = (project / "README.md").read_text()
    assert "uv run nitro test" in readme
    assert ("`uv run pytest` runs them too" in readme) == (storage != "redis")
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
        (["shop", "--framework", "django"], "Invalid value for '--framework': 'django'"),
        (["shop", "--storage", "mongo"], "Invalid value for '--storage': 'mongo'"),
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


def nitro_generate(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(NITRO), "generate", "entity", *args],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize("storage", ["sqlite", "memory"])
def test_a_generated_entity_is_served_tested_and_migrated(storage: str, tmp_path: Path) -> None:
    assert nitro_init(tmp_path, "shop", "--storage", storage).returncode == 0
    project = tmp_path / "shop"
    fields = ["name:str", "price:float", "stock:int=0", "category:Category?", "released:date"]
    made = nitro_generate(project, "Product", *fields)
    assert made.returncode == 0, made.stderr
    source = (project / "entities" / "product.py").read_text()
    for declaration in (
        "name: str",
        "price: float",
        "stock: int = 0",
        "category_id: str | None = None",
        "released: date",
    ):
        assert f"    {declaration}\n" in source
    assert (
        "from entities.product import Product as Product"
        in (project / "entities" / "__init__.py").read_text()
    )
    assert "4 passed" in project_tests(project)  # the project's 3 and the new entity's 1
    ruff = str(Path(sys.executable).with_name("ruff"))
    for command in (["check", "."], ["format", "--check", "."]):  # with the project's settings
        linted = subprocess.run([ruff, *command], cwd=project, capture_output=True, text=True)
        assert linted.returncode == 0, linted.stdout + linted.stderr
    revisions = list((project / "migrations" / "versions").glob("*add_product.py"))
    if storage == "memory":
        assert revisions == []
        return
    (revision,) = revisions
    assert "create_table('product'" in revision.read_text()
    fresh = f"sqlite:///{project / 'fresh.db'}"
    migrated = subprocess.run(
        [str(NITRO), "migrate", "--url", fresh], cwd=project, capture_output=True, text=True
    )
    assert migrated.returncode == 0, migrated.stderr
    assert "add product" in migrated.stdout


def test_generate_refuses_what_the_class_would_refuse_and_writes_over_nothing(
    tmp_path: Path,
) -> None:
    from nitro import Entity

    assert nitro_init(tmp_path, "shop", "--storage", "memory").returncode == 0
    project = tmp_path / "shop"
    with pytest.raises(TypeError) as runtime:

        class Bad(Entity):
            save: str

    shadow = nitro_generate(project, "Bad", "save:str")
    assert shadow.returncode == 2
    assert shadow.stderr.strip() == f"nitro generate entity: {runtime.value}"
    assert not (project / "entities" / "bad.py").exists()

    bad_spec = nitro_generate(project, "Thing", "price:money")
    assert bad_spec.returncode == 2
    assert "'price:money': unknown type 'money'" in bad_spec.stderr

    assert nitro_generate(project, "Tag", "label:str").returncode == 0
    (project / "entities" / "tag.py").write_text("# mine\n")
    again = nitro_generate(project, "Tag", "label:str")
    assert again.returncode == 2
    assert "tag.py exists (--force writes over it)" in again.stderr
    assert (project / "entities" / "tag.py").read_text() == "# mine\n"
    assert nitro_generate(project, "Tag", "label:str", "--force").returncode == 0
    assert "class Tag(Entity):" in (project / "entities" / "tag.py").read_text()

    outside = nitro_generate(tmp_path, "Tag", "label:str")
    assert outside.returncode == 2
    assert "no models.py" in outside.stderr
