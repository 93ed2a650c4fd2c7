"""CachedRepo: read-through caching of another repository in Redis.

``get`` answers from the Redis cache when it can, and otherwise reads the primary and
fills the cache; ``save``/``delete`` write to the primary and invalidate the cached
copy. The cache lives in Redis, shared by every instance, so an invalidation made by
one instance is seen by all of them at once -- there is no per-process copy that a
lost pub/sub message could leave stale.

Why a read can never put back a stale copy: every invalidation increments a
per-entity *generation* in Redis. A reader notes the generation before it reads the
primary, and the fill (a Lua script) stores its copy only if the generation is still
the same. A write invalidates after the primary has the new data, so once ``save()``
returns, any copy in the cache was read from the primary after the write.

Listing (``all``, ``filter``, ``find``, ``count``) always goes to the primary, and so
does every read of an id the primary does not have (misses are not cached).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

from redis.exceptions import NoScriptError

from nitro.persistence.base import Repository
from nitro.persistence.errors import BackendUnavailable
from nitro.persistence.query import Query, check_ttl
from nitro.redis import _scripts
from nitro.redis._connection import atranslate_errors, describe_url, translate_errors
from nitro.redis.repo import RedisRepo
from nitro.specification import Specification

if TYPE_CHECKING:
    from nitro.entity import Entity

__all__ = ["CachedRepo"]

E = TypeVar("E", bound="Entity")

logger = logging.getLogger("nitro.redis")


class CachedRepo(Repository[E]):
    """*primary* with a read-through Redis cache in front of it.

    .. code-block:: python

        from nitro.redis import CachedRepo, RedisRepo
        from nitro.sql import SQLModelBackend

        products = CachedRepo(SQLModelBackend(Product), cache=RedisRepo(Product), ttl=60)


        # or, as the class's backend:
        class Product(Entity):
            _persistence_backend_class = CachedRepo.factory(SQLModelBackend, ttl=60)

    :param primary: the repository holding the data (SQL, a remote service, ...).
    :param cache: the :class:`RedisRepo` holding cached copies; by default one with the
        key prefix ``"nitro:cache"`` on ``$NITRO_REDIS_URL``.
    :param ttl: seconds a cached copy may live; an entity saved with a shorter TTL in
        the primary is never cached past its own expiry.

    Consistency: once ``save``/``delete`` returns, no instance serves the previous
    version from the cache. To keep that promise, writes fail with
    :class:`~nitro.persistence.BackendUnavailable` -- before anything is written --
    when the cache cannot be reached; reads fall back to the primary instead.
    """

    #: Prefix of the default cache's keys.
    cache_prefix = "nitro:cache"

    def __init__(
        self, primary: Repository[E], cache: RedisRepo[E] | None = None, ttl: float = 300
    ) -> None:
        super().__init__(primary.entity_cls)
        if cache is None:
            cache = RedisRepo(primary.entity_cls, prefix=self.cache_prefix)
        if not isinstance(cache, RedisRepo):
            raise TypeError(f"CachedRepo needs a RedisRepo as its cache, got {cache!r}")
        if cache.entity_cls is not primary.entity_cls:
            raise TypeError(f"{cache!r} does not cache {primary.entity_cls.__name__} entities")
        seconds = check_ttl(ttl)
        assert seconds is not None
        self.primary = primary
        self.cache = cache
        self.ttl = seconds
        self.supports_ttl = primary.supports_ttl  # type: ignore[misc]
        self._px = str(max(1, round(seconds * 1000)))
        self._degraded = False
        # How long a generation outlives its last change; a read taking longer than
        # this while its entity changes could refill an old copy.
        self._linger = str(max(2 * round(seconds * 1000), 60_000))
        base = cache.index_key
        self._gen, self._exp, self._epoch = f"{base}#gen:", f"{base}#exp:", f"{base}#epoch"
        client = cache.client
        self._fill = client.register_script(_scripts.CACHE_FILL)
        self._invalidate_script = client.register_script(_scripts.CACHE_INVALIDATE)

    def ping(self) -> None:
        """The primary store's answer: with the cache down, reads fall back to it."""
        self.primary.ping()

    @classmethod
    def factory(
        cls,
        primary: Callable[[type[Any]], Repository[Any]],
        *,
        ttl: float = 300,
        url: str | None = None,
        prefix: str | None = None,
    ) -> Callable[[type[Any]], CachedRepo[Any]]:
        """A backend factory for ``_persistence_backend_class``: *primary* (a backend
        factory too) cached in the Redis at *url* for *ttl* seconds."""

        def build(entity_cls: type[Any]) -> CachedRepo[Any]:
            cache = RedisRepo(entity_cls, url, prefix=prefix or cls.cache_prefix)
            return cls(primary(entity_cls), cache, ttl)

        return build

    def __repr__(self) -> str:
        return f"CachedRepo({self.primary!r}, cache={self.cache!r}, ttl={self.ttl:g})"

    # -- keys and arguments of the scripts --------------------------------------------

    def _invalidate_call(
        self, entity_id: str, primary_ttl: float | None
    ) -> tuple[list[str], list[Any]]:
        keys = [
            self.cache.key(entity_id),
            self.cache.index_key,
            self._gen + entity_id,
            self._exp + entity_id,
        ]
        ttl = "" if primary_ttl is None else str(max(1, round(primary_ttl * 1000)))
        return keys, [entity_id, self._linger, ttl]

    def _fill_call(self, entity: E, generation: Any, epoch: Any) -> tuple[list[str], list[Any]]:
        entity_id = entity.id
        keys = [
            self.cache.key(entity_id),
            self.cache.index_key,
            self._gen + entity_id,
            self._epoch,
            self._exp + entity_id,
        ]
        return keys, [
            self.cache.dump(entity),
            self._px,
            entity_id,
            generation or b"0",
            epoch or b"0",
        ]

    def _lookup_keys(self, entity_id: str) -> tuple[str, str, str]:
        return self._gen + entity_id, self._epoch, self.cache.key(entity_id)

    def _cache_down(self, error: BackendUnavailable) -> None:
        # Once per outage at WARNING, not once per read.
        level = logging.DEBUG if self._degraded else logging.WARNING
        self._degraded = True
        logger.log(level, "nitro.redis: cache unavailable, reading the primary: %s", error)

    def _cache_up(self) -> None:
        if self._degraded:
            self._degraded = False
            logger.warning("nitro.redis: cache at %s is back", describe_url(self.cache.url))

    def _not_invalidated(self, entity_id: str, error: BackendUnavailable) -> BackendUnavailable:
        return BackendUnavailable(
            f"{self.entity_cls.__name__} {entity_id!r} was written to the primary, but "
            f"its cached copy could not be invalidated: {error}"
        )

    # -- invalidation -------------------------------------------------------------------

    def invalidate(self, entity_id: str, primary_ttl: float | None = None) -> None:
        """Drop the cached copy of *entity_id* and refuse fills that began before.

        *primary_ttl* records when the primary's copy expires, so later fills never
        outlive it. Raises :class:`BackendUnavailable` when Redis cannot be reached.
        """
        keys, args = self._invalidate_call(entity_id, primary_ttl)
        with translate_errors(self.cache.url):
            self._invalidate_script(keys, args)

    async def ainvalidate(self, entity_id: str, primary_ttl: float | None = None) -> None:
        """Async :meth:`invalidate`."""
        keys, args = self._invalidate_call(entity_id, primary_ttl)
        async with atranslate_errors(self.cache.url):
            await self._aeval(_scripts.CACHE_INVALIDATE, keys, args)

    async def _aeval(self, script: str, keys: list[str], args: list[Any]) -> Any:
        client = self.cache.aclient()
        try:
            return await client.evalsha(_scripts.sha(script), len(keys), *keys, *args)
        except NoScriptError:
            return await client.eval(script, len(keys), *keys, *args)

    def _write(self, entity_id: str, ttl: float | None, write: Callable[[], Any]) -> Any:
        # Invalidate before (so an unreachable cache refuses the write while nothing is
        # written yet) and after (so fills racing with the write are refused).
        self.invalidate(entity_id, ttl)
        result = write()
        try:
            self.invalidate(entity_id, ttl)
        except BackendUnavailable as error:
            raise self._not_invalidated(entity_id, error) from error
        return result

    async def _awrite(
        self, entity_id: str, ttl: float | None, write: Callable[[], Awaitable[Any]]
    ) -> Any:
        await self.ainvalidate(entity_id, ttl)
        result = await write()
        try:
            await self.ainvalidate(entity_id, ttl)
        except BackendUnavailable as error:
            raise self._not_invalidated(entity_id, error) from error
        return result

    # -- the repository API ---------------------------------------------------------------

    def save(self, entity: E, ttl: float | None = None) -> bool:
        self.check_entity(entity)
        ttl = check_ttl(ttl)
        return bool(self._write(entity.id, ttl, lambda: self.primary.save(entity, ttl)))

    def delete(self, entity_id: str) -> bool:
        self.check_id(entity_id)
        return bool(self._write(entity_id, None, lambda: self.primary.delete(entity_id)))

    def get(self, entity_id: str) -> E | None:
        self.check_id(entity_id)
        cache = self.cache
        try:
            with translate_errors(cache.url):
                pipe = cache.client.pipeline(transaction=False)
                for key in self._lookup_keys(entity_id):
                    pipe.get(key)
                generation, epoch, raw = pipe.execute()
        except BackendUnavailable as error:
            self._cache_down(error)
            return self.primary.get(entity_id)
        self._cache_up()
        if raw is not None:
            return cache.load(raw)
        entity = self.primary.get(entity_id)
        if entity is not None:
            keys, args = self._fill_call(entity, generation, epoch)
            try:
                with translate_errors(cache.url):
                    self._fill(keys, args)
            except BackendUnavailable:
                pass  # the entity is returned all the same; the next read fills
        return entity

    def find(self, query: Query) -> list[E]:
        return self.primary.find(query)

    def count(self, where: Specification[Any] | None = None) -> int:
        return self.primary.count(where)

    def clear(self) -> None:
        self.primary.clear()
        with translate_errors(self.cache.url):
            self.cache.client.incr(self._epoch)
        self.cache.clear()

    # -- async: the primary's async twins and redis.asyncio ---------------------------------

    async def asave(self, entity: E, ttl: float | None = None) -> bool:
        self.check_entity(entity)
        ttl = check_ttl(ttl)
        return bool(await self._awrite(entity.id, ttl, lambda: self.primary.asave(entity, ttl)))

    async def adelete(self, entity_id: str) -> bool:
        self.check_id(entity_id)
        return bool(await self._awrite(entity_id, None, lambda: self.primary.adelete(entity_id)))

    async def aget(self, entity_id: str) -> E | None:
        self.check_id(entity_id)
        cache = self.cache
        try:
            async with atranslate_errors(cache.url):
                pipe = cache.aclient().pipeline(transaction=False)
                for key in self._lookup_keys(entity_id):
                    pipe.get(key)
                generation, epoch, raw = await pipe.execute()
        except BackendUnavailable as error:
            self._cache_down(error)
            return await self.primary.aget(entity_id)
        self._cache_up()
        if raw is not None:
            return cache.load(raw)
        entity = await self.primary.aget(entity_id)
        if entity is not None:
            keys, args = self._fill_call(entity, generation, epoch)
            try:
                async with atranslate_errors(cache.url):
                    await self._aeval(_scripts.CACHE_FILL, keys, args)
            except BackendUnavailable:
                pass
        return entity

    async def aexists(self, entity_id: str) -> bool:
        return await self.aget(entity_id) is not None

    async def afind(self, query: Query) -> list[E]:
        return await self.primary.afind(query)

    async def acount(self, where: Specification[Any] | None = None) -> int:
        return await self.primary.acount(where)

    async def aclear(self) -> None:
        await self.primary.aclear()
        async with atranslate_errors(self.cache.url):
            await self.cache.aclient().incr(self._epoch)
        await self.cache.aclear()

    async def aclose(self) -> None:
        """Close the running event loop's cache connections."""
        await self.cache.aclose()
