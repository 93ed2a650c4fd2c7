"""How SQLite transactions begin (``sqlite_begin`` and the dialect's ``do_begin``): no
listener on the engine, and a connection's mode never outlives its checkout."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
import sqlalchemy as sa

from nitro.sql import Database
from nitro.sql.config import sqlite_begin


@pytest.fixture
def database(tmp_path: Path) -> Database:
    database = Database(f"sqlite:///{tmp_path}/begin.db")
    with database.engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE t (n INTEGER)")
    return database


def other_writer_can_begin(tmp_path: Path) -> bool:
    """Whether another connection can take SQLite's write lock right now."""
    other = sqlite3.connect(tmp_path / "begin.db", timeout=0, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")
        return True
    except sqlite3.OperationalError as error:
        if "locked" not in str(error):
            raise
        return False
    finally:
        other.close()


def test_the_engine_has_no_listener_and_begins_each_transaction(database: Database) -> None:
    assert not database.engine._has_events  # (SQLAlchemy's dispatch stays off)
    with database.engine.connect() as conn, conn.begin():
        conn.exec_driver_sql("INSERT INTO t VALUES (1)")
        assert conn.connection.dbapi_connection.in_transaction  # a real BEGIN was sent
        conn.rollback()
    with database.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM t").scalar() == 0  # rolled back


def test_begin_immediate_takes_the_write_lock_at_once(database: Database, tmp_path: Path) -> None:
    with database.engine.connect() as conn:
        with conn.begin():  # BEGIN (deferred): no lock until it writes
            assert other_writer_can_begin(tmp_path)
        sqlite_begin(conn, "BEGIN IMMEDIATE")
        with conn.begin():
            assert not other_writer_can_begin(tmp_path)
        assert other_writer_can_begin(tmp_path)
        with conn.begin():  # (the mode is for the next transaction only)
            assert other_writer_can_begin(tmp_path)


def test_a_read_connection_sends_no_begin(database: Database) -> None:
    with database.engine.connect() as conn:
        sqlite_begin(conn, None)
        assert conn.exec_driver_sql("SELECT count(*) FROM t").scalar() == 0
        assert not conn.connection.dbapi_connection.in_transaction


def test_a_mode_left_unused_does_not_reach_the_next_user(database: Database) -> None:
    with database.engine.connect() as conn:
        sqlite_begin(conn, None)  # set, and the connection goes back without a transaction
    with database.engine.begin() as conn:  # the pool hands out the same connection
        conn.exec_driver_sql("INSERT INTO t VALUES (2)")
        assert conn.connection.dbapi_connection.in_transaction


def test_statements_no_longer_see_the_begin(database: Database) -> None:
    seen: list[str] = []
    sa.event.listen(database.engine, "before_cursor_execute", lambda *args: seen.append(args[2]))
    with database.engine.begin() as conn:
        conn.exec_driver_sql("INSERT INTO t VALUES (3)")
    assert seen == ["INSERT INTO t VALUES (3)"]  # as on other databases: BEGIN is implicit
