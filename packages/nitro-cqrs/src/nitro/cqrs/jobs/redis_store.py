"""The job store of the real engines, in Redis: shared by every worker and web process.

Keys (under *prefix*, default ``nitro:jobs:``): ``job:{id}`` a hash (the envelope, the
state, times, the last error and traceback); ``state:{state}`` and ``recent`` sorted
sets of ids by last change, for counts and listings; ``lease:{id}`` while a run holds
its job; ``key:{key}`` an idempotency key. The state changes are Lua scripts, so two
workers never both start one job. "Queued" on a fresh send and "done" are written
behind (:mod:`~nitro.cqrs.jobs.write_behind`): they ride on the next round trip, or go
within 50 ms; every read sends them first. Finished jobs are kept ``keep_done`` seconds (their
record is what makes a late redelivery a no-op); dead ones until discarded.

A Redis that cannot be reached raises :class:`~nitro.persistence.BackendUnavailable`
naming it (without its password).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import redis

from nitro.cqrs.jobs.envelope import Envelope
from nitro.cqrs.jobs.store import STATES, JobRecord, JobStore
from nitro.cqrs.jobs.write_behind import WriteBehind
from nitro.persistence import BackendUnavailable

__all__ = ["RedisJobStore", "reaching", "safe_url"]

# Every state change: the job leaves the set of the state it was in (``old``) and joins
# the new one's; ``recent`` orders every job by its last change.
_MOVE = """
local function move(old)
  if old then redis.call('ZREM', ARGV[1] .. 'state:' .. old, ARGV[2]) end
  redis.call('ZADD', ARGV[1] .. 'state:' .. ARGV[3], ARGV[4], ARGV[2])
  redis.call('ZADD', ARGV[1] .. 'recent', ARGV[4], ARGV[2])
end
"""

# KEYS: job hash, lease. ARGV: prefix, id, 'running', now, envelope, lease ms, renew
_START = (
    _MOVE
    + """
local state = redis.call('HGET', KEYS[1], 'state')
if ARGV[7] == '1' then
  if state == 'running' then redis.call('PEXPIRE', KEYS[2], ARGV[6]) end
  return ''
end
if state == 'done' then return 'done' end
if not redis.call('SET', KEYS[2], '1', 'NX', 'PX', ARGV[6]) then return 'running' end
redis.call('HSET', KEYS[1], 'envelope', ARGV[5], 'state', 'running', 'started_at', ARGV[4],
           'updated_at', ARGV[4], 'finished_at', '')
redis.call('PERSIST', KEYS[1])
move(state)
return ''
"""
)

# KEYS: job hash. ARGV: prefix, id, 'queued', now, envelope
_QUEUED = (
    _MOVE
    + """
local state = redis.call('HGET', KEYS[1], 'state')
if state and state ~= 'dead' then return 0 end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'envelope', ARGV[5], 'state', 'queued', 'updated_at', ARGV[4])
move(state)
return 1
"""
)

# KEYS: job hash, lease. ARGV: prefix, id, state, now, envelope, error, traceback, reason,
# keep-done seconds, cutoff. Finished jobs older than the cutoff leave the listings at
# most once a second (a guard key), not on every job.
_FINISH = (
    _MOVE
    + """
local state = redis.call('HGET', KEYS[1], 'state')
redis.call('HSET', KEYS[1], 'envelope', ARGV[5], 'state', ARGV[3], 'updated_at', ARGV[4],
           'finished_at', ARGV[4], 'error', ARGV[6], 'traceback', ARGV[7], 'reason', ARGV[8])
redis.call('DEL', KEYS[2])
move(state)
if ARGV[3] == 'done' then
  redis.call('EXPIRE', KEYS[1], ARGV[9])
  if redis.call('SET', ARGV[1] .. 'trimmed', '1', 'NX', 'PX', 1000) then
    redis.call('ZREMRANGEBYSCORE', ARGV[1] .. 'state:done', '-inf', ARGV[10])
    redis.call('ZREMRANGEBYSCORE', ARGV[1] .. 'recent', '-inf', ARGV[10])
  end
end
return 1
"""
)

# KEYS: key. ARGV: job id
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


def safe_url(url: str) -> str:
    """*url* with its password replaced by ``***`` (for messages and logs)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{parts.username or ''}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


@contextmanager
def reaching(what: str, url: str) -> Iterator[None]:
    """Turn Redis failing to answer into :class:`BackendUnavailable` naming *what* at
    *url* (without its password): the store and the Redis-based engines share it."""
    try:
        yield
    except (redis.ConnectionError, redis.TimeoutError) as exc:
        raise BackendUnavailable(f"{what} at {safe_url(url)} cannot be reached: {exc}") from exc


class RedisJobStore(JobStore):
    """Job state in the Redis at *url* (see the module docs)."""

    def __init__(self, url: str, *, prefix: str = "nitro:jobs:", keep_done: float | None = None):
        self.url = url
        self.prefix = prefix
        if keep_done is not None:
            self.keep_done = keep_done
        self.client = redis.Redis.from_url(url, decode_responses=True, socket_connect_timeout=5)
        self._later = WriteBehind(self.client)
        self._release = self.client.register_script(_RELEASE)

    def __repr__(self) -> str:
        return f"RedisJobStore({safe_url(self.url)!r})"

    def _reaching(self) -> AbstractContextManager[None]:
        return reaching("the job store", self.url)

    def _job(self, job_id: str) -> str:
        return f"{self.prefix}job:{job_id}"

    def _lease(self, job_id: str) -> str:
        return f"{self.prefix}lease:{job_id}"

    def reserve_key(self, key: str, job_id: str, ttl: float) -> str | None:
        name = f"{self.prefix}key:{key}"
        with self._reaching():
            if self.client.set(name, job_id, nx=True, px=max(1, int(ttl * 1000))):
                return None
            held = self.client.get(name)
        return str(held) if held is not None else None

    def release_key(self, key: str, job_id: str) -> None:
        with self._reaching():
            self._release(keys=[f"{self.prefix}key:{key}"], args=[job_id])

    def _queued_call(self, envelope: Envelope) -> tuple[list[str], list[Any]]:
        return [self._job(envelope.id)], [
            self.prefix,
            envelope.id,
            "queued",
            time.time(),
            envelope.to_json(),
        ]

    def queued(self, envelope: Envelope) -> bool:
        keys, args = self._queued_call(envelope)
        with self._reaching():
            done = self._later.send((_QUEUED, keys, args))
        return bool(done)

    def note_queued(self, envelope: Envelope) -> None:
        self._later.add(_QUEUED, *self._queued_call(envelope))

    def start(self, envelope: Envelope, lease: float, *, renew: bool = False) -> str | None:
        keys = [self._job(envelope.id), self._lease(envelope.id)]
        args = [
            self.prefix,
            envelope.id,
            "running",
            time.time(),
            envelope.to_json(),
            max(1, int(lease * 1000)),
            "1" if renew else "0",
        ]
        with self._reaching():
            why = self._later.send((_START, keys, args))
        return str(why) or None

    def finish(
        self,
        envelope: Envelope,
        state: str,
        *,
        error: str | None = None,
        traceback: str | None = None,
        reason: str | None = None,
    ) -> None:
        """Record the end of a run; a job ``done`` is written behind (see
        :mod:`~nitro.cqrs.jobs.write_behind`), any other outcome at once."""
        now = time.time()
        keys = [self._job(envelope.id), self._lease(envelope.id)]
        args = [
            self.prefix,
            envelope.id,
            state,
            now,
            envelope.to_json(),
            error or "",
            traceback or "",
            reason or "",
            int(self.keep_done),
            now - self.keep_done,
        ]
        if state == "done":
            self._later.add(_FINISH, keys, args)
            return
        with self._reaching():
            self._later.send((_FINISH, keys, args))

    def flush(self) -> None:
        with self._reaching():
            self._later.flush()

    def _record(self, fields: Any) -> JobRecord | None:
        if not fields.get("envelope"):
            return None

        def number(name: str) -> float | None:
            value = fields.get(name)
            return float(value) if value else None

        return JobRecord(
            envelope=Envelope.from_json(fields["envelope"]),
            state=fields.get("state", "queued"),
            updated_at=number("updated_at") or 0.0,
            started_at=number("started_at"),
            finished_at=number("finished_at"),
            error=fields.get("error") or None,
            traceback=fields.get("traceback") or None,
            reason=fields.get("reason") or None,
        )

    def get(self, job_id: str) -> JobRecord | None:
        self.flush()
        with self._reaching():
            return self._record(self.client.hgetall(self._job(job_id)))

    def counts(self) -> dict[str, int]:
        self.flush()
        with self._reaching():
            pipe = self.client.pipeline(transaction=False)
            for state in STATES:
                pipe.zcard(f"{self.prefix}state:{state}")
            return dict(zip(STATES, (int(n) for n in pipe.execute()), strict=True))

    def recent(self, limit: int = 50, state: str | None = None) -> list[JobRecord]:
        index = f"{self.prefix}recent" if state is None else f"{self.prefix}state:{state}"
        self.flush()
        with self._reaching():
            ids: Any = self.client.zrevrange(index, 0, max(0, limit - 1))
            pipe = self.client.pipeline(transaction=False)
            for job_id in ids:
                pipe.hgetall(self._job(str(job_id)))
            found = [self._record(fields) for fields in pipe.execute()]
        return [record for record in found if record is not None]

    def discard(self, job_id: str) -> bool:
        record = self.get(job_id)
        if record is None or record.state != "dead":
            return False
        with self._reaching():
            pipe = self.client.pipeline()
            pipe.delete(self._job(job_id))
            pipe.zrem(f"{self.prefix}recent", job_id)
            for state in STATES:
                pipe.zrem(f"{self.prefix}state:{state}", job_id)
            pipe.execute()
        return True

    def clear(self) -> None:
        """Delete every key of this store (tests)."""
        self.flush()
        with self._reaching():
            for name in self.client.scan_iter(match=f"{self.prefix}*", count=500):
                self.client.delete(name)

    def close(self) -> None:
        try:
            self.flush()
        finally:
            self.client.close()
