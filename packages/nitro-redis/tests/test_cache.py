"""CachedRepo: the contract suite, cache hits, and invalidation that never loses a race."""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from nitro_test_services import RedisServer, free_port, start_redis, stop_process

from nitro import Entity
from nitro.persistence import BackendUnavailable, MemoryRepo, MemoryStore, Query, Repository
from nitro.persistence.base import BackendFactory
from nitro.persistence.testing import (
    ContractItem,
    ContractNote,
    ContractVersioned,
    RepositoryContract,
)
from nitro.redis import CachedRepo, RedisRepo

pytestmark = pytest.mark.redis


class Product(Entity):
    name: str = ""
    price: int = 0


class TestCachedRepoContract(RepositoryContract):
    @pytest.fixture
    def backend(self, redis_url: str) -> BackendFactory:
        store = MemoryStore()

        def build(entity_cls: type[Any]) -> CachedRepo[Any]:
            cache = RedisRepo(entity_cls, redis_url, prefix="test:cache")
            return CachedRepo(MemoryRepo(entity_cls, store), cache, ttl=30)

        return build

    @pytest.fixture(autouse=True)
    async def _close_async_connections(self, _routed: None) -> AsyncIterator[None]:
        yield
        for cls in (ContractItem, ContractNote, ContractVersioned):
            await cls.repository().aclose()  # type: ignore[attr-defined]


class CountingRepo(MemoryRepo[Product]):
    """A primary that counts reads and can hold one read until released."""

    def __init__(self, entity_cls: type[Product]) -> None:
        super().__init__(entity_cls, MemoryStore())
        self.reads = 0
        self.hold: threading.Event | None = None
        self.holding = threading.Event()

    def get(self, entity_id: str) -> Product | None:
        self.reads += 1
        entity = super().get(entity_id)
        if self.hold is not None:
            hold, self.hold = self.hold, None
            self.holding.set()
            hold.wait(5)
        return entity


@pytest.fixture
def primary() -> CountingRepo:
    return CountingRepo(Product)


@pytest.fixture
def cached(primary: CountingRepo, redis_url: str) -> CachedRepo[Product]:
    return CachedRepo(primary, RedisRepo(Product, redis_url), ttl=30)


def test_reads_through_the_cache(cached: CachedRepo[Product], primary: CountingRepo) -> None:
    product = Product(name="pen", price=3)
    cached.save(product)
    assert cached.get(product.id) == product
    assert cached.get(product.id) == product
    assert cached.get(product.id) == product
    assert primary.reads == 1
    assert cached.cache.get(product.id) == product
    assert cached.get("missing") is None


def test_writes_go_to_the_primary_and_invalidate(
    cached: CachedRepo[Product], primary: CountingRepo
) -> None:
    product = Product(name="pen", price=3)
    cached.save(product)
    cached.get(product.id)
    product.price = 4
    cached.save(product)
    assert primary.get(product.id).price == 4
    assert cached.cache.get(product.id) is None
    assert cached.get(product.id).price == 4
    assert cached.delete(product.id) is True
    assert cached.get(product.id) is None
    assert cached.delete(product.id) is False


def test_listing_goes_to_the_primary(cached: CachedRepo[Product]) -> None:
    a, b = Product(name="a", price=1), Product(name="b", price=2)
    cached.save(a)
    cached.save(b)
    assert cached.all() == [a, b]
    assert cached.find(Query(order_by=("-price",))) == [b, a]
    assert cached.count() == 2


def test_a_read_racing_a_write_never_refills_the_old_copy(
    cached: CachedRepo[Product], primary: CountingRepo
) -> None:
    product = Product(name="pen", price=1)
    cached.save(product)
    # A reader misses the cache and reads price=1 from the primary, then stalls ...
    primary.hold = release = threading.Event()
    seen: list[Product | None] = []
    reader = threading.Thread(target=lambda: seen.append(cached.get(product.id)))
    reader.start()
    assert primary.holding.wait(5)
    # ... while a writer stores price=2 and returns ...
    product.price = 2
    cached.save(product)
    # ... then the reader tries to fill the cache with price=1: refused.
    release.set()
    reader.join(5)
    assert seen[0].price == 1  # it read before the write returned: allowed
    assert cached.cache.get(product.id) is None
    assert cached.get(product.id).price == 2
    assert cached.get(product.id).price == 2


def test_a_cached_copy_never_outlives_the_primary_ttl(
    cached: CachedRepo[Product], redis_url: str
) -> None:
    product = Product(name="short")
    cached.save(product, ttl=0.5)
    assert cached.get(product.id) == product
    pttl = cached.cache.client.pttl(cached.cache.key(product.id))
    assert 0 < pttl <= 500


def test_factory_builds_a_backend(redis_url: str) -> None:
    build = CachedRepo.factory(MemoryRepo, ttl=10, url=redis_url, prefix="f")
    repo = build(Product)
    assert isinstance(repo, CachedRepo)
    assert isinstance(repo, Repository)
    assert repo.cache.index_key == "f:Product"
    assert "ttl=10" in repr(repo)


def test_rejects_a_cache_that_is_not_redis(redis_url: str) -> None:
    with pytest.raises(TypeError, match="needs a RedisRepo"):
        CachedRepo(MemoryRepo(Product), MemoryRepo(Product))  # type: ignore[arg-type]


def test_cache_down_reads_fall_back_and_writes_refuse_until_it_is_back(
    primary: CountingRepo,
    redis_server: RedisServer,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    port = free_port()
    url = f"redis://:s3cret@127.0.0.1:{port}/0"
    cached = CachedRepo(primary, RedisRepo(Product, url, timeout=0.5), ttl=30)
    product = Product(name="pen")
    primary.save(product)
    with caplog.at_level(logging.WARNING, logger="nitro.redis"):
        for _ in range(3):
            assert cached.get(product.id) == product
    assert len(caplog.records) == 1
    assert "cache unavailable, reading the primary" in caplog.records[0].getMessage()
    product.price = 9
    with pytest.raises(BackendUnavailable, match=r"127\.0\.0\.1") as info:
        cached.save(product)
    assert "s3cret" not in str(info.value)
    assert primary.get(product.id).price == 0  # refused before anything was written

    server = start_redis(tmp_path, port)  # its default user (nopass) accepts any password
    try:
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="nitro.redis"):
            assert cached.get(product.id).price == 0
        assert "is back" in caplog.records[0].getMessage()
        assert cached.save(product) is True
        assert cached.get(product.id).price == 9
    finally:
        assert server.process is not None
        stop_process(server.process)


async def test_async_twins_read_through_and_invalidate(
    cached: CachedRepo[Product], primary: CountingRepo
) -> None:
    product = Product(name="pen", price=1)
    await cached.asave(product)
    for _ in range(3):
        assert await cached.aget(product.id) == product
    assert primary.reads == 1
    product.price = 2
    await cached.asave(product)
    assert (await cached.aget(product.id)).price == 2
    assert cached.get(product.id).price == 2  # the sync side sees the same cache
    assert await cached.adelete(product.id) is True
    assert await cached.aget(product.id) is None
    await cached.aclose()


async def test_async_cache_down_falls_back_and_refuses_writes(primary: CountingRepo) -> None:
    cached = CachedRepo(primary, RedisRepo(Product, f"redis://127.0.0.1:{free_port()}/0"), ttl=5)
    product = Product(name="pen")
    primary.save(product)
    assert await cached.aget(product.id) == product
    with pytest.raises(BackendUnavailable):
        await cached.asave(product)
    await cached.aclose()
