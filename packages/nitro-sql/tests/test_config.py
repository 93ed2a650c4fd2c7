"""Configuration: read when used, overridable per app (configure) and per test
(use_database); tables created on demand."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from pathlib import Path

import pytest

from nitro import Entity
from nitro.persistence import BackendUnavailable
from nitro.sql import (
    DEFAULT_URL,
    ENV_VAR,
    Database,
    SQLEntity,
    SQLModelBackend,
    configure,
    get_database,
    use_database,
)
from nitro.sql.config import database_for


class ConfTodo(SQLEntity, table=True):
    __tablename__ = "conf_todo"
    title: str
    done: bool = False


@pytest.fixture(autouse=True)
def no_configuration(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv(ENV_VAR, raising=False)
    configure(None)
    yield
    configure(None)


def test_default_is_a_sqlite_file_in_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert DEFAULT_URL == "sqlite:///nitro.db"
    monkeypatch.chdir(tmp_path)
    database = get_database()
    try:
        assert database.url.database == str(tmp_path / "nitro.db")
        todo = ConfTodo(title="milk")
        todo.save()  # the table is created on demand
        assert ConfTodo.filter(done=False) == [todo]
        assert (tmp_path / "nitro.db").exists()
    finally:
        database.dispose()


def test_the_environment_is_read_when_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first, second = f"sqlite:///{tmp_path / 'a.db'}", f"sqlite:///{tmp_path / 'b.db'}"
    monkeypatch.setenv(ENV_VAR, first)
    ConfTodo(title="in a").save()
    monkeypatch.setenv(ENV_VAR, second)
    assert ConfTodo.all() == []  # the same class, now on b.db
    monkeypatch.setenv(ENV_VAR, first)
    assert [t.title for t in ConfTodo.all()] == ["in a"]
    database_for(first).dispose()
    database_for(second).dispose()


def test_configure_then_use_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_VAR, f"sqlite:///{tmp_path / 'env.db'}")
    app = configure(url=f"sqlite:///{tmp_path / 'app.db'}")
    assert isinstance(app, Database)
    assert get_database() is app
    ConfTodo(title="app").save()
    with use_database(f"sqlite:///{tmp_path / 'test.db'}") as test_db:
        assert get_database() is test_db
        assert ConfTodo.all() == []
        inner = Database(f"sqlite:///{tmp_path / 'inner.db'}")
        with use_database(inner):
            assert get_database() is inner
        assert get_database() is test_db
        test_db.dispose()
        inner.dispose()
    assert [t.title for t in ConfTodo.all()] == ["app"]
    configure(None)
    assert get_database().url.database == str(tmp_path / "env.db")
    app.dispose()


def test_an_entity_can_be_pinned_to_a_database(tmp_path: Path) -> None:
    class Pinned(Entity):
        text: str = ""

    pinned = Database(f"sqlite:///{tmp_path / 'pinned.db'}")
    Pinned._persistence_backend_class = functools.partial(SQLModelBackend, database=pinned)
    with use_database(f"sqlite:///{tmp_path / 'other.db'}") as other:
        Pinned(text="x").save()
        assert Pinned.repository().database is pinned
        other.dispose()
    assert [p.text for p in Pinned.all()] == ["x"]
    pinned.dispose()


def test_tables_are_not_created_when_migrations_own_them(tmp_path: Path) -> None:
    import sqlalchemy as sa

    from nitro.sql import SchemaMismatch

    database = Database(f"sqlite:///{tmp_path / 'managed.db'}", create_tables=False)
    with use_database(database), pytest.raises(SchemaMismatch) as missing:
        ConfTodo.all()
    database.dispose()
    assert missing.value.table == "conf_todo"
    assert missing.value.column is None
    assert "Run 'nitro migrate'" in str(missing.value)
    assert isinstance(missing.value.__cause__, sa.exc.OperationalError)  # the driver's


@pytest.mark.parametrize("create_tables", [True, False])
def test_an_unreachable_database_is_backend_unavailable(create_tables: bool) -> None:
    database = Database(
        "postgresql+psycopg://nitro@127.0.0.1:1/nowhere", create_tables=create_tables
    )
    with use_database(database):
        with pytest.raises(BackendUnavailable, match="cannot be reached"):
            ConfTodo.get("x")
        with pytest.raises(BackendUnavailable, match="cannot be reached"):
            ConfTodo(title="x").save()
    database.dispose()


def test_a_unit_on_an_unreachable_database_is_backend_unavailable() -> None:
    from nitro.sql import UnitOfWork

    database = Database("postgresql+psycopg://nitro@127.0.0.1:1/nowhere", create_tables=False)

    def work() -> None:
        with UnitOfWork() as uow:
            ConfTodo(title="x").save()  # buffered...
            uow.commit()  # ...and written here: no connection

    with use_database(database), pytest.raises(BackendUnavailable, match="cannot be reached"):
        work()
    database.dispose()


def test_both_url_and_database_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match="url= or database="):
        SQLModelBackend(ConfTodo, url="sqlite://", database=Database("sqlite://"))


def test_in_memory_sqlite_works_for_one_thread() -> None:
    database = Database("sqlite://")
    with use_database(database):
        ConfTodo(title="memory").save()
        assert [t.title for t in ConfTodo.all()] == ["memory"]
    database.dispose()


def test_a_url_is_parsed_once_but_a_relative_sqlite_path_follows_the_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    absolute = f"sqlite:///{tmp_path / 'once.db'}"
    assert database_for(absolute) is database_for(absolute)
    (tmp_path / "one").mkdir()
    (tmp_path / "two").mkdir()
    monkeypatch.chdir(tmp_path / "one")
    first = database_for("sqlite:///here.db")
    monkeypatch.chdir(tmp_path / "two")
    second = database_for("sqlite:///here.db")
    assert first.url.database == str(tmp_path / "one" / "here.db")
    assert second.url.database == str(tmp_path / "two" / "here.db")
