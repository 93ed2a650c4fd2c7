"""RedisCounterStore: expiring counters shared by every instance of the app.

It implements nitro-core's :class:`~nitro.throttle.CounterStore`, so a limit such as
the admin's login throttle holds across processes and machines:

.. code-block:: python

    from nitro.admin import Admin
    from nitro.redis import RedisCounterStore

    admin = Admin(auth=..., throttle_store=RedisCounterStore("redis://cache:6379/0"))

Each counter is one Redis key, ``<prefix>:<key>``, incremented and given its expiry
in one Lua script (atomic: two instances never both see the same count).
"""

from __future__ import annotations

from typing import Any

from redis.exceptions import NoScriptError

from nitro.redis._connection import (
    DEFAULT_RETRIES,
    DEFAULT_TIMEOUT,
    resolve_url,
    sync_client,
    translate_errors,
)
from nitro.redis._scripts import sha

__all__ = ["RedisCounterStore"]

#: KEYS: counter key. ARGV: window in ms. Returns the new count.
_HIT = """
local n = redis.call('INCR', KEYS[1])
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return n
"""

#: KEYS: counter key. Returns {count, ms left} ({0, 0} when absent).
_PEEK = """
local n = redis.call('GET', KEYS[1])
if not n then return {0, 0} end
local left = redis.call('PTTL', KEYS[1])
if left < 0 then left = 0 end
return {tonumber(n), left}
"""


_SHAS = {_HIT: sha(_HIT), _PEEK: sha(_PEEK)}


class RedisCounterStore:
    """Counters in Redis that expire *window* seconds after their last hit.

    :param url: the Redis URL; default ``$NITRO_REDIS_URL``, else
        ``redis://localhost:6379/0``.
    :param prefix: first part of every key.
    :param timeout: seconds allowed to connect and for each reply.

    Raises :class:`~nitro.persistence.BackendUnavailable` (naming the server, never
    the password) when Redis cannot be reached.
    """

    def __init__(
        self,
        url: str | None = None,
        *,
        prefix: str = "nitro:counter",
        timeout: float = DEFAULT_TIMEOUT,
        retries: int = DEFAULT_RETRIES,
    ) -> None:
        self.url = resolve_url(url)
        self.prefix = prefix
        self.client = sync_client(self.url, timeout, retries)

    def __repr__(self) -> str:
        return f"RedisCounterStore(prefix={self.prefix!r})"

    def _eval(self, script: str, key: str, *args: Any) -> Any:
        with translate_errors(self.url):
            try:
                return self.client.evalsha(_SHAS[script], 1, f"{self.prefix}:{key}", *args)
            except NoScriptError:
                return self.client.eval(script, 1, f"{self.prefix}:{key}", *args)

    def hit(self, key: str, window: float) -> int:
        return int(self._eval(_HIT, key, max(1, round(window * 1000))))

    def peek(self, key: str) -> tuple[int, float]:
        count, left = self._eval(_PEEK, key)
        return int(count), int(left) / 1000

    def reset(self, key: str) -> None:
        with translate_errors(self.url):
            self.client.delete(f"{self.prefix}:{key}")
