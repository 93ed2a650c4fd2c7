"""A small FastAPI app that the multi-instance tests and the fan-out benchmark run as
several uvicorn processes sharing one Redis.

Configured from the environment (read at import, i.e. at process start):

* ``NITRO_REDIS_URL`` -- the Redis every instance shares;
* ``NITRO_TEST_PRIMARY_DIR`` -- a directory shared by the instances, standing in for a
  database behind the cache (``Product`` is stored there, cached in Redis);
* ``NITRO_TEST_INSTANCE`` -- a name for this instance, reported by ``/health``.

Run one: ``NITRO_REDIS_URL=redis://127.0.0.1:6379/0 uvicorn multi_app:app --port 8001``.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, ClassVar

from fastapi import FastAPI
from fastapi.responses import JSONResponse

from nitro import Entity, action
from nitro.actions import LiveList
from nitro.adapters.fastapi import configure_app
from nitro.persistence import Query, Repository, UnsupportedOperation
from nitro.redis import CachedRepo, RedisBroadcaster, RedisRepo


class FileRepo(Repository[Any]):
    """A primary store shared by processes: one JSON file per entity (a test fake for
    a database; writes are atomic renames)."""

    supports_ttl: ClassVar[bool] = False

    def __init__(self, entity_cls: type[Any]) -> None:
        super().__init__(entity_cls)
        self.directory = Path(os.environ["NITRO_TEST_PRIMARY_DIR"]) / entity_cls.__name__
        self.directory.mkdir(parents=True, exist_ok=True)

    def save(self, entity: Any, ttl: float | None = None) -> bool:
        if ttl is not None:
            raise UnsupportedOperation("FileRepo has no TTL")
        fd, tmp = tempfile.mkstemp(dir=self.directory)
        with os.fdopen(fd, "w") as file:
            file.write(entity.model_dump_json())
        os.replace(tmp, self.directory / f"{entity.id}.json")
        return True

    def get(self, entity_id: str) -> Any:
        try:
            text = (self.directory / f"{entity_id}.json").read_text()
        except FileNotFoundError:
            return None
        return self.entity_cls.model_validate_json(text)

    def delete(self, entity_id: str) -> bool:
        try:
            (self.directory / f"{entity_id}.json").unlink()
        except FileNotFoundError:
            return False
        return True

    def find(self, query: Query) -> list[Any]:
        query.check_fields(self.entity_cls)
        found = (self.get(path.stem) for path in self.directory.glob("*.json"))
        return query.apply(e for e in found if e is not None)

    def clear(self) -> None:
        for path in self.directory.glob("*.json"):
            path.unlink(missing_ok=True)


class Counter(Entity):
    _persistence_backend_class = RedisRepo
    count: int = 0

    @action(method="POST")
    def increment(self, amount: int = 1) -> None:
        self.count += amount


#: Every counter, by count: a live list's streams re-sync after a Redis restart too.
COUNTERS = LiveList(
    Counter, name="counters", order_by="count", render=lambda c: f"{c.id}={c.count}"
)


class Product(Entity):
    _persistence_backend_class = CachedRepo.factory(FileRepo, ttl=60)
    name: str = ""
    price: int = 0

    @action(method="POST")
    def set_price(self, price: int) -> None:
        self.price = price


broadcaster = RedisBroadcaster()


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    broadcaster.start()
    yield
    broadcaster.close()


app = FastAPI(lifespan=lifespan)
configure_app(app, entities=[Counter, Product], broadcaster=broadcaster)


@app.get("/health")
def health() -> dict[str, Any]:
    """Needs no Redis: keeps answering while Redis is down."""
    return {"ok": True, "instance": os.environ.get("NITRO_TEST_INSTANCE"), "pid": os.getpid()}


@app.get("/broadcaster")
def broadcaster_state() -> dict[str, Any]:
    return {"connected": broadcaster.connected, "connections": broadcaster.connections}


@app.get("/products/{product_id}")
async def product(product_id: str) -> JSONResponse:
    """Reads through the Redis cache (the route a stale cache would show)."""
    found = await Product.aget(product_id)
    if found is None:
        return JSONResponse({"error": "not found"}, 404)
    return JSONResponse(json.loads(found.model_dump_json()))
