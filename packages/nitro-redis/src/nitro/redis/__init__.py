"""Redis for Nitro: repository, cross-instance broadcaster and cache.

* :class:`RedisRepo` stores entities as JSON in Redis, with TTL through Redis expiry.
* :class:`RedisBroadcaster` carries live updates to the pages of every instance.
* :class:`CachedRepo` puts a read-through Redis cache in front of another repository.
* :class:`RedisCounterStore` keeps expiring counters (the admin's login throttle)
  shared by every instance.

Configuration is read when used: the URL comes from the argument, else
``NITRO_REDIS_URL``, else ``redis://localhost:6379/0``.
"""

from importlib.metadata import version as _version

from nitro.redis.broadcaster import RedisBroadcaster as RedisBroadcaster
from nitro.redis.cache import CachedRepo as CachedRepo
from nitro.redis.counters import RedisCounterStore as RedisCounterStore
from nitro.redis.repo import RedisRepo as RedisRepo

#: The installed version of nitro-redis (from its distribution metadata).
__version__: str = _version("nitro-redis")

__all__ = ["CachedRepo", "RedisBroadcaster", "RedisCounterStore", "RedisRepo", "__version__"]
