"""Connecting to Redis: the URL, shared pools, bounded timeouts and error translation.

Everything in nitro-redis talks to Redis through clients made here, so the rules live
in one place:

* the URL comes from the caller, else ``NITRO_REDIS_URL`` (read when a client is made,
  never at import), else ``redis://localhost:6379/0``;
* every socket operation is bounded (:data:`DEFAULT_TIMEOUT`) and a failed command is
  retried at most :data:`DEFAULT_RETRIES` times, so an unreachable Redis fails fast;
* connection and timeout errors become
  :class:`~nitro.persistence.BackendUnavailable` naming the host, never the password.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
import weakref
from collections.abc import AsyncIterator, Iterator
from typing import Any, NoReturn
from urllib.parse import unquote, urlsplit

import redis
import redis.asyncio
from redis.asyncio.retry import Retry as AsyncRetry
from redis.backoff import ExponentialBackoff
from redis.exceptions import ClusterDownError, ReadOnlyError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from redis.retry import Retry

from nitro.persistence.errors import BackendUnavailable

__all__ = [
    "DEFAULT_MAX_CONNECTIONS",
    "DEFAULT_RETRIES",
    "DEFAULT_TIMEOUT",
    "DEFAULT_URL",
    "ENV_URL",
    "UNAVAILABLE_ERRORS",
    "AsyncClients",
    "atranslate_errors",
    "describe_url",
    "raise_unavailable",
    "resolve_url",
    "sync_client",
    "translate_errors",
]

ENV_URL = "NITRO_REDIS_URL"
DEFAULT_URL = "redis://localhost:6379/0"
#: Seconds allowed to connect and for each reply. A refused connection fails at once;
#: a server that accepts but never answers fails after about 4 x this (the connection
#: handshake and the command, each tried twice with DEFAULT_RETRIES = 1).
DEFAULT_TIMEOUT = 1.0
#: Extra attempts after a connection error on an established connection (a Redis
#: restart leaves dead sockets in the pool; one retry reconnects transparently).
DEFAULT_RETRIES = 1

#: Errors that mean "Redis cannot be reached", not "the command was wrong".
UNAVAILABLE_ERRORS: tuple[type[BaseException], ...] = (
    RedisConnectionError,  # includes BusyLoadingError (a restarted Redis loading data)
    RedisTimeoutError,
    ReadOnlyError,  # a replica: after a failover, the old primary refuses writes
    ClusterDownError,  # includes MasterDownError
    ConnectionError,  # OSError subclasses raised before redis-py wraps them
    TimeoutError,
)


def resolve_url(url: str | None) -> str:
    """*url*, else ``$NITRO_REDIS_URL``, else :data:`DEFAULT_URL`."""
    if url:
        return url
    return os.environ.get(ENV_URL) or DEFAULT_URL


def describe_url(url: str) -> str:
    """*url* without credentials or query: ``redis://cache.internal:6379/0``."""
    parts = urlsplit(url)
    if parts.scheme == "unix":
        return f"unix://{parts.path}"
    host = parts.hostname or "localhost"
    if ":" in host:
        host = f"[{host}]"
    port = parts.port or 6379
    db = parts.path.strip("/") or "0"
    return f"{parts.scheme or 'redis'}://{host}:{port}/{db}"


def _password(url: str) -> str | None:
    password = urlsplit(url).password
    return unquote(password) if password else None


def unavailable(url: str, error: BaseException) -> BackendUnavailable:
    """A :class:`BackendUnavailable` for *error*, naming the server but no secret."""
    detail = str(error) or type(error).__name__
    password = _password(url)
    if password:
        detail = detail.replace(password, "***")
    return BackendUnavailable(f"Redis at {describe_url(url)} is unavailable: {detail}")


def raise_unavailable(url: str, error: BaseException) -> NoReturn:
    raise unavailable(url, error) from error


@contextlib.contextmanager
def translate_errors(url: str) -> Iterator[None]:
    """Turn "cannot reach Redis" errors into :class:`BackendUnavailable`."""
    try:
        yield
    except UNAVAILABLE_ERRORS as error:
        raise_unavailable(url, error)


@contextlib.asynccontextmanager
async def atranslate_errors(url: str) -> AsyncIterator[None]:
    try:
        yield
    except UNAVAILABLE_ERRORS as error:
        raise_unavailable(url, error)


def _options(timeout: float) -> dict[str, Any]:
    return {
        "socket_timeout": timeout,
        "socket_connect_timeout": timeout,
        "health_check_interval": 30,
    }


#: Connections per pool; when all are busy a command waits (up to the timeout) for
#: one to come back instead of failing, so a burst of requests queues rather than errs.
DEFAULT_MAX_CONNECTIONS = 64

_pools_lock = threading.Lock()
_pools: dict[tuple[str, float, int, int], redis.BlockingConnectionPool] = {}


def sync_client(
    url: str,
    timeout: float = DEFAULT_TIMEOUT,
    retries: int = DEFAULT_RETRIES,
    max_connections: int = DEFAULT_MAX_CONNECTIONS,
) -> redis.Redis:
    """A client on the process-wide pool for these settings.

    Repositories of different entity classes on the same Redis share one pool, so the
    number of connections follows the number of concurrent commands, not of classes.
    redis-py pools notice a fork and reconnect in the child.
    """
    key = (url, timeout, retries, max_connections)
    with _pools_lock:
        pool = _pools.get(key)
        if pool is None:
            pool = _pools[key] = redis.BlockingConnectionPool.from_url(
                url,
                max_connections=max_connections,
                timeout=timeout,
                retry=Retry(ExponentialBackoff(cap=0.2, base=0.02), retries),
                **_options(timeout),
            )
    return redis.Redis(connection_pool=pool)


class AsyncClients:
    """One ``redis.asyncio`` client per event loop.

    An asyncio connection belongs to the loop that opened it, while a repository is
    shared by every thread and loop of the process; so each loop gets its own client,
    forgotten with the loop. Call :meth:`aclose` before a loop ends to close its
    connections (an app server's single loop may simply exit).
    """

    def __init__(
        self,
        url: str,
        timeout: float,
        retries: int,
        max_connections: int = DEFAULT_MAX_CONNECTIONS,
    ) -> None:
        self.url = url
        self.timeout = timeout
        self.retries = retries
        self.max_connections = max_connections
        self._lock = threading.Lock()
        self._clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, redis.asyncio.Redis] = (
            weakref.WeakKeyDictionary()
        )

    def get(self) -> redis.asyncio.Redis:
        loop = asyncio.get_running_loop()
        client = self._clients.get(loop)
        if client is None:
            with self._lock:
                client = self._clients.get(loop)
                if client is None:
                    pool = redis.asyncio.BlockingConnectionPool.from_url(
                        self.url,
                        max_connections=self.max_connections,
                        timeout=self.timeout,
                        retry=AsyncRetry(ExponentialBackoff(cap=0.2, base=0.02), self.retries),
                        **_options(self.timeout),
                    )
                    # from_pool: closing the client closes the pool's connections too.
                    client = self._clients[loop] = redis.asyncio.Redis.from_pool(pool)
        return client

    async def aclose(self) -> None:
        """Close the connections of the running loop's client."""
        loop = asyncio.get_running_loop()
        with self._lock:
            client = self._clients.pop(loop, None)
        if client is not None:
            await client.aclose()
