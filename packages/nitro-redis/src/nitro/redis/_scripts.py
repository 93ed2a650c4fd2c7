"""The Lua scripts behind RedisRepo and CachedRepo.

Each runs atomically inside Redis in one round trip. Index scores are expiry times in
milliseconds of the Redis clock (``inf`` for entities without TTL), so expired ids are
pruned from the index by score without the app and Redis having to agree on the time.
"""

from __future__ import annotations

import hashlib

__all__ = [
    "CACHE_FILL",
    "CACHE_INVALIDATE",
    "COUNT",
    "DELETE",
    "LIST",
    "SAVE",
    "SAVE_TTL",
    "SAVE_VERSIONED",
    "sha",
]

_NOW = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
"""

# Prune ids whose key has expired: a key with expiry `when` lives while now <= when.
_PRUNE = "redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', '(' .. now)\n"

#: KEYS: entity key, index key. ARGV: JSON, id. Saves without expiry (the common,
#: fast case: no clock, no pruning -- ids only go stale through TTL saves, which prune).
SAVE = """
redis.call('SET', KEYS[1], ARGV[1])
redis.call('ZADD', KEYS[2], 'inf', ARGV[2])
return 1
"""

#: KEYS: entity key, index key. ARGV: JSON, id, TTL in ms.
SAVE_TTL = (
    _NOW
    + _PRUNE
    + """
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[3])
redis.call('ZADD', KEYS[2], now + tonumber(ARGV[3]), ARGV[2])
return 1
"""
)

#: KEYS: entity key, index key. ARGV: JSON, id, expected version, TTL in ms ('' for
#: none). Optimistic concurrency: stores the entity only if the stored one has the
#: expected version (or, for expected version 0, nothing is stored). Returns
#: ``{1, found}`` when stored, ``{0, found}`` when refused; ``found`` is the stored
#: version, -1 when there is none (a stored entity without the field counts as 0).
SAVE_VERSIONED = (
    """
local current = redis.call('GET', KEYS[1])
local found = -1
if current then
  local version = cjson.decode(current)['version']
  if type(version) == 'number' then found = version else found = 0 end
end
local expected = tonumber(ARGV[3])
if found ~= expected and not (found == -1 and expected == 0) then return {0, found} end
if ARGV[4] == '' then
  redis.call('SET', KEYS[1], ARGV[1])
  redis.call('ZADD', KEYS[2], 'inf', ARGV[2])
  return {1, found}
end
"""
    + _NOW
    + _PRUNE
    + """
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[4])
redis.call('ZADD', KEYS[2], now + tonumber(ARGV[4]), ARGV[2])
return {1, found}
"""
)

#: KEYS: entity key, index key. ARGV: id. Returns 1 if the entity existed.
DELETE = """
local n = redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[1])
return n
"""

#: KEYS: (unused), index key. Returns the ids of unexpired entities.
LIST = _NOW + _PRUNE + "return redis.call('ZRANGE', KEYS[2], 0, -1)\n"

#: KEYS: (unused), index key. Returns the number of unexpired entities.
COUNT = _NOW + _PRUNE + "return redis.call('ZCARD', KEYS[2])\n"

#: KEYS: cache entity key, cache index key, generation key, class epoch key, expiry key.
#: ARGV: JSON, cache TTL in ms, id, generation seen before reading the primary, epoch
#: seen. Stores the entity only if nothing invalidated it since the read began, and
#: never past the primary entity's own expiry (recorded by CACHE_INVALIDATE).
CACHE_FILL = (
    _NOW
    + """
if (redis.call('GET', KEYS[3]) or '0') ~= ARGV[4] then return 0 end
if (redis.call('GET', KEYS[4]) or '0') ~= ARGV[5] then return 0 end
local px = tonumber(ARGV[2])
local expires = redis.call('GET', KEYS[5])
if expires then
  local left = tonumber(expires) - now
  if left <= 0 then return 0 end
  if left < px then px = left end
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', px)
redis.call('ZADD', KEYS[2], now + px, ARGV[3])
return 1
"""
)

#: KEYS: cache entity key, cache index key, generation key, expiry key.
#: ARGV: id, how long generation and expiry records outlive the change (ms), the
#: primary TTL in ms ('' for none). Bumps the generation (so fills that began before
#: are refused) and drops the cached copy.
CACHE_INVALIDATE = (
    _NOW
    + """
redis.call('INCR', KEYS[3])
redis.call('PEXPIRE', KEYS[3], ARGV[2])
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[1])
if ARGV[3] == '' then
  redis.call('DEL', KEYS[4])
else
  local ttl = tonumber(ARGV[3])
  redis.call('SET', KEYS[4], now + ttl, 'PX', ttl + tonumber(ARGV[2]))
end
return 1
"""
)


def sha(script: str) -> str:
    """The SHA1 that ``EVALSHA`` knows *script* by."""
    return hashlib.sha1(script.encode()).hexdigest()
