"""RedisRepo beyond the contract: key layout, configuration, no KEYS, failures, recovery."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from nitro_test_services import RedisServer, free_port, start_redis, stop_process
from pydantic import Field

from nitro import Entity
from nitro.persistence import BackendUnavailable
from nitro.redis import RedisRepo

pytestmark = pytest.mark.redis


class Account(Entity):
    email: str = ""
    password_hash: str = Field(default="", exclude=True)


class Ticket(Entity):
    title: str = ""


@pytest.fixture
def raw(redis_url: str) -> redis.Redis:
    return redis.Redis.from_url(redis_url)


def test_keys_are_namespaced_per_class_with_a_configurable_prefix(
    redis_url: str, raw: redis.Redis
) -> None:
    repo = RedisRepo(Ticket, redis_url, prefix="shop")
    ticket = Ticket(id="t1", title="hello")
    repo.save(ticket)
    assert raw.get("shop:Ticket:t1") == b'{"id":"t1","title":"hello"}'
    assert raw.zrange("shop:Ticket", 0, -1, withscores=True) == [(b"t1", float("inf"))]
    other = RedisRepo(Ticket, redis_url, prefix="shop", namespace="ArchivedTicket")
    assert other.get("t1") is None
    with pytest.raises(ValueError, match="without ':'"):
        RedisRepo(Ticket, redis_url, namespace="a:b")


def test_url_from_environment_when_not_given(
    redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NITRO_REDIS_URL", redis_url)
    repo = RedisRepo(Ticket)
    assert repo.url == redis_url
    repo.save(Ticket(title="env"))
    assert repo.count() == 1
    monkeypatch.delenv("NITRO_REDIS_URL")
    assert RedisRepo(Ticket).url == "redis://localhost:6379/0"


def test_repositories_on_one_url_share_a_connection_pool(redis_url: str) -> None:
    a, b = RedisRepo(Ticket, redis_url), RedisRepo(Account, redis_url)
    assert a.client.connection_pool is b.client.connection_pool


def test_excluded_fields_are_stored_but_stay_out_of_signals(redis_url: str) -> None:
    repo = RedisRepo(Account, redis_url)
    account = Account(email="a@example.com", password_hash="argon2$...")
    repo.save(account)
    loaded = repo.get(account.id)
    assert loaded.password_hash == "argon2$..."
    assert "password_hash" not in loaded.signals["Account"]


def test_ttl_uses_redis_expiry_and_expired_ids_leave_the_index(
    redis_url: str, raw: redis.Redis
) -> None:
    repo = RedisRepo(Ticket, redis_url)
    short = Ticket(id="short")
    repo.save(short, ttl=0.2)
    assert 0 < raw.pttl("nitro:Ticket:short") <= 200
    time.sleep(0.3)
    repo.save(Ticket(id="permanent"))  # the fast path: no clock, no pruning
    assert raw.zrange("nitro:Ticket", 0, -1) == [b"short", b"permanent"]
    assert [t.id for t in repo.all()] == ["permanent"]  # listing prunes
    assert raw.zrange("nitro:Ticket", 0, -1) == [b"permanent"]
    repo.save(Ticket(id="short2"), ttl=0.05)
    time.sleep(0.1)
    repo.save(Ticket(id="session"), ttl=60)  # and so does every save with a TTL
    assert raw.zrange("nitro:Ticket", 0, -1) == [b"session", b"permanent"]


def test_listing_never_uses_keys(redis_url: str, raw: redis.Redis) -> None:
    repo = RedisRepo(Ticket, redis_url)
    for n in range(1200):  # more than one MGET batch
        raw.set(f"unrelated:{n}", 1)
    repo.save(Ticket(id="a", title="x"))
    for n in range(1100):
        repo.save(Ticket(id=f"t{n:04}", title="y"))
    raw.config_resetstat()
    assert len(repo.all()) == 1101
    assert [t.id for t in repo.filter(title="x")] == ["a"]
    assert repo.count() == 1101
    stats = raw.info("commandstats")
    assert "cmdstat_keys" not in stats
    assert "cmdstat_scan" not in stats
    assert stats["cmdstat_mget"]["calls"] == 6  # 3 batches for all(), 3 for filter()


def test_data_from_an_older_schema_still_loads(redis_url: str, raw: redis.Redis) -> None:
    raw.set("nitro:Ticket:old", b'{"id":"old","title":"t","removed_field":1}')
    raw.zadd("nitro:Ticket", {"old": float("inf")})
    assert RedisRepo(Ticket, redis_url).get("old") == Ticket(id="old", title="t")


# -- failures ------------------------------------------------------------------------------


@pytest.fixture
def own_redis(redis_server: RedisServer, tmp_path: Path) -> Iterator[list[RedisServer]]:
    # Depends on redis_server only for its check: no redis-server fails under CI.
    servers = [start_redis(tmp_path, free_port())]
    yield servers
    for server in servers:
        if server.process is not None:
            stop_process(server.process)


def test_unreachable_redis_raises_backend_unavailable_naming_the_host_not_the_password() -> None:
    url = f"redis://user:hunter2-secret@127.0.0.1:{free_port()}/3"
    repo = RedisRepo(Ticket, url, timeout=0.5)
    started = time.monotonic()
    with pytest.raises(BackendUnavailable) as info:
        repo.save(Ticket(title="lost?"))
    assert time.monotonic() - started < 2
    message = str(info.value)
    assert "redis://127.0.0.1:" in message
    assert "/3" in message
    assert "hunter2" not in message
    assert "user" not in message
    assert isinstance(info.value.__cause__, redis.ConnectionError)
    for call in (lambda: repo.get("x"), repo.all, repo.count, lambda: repo.delete("x")):
        with pytest.raises(BackendUnavailable, match=r"127\.0\.0\.1"):
            call()


def test_unresponsive_redis_fails_within_the_timeout(tmp_path: Path) -> None:
    # A listening socket that never answers (a hung server or a black hole).
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(16)
        repo = RedisRepo(Ticket, f"redis://127.0.0.1:{sock.getsockname()[1]}/0", timeout=0.3)
        started = time.monotonic()
        with pytest.raises(BackendUnavailable, match="Timeout"):
            repo.get("x")
        # Handshake and command, each with one retry: about 4 timeouts, never more.
        assert time.monotonic() - started < 0.3 * 4 + 0.5


async def test_async_failures_are_translated_too() -> None:
    repo = RedisRepo(Ticket, f"redis://:pw-1234@127.0.0.1:{free_port()}/0", timeout=0.5)
    with pytest.raises(BackendUnavailable) as info:
        await repo.aget("x")
    assert "pw-1234" not in str(info.value)
    await repo.aclose()


def test_recovers_without_a_restart_when_redis_comes_back(own_redis) -> None:
    server = own_redis[0]
    repo = RedisRepo(Ticket, server.url, timeout=0.5)
    repo.save(Ticket(id="before", title="a"))
    assert server.process is not None
    stop_process(server.process)
    with pytest.raises(BackendUnavailable):
        repo.save(Ticket(id="during", title="b"))
    own_redis.append(start_redis(server.directory or Path(), server.port))
    # The same repository object works again; pooled sockets to the old server are
    # replaced and the Lua scripts are loaded again (the new server has none cached).
    assert repo.save(Ticket(id="after", title="c")) is True
    assert [t.id for t in repo.all()] == ["after"]  # the fixture server keeps no data


async def test_async_recovers_too(own_redis) -> None:
    server = own_redis[0]
    repo = RedisRepo(Ticket, server.url, timeout=0.5)
    await repo.asave(Ticket(id="before"))
    assert server.process is not None
    stop_process(server.process)
    with pytest.raises(BackendUnavailable):
        await repo.asave(Ticket(id="during"))
    own_redis.append(start_redis(server.directory or Path(), server.port))
    assert await repo.asave(Ticket(id="after")) is True
    assert [t.id for t in await repo.aall()] == ["after"]
    await repo.aclose()


async def test_a_burst_larger_than_the_pool_waits_instead_of_failing(redis_url: str) -> None:
    import asyncio

    # The pool's wait is bounded by the repository timeout; the claim here is that a
    # burst waits rather than failing at once, so the timeout is generous enough that a
    # loaded machine (300 tasks queueing for 4 connections) cannot turn it into a flake.
    repo = RedisRepo(Ticket, redis_url, max_connections=4, timeout=30)
    await repo.asave(Ticket(id="hot", title="x"))
    found = await asyncio.gather(*(repo.aget("hot") for _ in range(300)))
    assert {t.title for t in found if t is not None} == {"x"}
    assert len(found) == 300
    await repo.aclose()


def test_threads_beyond_the_pool_size_wait_too(redis_url: str) -> None:
    from concurrent.futures import ThreadPoolExecutor

    repo = RedisRepo(Ticket, redis_url, max_connections=2, timeout=30)
    repo.save(Ticket(id="hot", title="x"))
    with ThreadPoolExecutor(16) as pool:
        found = list(pool.map(lambda _: repo.get("hot"), range(400)))
    assert all(t is not None and t.title == "x" for t in found)


def test_a_read_only_replica_is_unavailable_for_writes(own_redis) -> None:
    # What the old primary answers after a failover: READONLY, for every write.
    server = own_redis[0]
    repo = RedisRepo(Ticket, server.url, timeout=0.5)
    repo.save(Ticket(id="a"))
    admin = redis.Redis.from_url(server.url)
    admin.replicaof("127.0.0.1", free_port())
    try:
        with pytest.raises(BackendUnavailable, match="read only replica"):
            repo.save(Ticket(id="b"))
    finally:
        admin.replicaof("NO", "ONE")
        admin.close()
