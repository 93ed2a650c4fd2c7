"""`nitro db` end to end, through the installed `nitro` script, on SQLite and PostgreSQL:
autogenerate, upgrade, add a column, autogenerate, upgrade, downgrade."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

NITRO = Path(sys.executable).with_name("nitro")

MODELS_V1 = """
from nitro.sql import SQLEntity


class Product(SQLEntity, table=True):
    name: str
"""
MODELS_V2 = MODELS_V1 + "    price: float | None = None\n"


def nitro_db(cwd: Path, url: str, *args: str) -> str:
    env = {**os.environ, "NITRO_DATABASE_URL": url}
    done = subprocess.run(
        [str(NITRO), "db", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout + done.stderr


def columns(url: str, table: str) -> set[str]:
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        inspector = sa.inspect(engine)
        if not inspector.has_table(table):
            return set()
        return {column["name"] for column in inspector.get_columns(table)}
    finally:
        engine.dispose()


def test_migration_cycle(db_url: str, tmp_path: Path) -> None:
    (tmp_path / "models.py").write_text(MODELS_V1)
    assert "Created migrations/" in nitro_db(tmp_path, db_url, "init", "--models", "models")
    assert "import models" in (tmp_path / "migrations" / "env.py").read_text()

    nitro_db(tmp_path, db_url, "revision", "--autogenerate", "-m", "create product")
    (first,) = (tmp_path / "migrations" / "versions").glob("*create_product.py")
    assert "create_table('product'" in first.read_text()
    assert columns(db_url, "product") == set()  # a revision changes nothing yet

    nitro_db(tmp_path, db_url, "upgrade")
    assert columns(db_url, "product") == {"id", "name", "nitro_expires_at"}
    engine = sa.create_engine(db_url, poolclass=sa.pool.NullPool)
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO product (id, name) VALUES ('p1', 'pen')"))

    (tmp_path / "models.py").write_text(MODELS_V2)
    nitro_db(tmp_path, db_url, "revision", "--autogenerate", "-m", "add price")
    (second,) = (tmp_path / "migrations" / "versions").glob("*add_price.py")
    assert "add_column" in second.read_text()
    assert "price" in second.read_text()

    nitro_db(tmp_path, db_url, "upgrade", "head")
    assert columns(db_url, "product") == {"id", "name", "price", "nitro_expires_at"}
    with engine.connect() as conn:  # the data survived the migration
        assert conn.execute(sa.text("SELECT name FROM product")).scalar_one() == "pen"

    assert "add price" in nitro_db(tmp_path, db_url, "history")
    nitro_db(tmp_path, db_url, "downgrade")
    assert columns(db_url, "product") == {"id", "name", "nitro_expires_at"}
    nitro_db(tmp_path, db_url, "downgrade", "base")
    assert columns(db_url, "product") == set()
    engine.dispose()


def test_commands_explain_a_missing_directory(tmp_path: Path, sqlite_url: str) -> None:
    env = {**os.environ, "NITRO_DATABASE_URL": sqlite_url}
    done = subprocess.run(
        [str(NITRO), "db", "upgrade"], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert done.returncode != 0
    assert "run 'nitro db init' first" in done.stderr


def test_init_refuses_a_non_empty_directory(tmp_path: Path) -> None:
    from nitro.cli import main

    (tmp_path / "migrations").mkdir()
    (tmp_path / "migrations" / "keep.txt").write_text("x")
    assert main(["db", "--directory", str(tmp_path / "migrations"), "init"]) == 1


def test_db_is_a_nitro_command(capsys: pytest.CaptureFixture[str]) -> None:
    from nitro.cli import main

    assert main(["db"]) == 0
    out = capsys.readouterr().out
    for name in ("init", "revision", "upgrade", "downgrade"):
        assert name in out
    assert main(["db", "revision", "--help"]) == 0
    assert "--autogenerate" in capsys.readouterr().out


def first_use(cwd: Path, url: str, code: str) -> subprocess.CompletedProcess[str]:
    """Run *code* after ``import models`` in a fresh interpreter, as the app would."""
    env = {**os.environ, "NITRO_DATABASE_URL": url}
    return subprocess.run(
        [sys.executable, "-c", f"import models\n{code}"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_adopting_a_database_made_on_first_use(db_url: str, tmp_path: Path) -> None:
    (tmp_path / "models.py").write_text(MODELS_V1)
    made = first_use(tmp_path, db_url, "models.Product(id='p1', name='pen').save()")
    assert made.returncode == 0, made.stderr
    assert columns(db_url, "product") == {"id", "name", "nitro_expires_at"}

    nitro_db(tmp_path, db_url, "init", "--models", "models")
    out = nitro_db(tmp_path, db_url, "adopt")
    (baseline,) = (tmp_path / "migrations" / "versions").glob("*baseline.py")
    revision = baseline.name.split("_")[0]
    assert f"Database at {revision} (head)." in out
    assert "create_table('product'" in baseline.read_text()  # a new database gets it all
    # Adopting ran nothing: the table and its row are as they were.
    engine = sa.create_engine(db_url, poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT name FROM product")).scalar_one() == "pen"

    fresh = f"sqlite:///{tmp_path / 'fresh.db'}"
    out = nitro_db(tmp_path, fresh, "upgrade")
    assert f"Running upgrade  -> {revision}, baseline" in out
    assert columns(fresh, "product") == {"id", "name", "nitro_expires_at"}

    # From here on the adopted database migrates like any other, with the options
    # after the subcommand and one line per revision applied.
    (tmp_path / "models.py").write_text(MODELS_V2)
    nitro_db(tmp_path, db_url, "revision", "--autogenerate", "-m", "add price")
    out = nitro_db(tmp_path, "sqlite:///elsewhere.db", "upgrade", "--url", db_url)
    assert "Running upgrade" in out
    assert "add price" in out
    assert "(head)." in out
    assert columns(db_url, "product") == {"id", "name", "price", "nitro_expires_at"}
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT name FROM product")).scalar_one() == "pen"
    engine.dispose()
    assert not (tmp_path / "elsewhere.db").exists()


def test_a_missing_column_names_the_table_the_column_and_the_fix(
    db_url: str, tmp_path: Path
) -> None:
    (tmp_path / "models.py").write_text(MODELS_V1)
    made = first_use(tmp_path, db_url, "models.Product(id='p1', name='pen').save()")
    assert made.returncode == 0, made.stderr
    (tmp_path / "models.py").write_text(MODELS_V2)  # a field added, nothing migrated
    probe = """
from nitro.sql import SchemaMismatch, UnitOfWork
for name, call in [
    ("all", lambda: models.Product.all()),
    ("get", lambda: models.Product.get("p1")),
    ("save", lambda: models.Product(name="ink", price=2.0).save()),
]:
    try:
        call()
    except SchemaMismatch as exc:
        print(name, exc.table, exc.column, "|", exc)
try:
    with UnitOfWork() as unit:
        models.Product(name="cap").save()
        unit.commit()
except SchemaMismatch as exc:
    print("unit", exc.table, exc.column)
"""
    done = first_use(tmp_path, db_url, probe)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert [line.split(" |")[0] for line in lines] == [
        "all product price",
        "get product price",
        "save product price",
        "unit product price",
    ]
    message = lines[0].split("| ")[1]
    assert message.startswith("the table 'product' has no column 'price'")
    assert "Run 'nitro migrate'" in message


def test_migrate_and_stamp_are_commands(capsys: pytest.CaptureFixture[str]) -> None:
    from nitro.cli import main

    assert main(["migrate", "--help"]) == 0
    assert "nitro db upgrade" in capsys.readouterr().out
    for command in ("stamp", "adopt"):
        assert main(["db", command, "--help"]) == 0
        assert "--url" in capsys.readouterr().out
    assert main(["db", "stamp"]) == 2  # the revision is required
    assert "Missing argument 'REVISION'" in capsys.readouterr().err
