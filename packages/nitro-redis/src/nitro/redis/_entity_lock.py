"""The Redis half of an action's entity lock: it holds the entity across processes.

Within a process, :mod:`nitro.persistence.entity_locks` makes actions on one entity take
turns; the first in line then takes this lock, a key set only if absent (``SET NX``)
with a random token, so that actions in other processes wait for it too. The key
expires after :data:`LOCK_TTL` seconds, so a process killed while holding it does not
hold the entity for ever, and it is deleted only by its holder (a compare-and-delete
script), so an action that outlived the expiry cannot free another's lock.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from typing import TYPE_CHECKING, Any

from nitro.persistence import entity_locks
from nitro.persistence.entity_locks import EntityLocks
from nitro.redis._connection import UNAVAILABLE_ERRORS, raise_unavailable

if TYPE_CHECKING:
    from nitro.redis.repo import RedisRepo

__all__ = ["LOCKS", "LOCK_TTL", "ahold", "hold", "lock_key"]

#: The entities this process's actions hold (keyed by URL, key prefix and id).
LOCKS = EntityLocks()

logger = logging.getLogger("nitro.redis")

#: Seconds a lock outlives a holder that never releases it (a killed process).
LOCK_TTL = 30.0

_UNLOCK = """
if redis.call('get', KEYS[1]) == ARGV[1] then
    return redis.call('del', KEYS[1])
end
return 0
"""


def lock_key(prefix: str, namespace: str, entity_id: str) -> str:
    """The lock's key: beside the entities' keys (``prefix:namespace:id``), never
    among them."""
    return f"{prefix}-lock:{namespace}:{entity_id}"


def _gave_up(key: str) -> None:
    logger.warning(
        "an action waited %.0f s for %s, held by another process; it goes on without it",
        entity_locks.ENTITY_WAIT,
        key,
    )


def take(client: Any, key: str) -> str | None:
    """Take the lock, waiting up to ``ENTITY_WAIT`` seconds; its token, or ``None``."""
    token = secrets.token_hex(16)
    ttl = int(LOCK_TTL * 1000)
    deadline = time.monotonic() + entity_locks.ENTITY_WAIT
    pause = 0.001
    while not client.set(key, token, nx=True, px=ttl):
        if time.monotonic() >= deadline:
            _gave_up(key)
            return None
        time.sleep(pause)
        pause = min(pause * 2, 0.05)
    return token


async def atake(client: Any, key: str) -> str | None:
    """:func:`take` for async code (waits on the event loop)."""
    token = secrets.token_hex(16)
    ttl = int(LOCK_TTL * 1000)
    deadline = time.monotonic() + entity_locks.ENTITY_WAIT
    pause = 0.001
    while not await client.set(key, token, nx=True, px=ttl):
        if time.monotonic() >= deadline:
            _gave_up(key)
            return None
        await asyncio.sleep(pause)
        pause = min(pause * 2, 0.05)
    return token


def give(client: Any, key: str, token: str) -> None:
    """Release the lock if this holder still has it."""
    client.eval(_UNLOCK, 1, key, token)


async def agive(client: Any, key: str, token: str) -> None:
    await client.eval(_UNLOCK, 1, key, token)


def hold(repo: RedisRepo[Any], entity_id: str) -> None:
    """Hold *entity_id* until the current transaction ends: in this process, and then
    in Redis for the others (nothing outside a transaction, or if held already)."""
    if not LOCKS.lock((repo.url, repo.index_key, entity_id)):
        return
    key = lock_key(repo.prefix, repo.namespace, entity_id)
    try:
        token = take(repo.client, key)
    except UNAVAILABLE_ERRORS as error:
        raise_unavailable(repo.url, error)
    if token is not None:
        LOCKS.hold(
            lambda: give(repo.client, key, token),
            lambda: agive(repo._aclients.get(), key, token),
        )


async def ahold(repo: RedisRepo[Any], entity_id: str) -> None:
    """:func:`hold` for async code (waits on the event loop)."""
    if not await LOCKS.alock((repo.url, repo.index_key, entity_id)):
        return
    key = lock_key(repo.prefix, repo.namespace, entity_id)
    client = repo._aclients.get()
    try:
        token = await atake(client, key)
    except UNAVAILABLE_ERRORS as error:
        raise_unavailable(repo.url, error)
    if token is not None:
        LOCKS.hold(lambda: give(repo.client, key, token), lambda: agive(client, key, token))
