"""RedisRepo: entities as JSON strings in Redis, with TTL through Redis expiry.

Layout, for ``prefix="nitro"`` and the entity class ``Todo``::

    nitro:Todo:<id>   a string: the entity as JSON (with PX when saved with a TTL)
    nitro:Todo        a sorted set of ids, scored by expiry time (ms, ``inf`` = never)

Listing reads the index (never ``KEYS``), prunes ids that have expired, and fetches
the entities with ``MGET`` in batches; filters, ordering and paging then run in
Python through :meth:`Query.apply <nitro.persistence.Query.apply>`. Every write is
one Lua script, so the entity and its index entry change together.
"""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import AbstractAsyncContextManager, AbstractContextManager
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from pydantic_core import ValidationError, from_json, to_json, to_jsonable_python
from redis.exceptions import NoScriptError

from nitro.persistence.base import Repository
from nitro.persistence.locking import reading_for_update
from nitro.persistence.query import Query, check_ttl
from nitro.persistence.versioning import VERSION_FIELD, conflict, is_versioned, mark_saved
from nitro.redis import _entity_lock, _scripts
from nitro.redis._connection import (
    DEFAULT_MAX_CONNECTIONS,
    DEFAULT_RETRIES,
    DEFAULT_TIMEOUT,
    UNAVAILABLE_ERRORS,
    AsyncClients,
    atranslate_errors,
    describe_url,
    raise_unavailable,
    resolve_url,
    sync_client,
    translate_errors,
)
from nitro.specification import Specification

if TYPE_CHECKING:
    import redis
    import redis.asyncio

    from nitro.entity import Entity

__all__ = ["RedisRepo"]

E = TypeVar("E", bound="Entity")

#: Ids fetched per ``MGET`` when listing.
BATCH = 500
_SCRIPTS = ("SAVE", "SAVE_TTL", "SAVE_VERSIONED", "DELETE", "LIST", "COUNT")


class RedisRepo(Repository[E]):
    """Stores the entities of one class in Redis.

    .. code-block:: python

        import functools
        from nitro import Entity
        from nitro.redis import RedisRepo


        class Session(Entity):
            _persistence_backend_class = functools.partial(
                RedisRepo, url="redis://localhost:6379/0"
            )
            user: str

    :param url: the Redis URL; default ``$NITRO_REDIS_URL``, else
        ``redis://localhost:6379/0``. Read when the repository is created.
    :param prefix: first part of every key (``"nitro"``); use one per app when apps
        share a Redis database.
    :param namespace: the per-class part of the keys; default the class name. Two
        classes with the same name in one Redis need different namespaces.
    :param timeout: seconds allowed to connect and for each reply.
    :param retries: extra attempts after a connection error on a pooled connection.
    :param max_connections: connections per pool (one pool per process, and one per
        event loop for the async methods); when all are busy, a command waits up to
        *timeout* for one.

    Raises :class:`~nitro.persistence.BackendUnavailable` (naming the server, never
    the password) when Redis cannot be reached within the timeout; the next call
    tries again, so the repository recovers by itself once Redis is back.
    Repositories with the same URL and timeouts share one connection pool.
    """

    #: Redis expiry (``PX``) implements TTL, to the millisecond.
    supports_ttl: ClassVar[bool] = True

    def __init__(
        self,
        entity_cls: type[E],
        url: str | None = None,
        *,
        prefix: str = "nitro",
        namespace: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        retries: int = DEFAULT_RETRIES,
        max_connections: int = DEFAULT_MAX_CONNECTIONS,
    ) -> None:
        super().__init__(entity_cls)
        namespace = entity_cls.__name__ if namespace is None else namespace
        if not namespace or ":" in namespace:
            raise ValueError(
                f"RedisRepo namespace must be non-empty without ':', got {namespace!r}"
            )
        self.url = resolve_url(url)
        self.prefix = prefix
        self.namespace = namespace
        self.index_key = f"{prefix}:{namespace}"
        self._key_prefix = self.index_key + ":"
        self.client: redis.Redis = sync_client(self.url, timeout, retries, max_connections)
        self._aclients = AsyncClients(self.url, timeout, retries, max_connections)
        self._shas = {name: _scripts.sha(getattr(_scripts, name)) for name in _SCRIPTS}
        self._validate_json = entity_cls.__pydantic_validator__.validate_json
        fields = entity_cls.__pydantic_fields__
        # Fields declared with exclude=True are hidden from signals and dumps, but
        # they are data all the same: they are stored too.
        self._excluded = tuple(name for name, info in fields.items() if info.exclude)
        self._versioned = is_versioned(entity_cls)

    def transaction(self) -> AbstractContextManager[object]:
        """No atomicity (the action's unit of work buffers its writes), but entities
        read for update inside (the action's own read) stay locked until the block
        ends, in this process and, through a lock key in Redis, in every other: two
        actions on one entity take turns instead of overwriting each other's change."""
        return _entity_lock.LOCKS.transaction()

    def atransaction(self) -> AbstractAsyncContextManager[object]:
        """:meth:`transaction` for ``async with``."""
        return _entity_lock.LOCKS.atransaction()

    def __repr__(self) -> str:
        return (
            f"RedisRepo({self.entity_cls.__name__}, {describe_url(self.url)!r}, {self.index_key!r})"
        )

    # -- keys and payloads -------------------------------------------------------------

    def ping(self) -> None:
        """Redis ``PING`` on this repository's connection pool."""
        self.client.ping()

    def key(self, entity_id: str) -> str:
        """The Redis key holding the entity with *entity_id*."""
        return self._key_prefix + entity_id

    def dump(self, entity: E) -> bytes:
        """The JSON stored for *entity* (every field, ``exclude=True`` ones included)."""
        if not self._excluded:
            return entity.__pydantic_serializer__.to_json(entity, round_trip=True)
        data = entity.model_dump(mode="json", round_trip=True)
        for name in self._excluded:
            data[name] = to_jsonable_python(getattr(entity, name), round_trip=True)
        return to_json(data)

    def load(self, raw: bytes | str) -> E:
        """An entity from stored JSON; fields it does not know (removed since) are ignored."""
        try:
            return self._validate_json(raw)  # type: ignore[no-any-return]
        except ValidationError as error:
            if any(e["type"] != "extra_forbidden" for e in error.errors()):
                raise
        # Stored before a field was removed from the class: drop what it no longer has.
        known = self.entity_cls.__pydantic_fields__
        data = {k: v for k, v in from_json(raw).items() if k in known}
        return self.entity_cls.__pydantic_validator__.validate_python(data)  # type: ignore[no-any-return]

    def _save_args(self, entity: E, ttl: float | None) -> tuple[str, list[Any]]:
        if type(entity) is not self.entity_cls:
            self.check_entity(entity)
        entity_id = entity.id
        args: list[Any] = [
            self._key_prefix + entity_id,
            self.index_key,
            self.dump(entity),
            entity_id,
        ]
        if ttl is None:
            return "SAVE", args
        args.append(max(1, round(check_ttl(ttl) * 1000)))  # type: ignore[operator]
        return "SAVE_TTL", args

    def _versioned_args(self, entity: E, ttl: float | None) -> tuple[int, list[Any]]:
        """The expected version and the ``SAVE_VERSIONED`` arguments: the JSON of
        *entity* with the next version (the instance itself changes only once stored)."""
        if type(entity) is not self.entity_cls:
            self.check_entity(entity)
        expected: int = entity.__dict__[VERSION_FIELD]
        ms = "" if ttl is None else max(1, round(check_ttl(ttl) * 1000))  # type: ignore[operator]
        stored = entity.model_copy(update={VERSION_FIELD: expected + 1})
        entity_id = entity.id
        key = self._key_prefix + entity_id
        return expected, [key, self.index_key, self.dump(stored), entity_id, expected, ms]

    def _check_versioned(self, entity: E, expected: int, reply: Any) -> bool:
        stored, found = int(reply[0]), int(reply[1])
        if not stored:
            raise conflict(self.entity_cls, entity.id, expected, None if found < 0 else found)
        mark_saved(entity, expected + 1)
        return True

    def _eval(self, name: str, *keys_and_args: Any) -> Any:
        # EVALSHA first; EVAL (which also caches the script) on a server that does not
        # know it yet -- first use, or a Redis that restarted.
        try:
            return self.client.evalsha(self._shas[name], 2, *keys_and_args)
        except NoScriptError:
            return self.client.eval(getattr(_scripts, name), 2, *keys_and_args)

    def _keys(self, ids: Iterable[Any]) -> list[str]:
        return [self._key_prefix + (i.decode() if isinstance(i, bytes) else i) for i in ids]

    def _loaded(self, values: Iterable[bytes | str | None]) -> list[E]:
        return [self.load(raw) for raw in values if raw is not None]

    # -- sync --------------------------------------------------------------------------

    # The hot paths catch errors inline: a generator-based context manager would cost
    # more than the rest of the Python work of a save or a get.

    def save(self, entity: E, ttl: float | None = None) -> bool:
        if self._versioned:  # compared and set by one Lua script
            expected, args = self._versioned_args(entity, ttl)
            with translate_errors(self.url):
                reply = self._eval("SAVE_VERSIONED", *args)
            return self._check_versioned(entity, expected, reply)
        script, args = self._save_args(entity, ttl)
        try:
            self._eval(script, *args)
        except UNAVAILABLE_ERRORS as error:
            raise_unavailable(self.url, error)
        return True

    def get(self, entity_id: str) -> E | None:
        if type(entity_id) is not str:
            self.check_id(entity_id)
        if reading_for_update():  # (an action's read: held until its transaction ends)
            _entity_lock.hold(self, entity_id)
        try:
            raw = self.client.get(self._key_prefix + entity_id)
        except UNAVAILABLE_ERRORS as error:
            raise_unavailable(self.url, error)
        return None if raw is None else self.load(raw)

    def exists(self, entity_id: str) -> bool:
        if type(entity_id) is not str:
            self.check_id(entity_id)
        with translate_errors(self.url):
            return bool(self.client.exists(self._key_prefix + entity_id))

    def delete(self, entity_id: str) -> bool:
        if type(entity_id) is not str:
            self.check_id(entity_id)
        with translate_errors(self.url):
            return bool(self._eval("DELETE", self.key(entity_id), self.index_key, entity_id))

    def _entities(self) -> list[E]:
        with translate_errors(self.url):
            ids = self._eval("LIST", "", self.index_key)
            out: list[E] = []
            for start in range(0, len(ids), BATCH):
                batch = ids[start : start + BATCH]
                keys = self._keys(batch)
                out.extend(self._loaded(self.client.mget(keys)))
        return out

    def find(self, query: Query) -> list[E]:
        query.check_fields(self.entity_cls)
        return query.apply(self._entities())

    def count(self, where: Specification[Any] | None = None) -> int:
        if where is not None:
            return super().count(where)
        with translate_errors(self.url):
            return int(self._eval("COUNT", "", self.index_key))

    def clear(self) -> None:
        with translate_errors(self.url):
            ids = self.client.zrange(self.index_key, 0, -1)
            for start in range(0, len(ids), BATCH):
                self.client.delete(*self._keys(ids[start : start + BATCH]))
            self.client.delete(self.index_key)

    # -- async (redis.asyncio, one client per event loop) ---------------------------------

    async def _aeval(self, name: str, *keys_and_args: Any) -> Any:
        client = self._aclients.get()
        try:
            return await client.evalsha(self._shas[name], 2, *keys_and_args)
        except NoScriptError:
            return await client.eval(getattr(_scripts, name), 2, *keys_and_args)

    async def asave(self, entity: E, ttl: float | None = None) -> bool:
        if self._versioned:
            expected, args = self._versioned_args(entity, ttl)
            async with atranslate_errors(self.url):
                reply = await self._aeval("SAVE_VERSIONED", *args)
            return self._check_versioned(entity, expected, reply)
        script, args = self._save_args(entity, ttl)
        try:
            await self._aeval(script, *args)
        except UNAVAILABLE_ERRORS as error:
            raise_unavailable(self.url, error)
        return True

    async def aget(self, entity_id: str) -> E | None:
        if type(entity_id) is not str:
            self.check_id(entity_id)
        if reading_for_update():
            await _entity_lock.ahold(self, entity_id)
        try:
            raw = await self._aclients.get().get(self._key_prefix + entity_id)
        except UNAVAILABLE_ERRORS as error:
            raise_unavailable(self.url, error)
        return None if raw is None else self.load(raw)

    async def aexists(self, entity_id: str) -> bool:
        if type(entity_id) is not str:
            self.check_id(entity_id)
        async with atranslate_errors(self.url):
            return bool(await self._aclients.get().exists(self._key_prefix + entity_id))

    async def adelete(self, entity_id: str) -> bool:
        if type(entity_id) is not str:
            self.check_id(entity_id)
        async with atranslate_errors(self.url):
            deleted = await self._aeval("DELETE", self.key(entity_id), self.index_key, entity_id)
        return bool(deleted)

    async def _aentities(self) -> list[E]:
        async with atranslate_errors(self.url):
            ids = await self._aeval("LIST", "", self.index_key)
            client = self._aclients.get()
            out: list[E] = []
            for start in range(0, len(ids), BATCH):
                batch = ids[start : start + BATCH]
                keys = self._keys(batch)
                out.extend(self._loaded(await client.mget(keys)))
        return out

    async def afind(self, query: Query) -> list[E]:
        query.check_fields(self.entity_cls)
        return query.apply(await self._aentities())

    async def acount(self, where: Specification[Any] | None = None) -> int:
        if where is not None:
            query = Query(where=where)
            query.check_fields(self.entity_cls)
            return len(query.apply(await self._aentities(), window=False))
        async with atranslate_errors(self.url):
            return int(await self._aeval("COUNT", "", self.index_key))

    async def aclear(self) -> None:
        async with atranslate_errors(self.url):
            client = self._aclients.get()
            ids = await client.zrange(self.index_key, 0, -1)
            for start in range(0, len(ids), BATCH):
                await client.delete(*self._keys(ids[start : start + BATCH]))
            await client.delete(self.index_key)

    def aclient(self) -> redis.asyncio.Redis:
        """The ``redis.asyncio`` client of the running event loop (created on first use)."""
        return self._aclients.get()

    async def aclose(self) -> None:
        """Close the running event loop's connections (the sync pool stays open)."""
        await self._aclients.aclose()
