"""Fixtures: a fresh SQLite file per test, and the session's real PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from nitro.sql import Database, use_database
from nitro.sql.config import database_for


@pytest.fixture
def sqlite_url(tmp_path: Path) -> Iterator[str]:
    """A SQLite file in the test's temp dir; its engine is disposed afterwards."""
    url = f"sqlite:///{tmp_path / 'nitro-test.db'}"
    yield url
    database_for(url).dispose()


@pytest.fixture
def postgres_url(postgres_server) -> Iterator[str]:
    """The session's PostgreSQL, emptied of tables before and after the test."""
    url = postgres_server.url
    _drop_all(database_for(url))
    yield url
    _drop_all(database_for(url))
    database_for(url).dispose()


def _drop_all(database: Database) -> None:
    with database.engine.begin() as conn:
        conn.execute(sa.text("DROP SCHEMA public CASCADE"))
        conn.execute(sa.text("CREATE SCHEMA public"))
    database.forget_tables()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest) -> str:
    """Each test using it runs on SQLite and on PostgreSQL."""
    name = "sqlite_url" if request.param == "sqlite" else "postgres_url"
    return request.getfixturevalue(name)  # type: ignore[no-any-return]


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    """`db_url` as the database in effect for the test."""
    with use_database(db_url) as database:
        yield database
