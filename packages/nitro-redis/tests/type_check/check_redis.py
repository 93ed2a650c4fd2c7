"""User code against the public nitro.redis API; checked with mypy --strict."""

from __future__ import annotations

import functools

from nitro import Entity, MemoryRepo
from nitro.broadcast import Broadcaster, Subscription
from nitro.persistence import Repository
from nitro.redis import CachedRepo, RedisBroadcaster, RedisRepo


class Todo(Entity):
    _persistence_backend_class = functools.partial(RedisRepo, url="redis://localhost:6379/0")
    title: str = ""


class Product(Entity):
    _persistence_backend_class = CachedRepo.factory(MemoryRepo, ttl=60)
    price: int = 0


def store(todo: Todo) -> Todo | None:
    repo: RedisRepo[Todo] = RedisRepo(Todo, prefix="app", timeout=0.5)
    repo.save(todo, ttl=30)
    key: str = repo.key(todo.id)
    assert key.startswith("app:Todo:")
    return repo.get(todo.id)


async def astore(todo: Todo) -> list[Todo]:
    repo = RedisRepo(Todo)
    await repo.asave(todo)
    found = await repo.aall()
    await repo.aclose()
    return found


def cached(primary: Repository[Product]) -> Product | None:
    repo: CachedRepo[Product] = CachedRepo(primary, cache=RedisRepo(Product), ttl=10)
    repo.invalidate("p1")
    return repo.get("p1")


def live(broadcaster: Broadcaster) -> Subscription:
    broadcaster.publish("chat:lobby", {"text": "hi"})
    return broadcaster.subscribe("chat:lobby")


def redis_live() -> bool:
    with RedisBroadcaster(channel="app:live") as broadcaster:
        live(broadcaster)
        return broadcaster.connected and broadcaster.wait_connected(1.0)
