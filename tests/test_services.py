"""The service fixtures start real servers that later packages rely on."""

import psycopg
import pytest
import redis


@pytest.mark.redis
def test_redis_server_answers_commands(redis_url):
    client = redis.Redis.from_url(redis_url)
    try:
        client.set("nitro:probe", "42", ex=60)
        assert client.get("nitro:probe") == b"42"
        assert client.ttl("nitro:probe") > 0
    finally:
        client.close()


@pytest.mark.redis
def test_redis_url_is_flushed_between_tests(redis_url):
    client = redis.Redis.from_url(redis_url)
    try:
        assert client.get("nitro:probe") is None
    finally:
        client.close()


@pytest.mark.postgres
def test_postgres_server_runs_transactions(postgres_server):
    with psycopg.connect(postgres_server.dsn) as conn:
        version = conn.execute("SHOW server_version").fetchone()[0]
        assert int(version.split(".")[0]) >= 15
        conn.execute("CREATE TEMP TABLE t (id int PRIMARY KEY, name text)")
        conn.execute("INSERT INTO t VALUES (%s, %s)", (1, "a'b"))
        assert conn.execute("SELECT name FROM t WHERE id = %s", (1,)).fetchone()[0] == "a'b"
        conn.rollback()


@pytest.mark.postgres
def test_postgres_url_is_a_sqlalchemy_url(postgres_server):
    assert postgres_server.url.startswith("postgresql+psycopg://nitro@127.0.0.1:")
