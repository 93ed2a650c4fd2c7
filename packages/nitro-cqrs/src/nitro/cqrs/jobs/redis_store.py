"""The job store of the real engines, in Redis: shared by every worker and web process.

Keys (under *prefix*, default ``nitro:jobs:``): ``job:{id}`` a hash (the envelope, the
state, times, the last error and traceback); ``state:{state}`` and ``recent`` sorted
sets of ids by last change, for counts and listings; ``lease:{id}`` while a run holds
its job; ``key:{key}`` an idempotency key. The state changes are Lua scripts, so two
workers never both start one job. "Queued" on a fresh send and "done" are written
behind (:mod:`~nitro.cqrs.jobs.write_behind`): they ride on the next round trip, or go
within 50 ms; every read sends them first. So is a first delivery's start (see
``CeleryEngine``); when the job is done before its start has left the process, one
record carries both. Finished jobs are kept ``keep_done`` seconds (their
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

# The scripts take no KEYS: ARGV[1] is the prefix, then one record per job (the
# written-behind ones carry many records, one call for a batch). Every state change
# moves the job from the set of the state it was in to the new one's; ``recent`` orders
# every job by its last change.
_MOVE = """
local p = ARGV[1]
local function move(id, old, new, now)
  if old then redis.call('ZREM', p .. 'state:' .. old, id) end
  redis.call('ZADD', p .. 'state:' .. new, now, id)
  redis.call('ZADD', p .. 'recent', now, id)
end
"""

# Record: id, now, envelope. The answer is the last record's: 1 if it was recorded, 0
# when the job was sent already and is not dead.
_QUEUED = (
    _MOVE
    + """
local answer = 0
for i = 2, #ARGV, 3 do
  local id, now = ARGV[i], ARGV[i + 1]
  local job = p .. 'job:' .. id
  local state = redis.call('HGET', job, 'state')
  answer = 0
  if not state or state == 'dead' then
    if state then redis.call('DEL', job) end  -- a revived job starts a new record
    redis.call('HSET', job, 'envelope', ARGV[i + 2], 'state', 'queued', 'updated_at', now)
    move(id, state, 'queued', now)
    answer = 1
  end
end
return answer
"""
)

# Record: id, now, envelope, lease ms, renew ('1': only extend a running job's lease).
# A run begins: the job's hash records it (and the envelope), kept until it finishes.
_RUNNING = """
local function running(job, id, state, envelope, now)
  redis.call('HSET', job, 'envelope', envelope, 'state', 'running', 'started_at', now,
             'updated_at', now, 'finished_at', '')
  redis.call('PERSIST', job)
  move(id, state, 'running', now)
end
"""

_START = (
    _MOVE
    + _RUNNING
    + """
local id, now = ARGV[2], ARGV[3]
local job, lease = p .. 'job:' .. id, p .. 'lease:' .. id
local state = redis.call('HGET', job, 'state')
if ARGV[6] == '1' then
  if state == 'running' then redis.call('PEXPIRE', lease, ARGV[5]) end
  return ''
end
if state == 'done' then return 'done' end
if not redis.call('SET', lease, '1', 'NX', 'PX', ARGV[5]) then return 'running' end
running(job, id, state, ARGV[4], now)
return ''
"""
)

# Record: id, now, envelope, lease ms. A first delivery's start, written behind: it only
# moves a job that is new or queued, so a "done" that overtakes it in a batch stands.
_STARTED = (
    _MOVE
    + _RUNNING
    + """
for i = 2, #ARGV, 4 do
  local id, now = ARGV[i], ARGV[i + 1]
  local job = p .. 'job:' .. id
  local state = redis.call('HGET', job, 'state')
  if not state or state == 'queued' then
    redis.call('SET', p .. 'lease:' .. id, '1', 'PX', ARGV[i + 3])
    running(job, id, state, ARGV[i + 2], now)
  end
end
return 1
"""
)

# Record: id, state, now, envelope, error, traceback, reason, seconds a done record is
# kept, and the start time of a run whose written-behind start never left this process
# ('' otherwise): the finish then records the start too, and no lease was taken. Done
# jobs older than that leave the listings at most once a second (a guard key), not on
# every job.
_FINISH = (
    _MOVE
    + """
local trim
for i = 2, #ARGV, 9 do
  local id, new, now = ARGV[i], ARGV[i + 1], ARGV[i + 2]
  local job = p .. 'job:' .. id
  local state = redis.call('HGET', job, 'state')
  redis.call('HSET', job, 'envelope', ARGV[i + 3], 'state', new, 'updated_at', now,
             'finished_at', now, 'error', ARGV[i + 4], 'traceback', ARGV[i + 5],
             'reason', ARGV[i + 6])
  if ARGV[i + 8] == '' then
    redis.call('DEL', p .. 'lease:' .. id)
  else
    redis.call('HSET', job, 'started_at', ARGV[i + 8])
  end
  move(id, state, new, now)
  if new == 'done' then
    redis.call('EXPIRE', job, ARGV[i + 7])
    trim = tonumber(now) - tonumber(ARGV[i + 7])
  end
end
if trim and redis.call('SET', p .. 'trimmed', '1', 'NX', 'PX', 1000) then
  redis.call('ZREMRANGEBYSCORE', p .. 'state:done', '-inf', trim)
  redis.call('ZREMRANGEBYSCORE', p .. 'recent', '-inf', trim)
end
return 1
"""
)

# KEYS: key. ARGV: job id
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


def _milliseconds(seconds: float) -> int:
    """A lease for Redis's ``PX`` (at least 1 ms)."""
    return max(1, int(seconds * 1000))


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
    """Job state in the Redis at *url* (see the module docs); *write_delay*: seconds a
    written-behind record may wait before a thread sends it."""

    def __init__(
        self,
        url: str,
        *,
        prefix: str = "nitro:jobs:",
        keep_done: float | None = None,
        write_delay: float = 0.05,
    ):
        self.url = url
        self.prefix = prefix
        if keep_done is not None:
            self.keep_done = keep_done
        self.client = redis.Redis.from_url(url, decode_responses=True, socket_connect_timeout=5)
        self._later = WriteBehind(self.client, prefix, delay=write_delay)
        self._release = self.client.register_script(_RELEASE)

    def __repr__(self) -> str:
        return f"RedisJobStore({safe_url(self.url)!r})"

    def _reaching(self) -> AbstractContextManager[None]:
        return reaching("the job store", self.url)

    def _job(self, job_id: str) -> str:
        return f"{self.prefix}job:{job_id}"

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

    def queued(self, envelope: Envelope) -> bool:
        with self._reaching():
            return bool(self._later.send(_QUEUED, self._queued_record(envelope)))

    def note_queued(self, envelope: Envelope) -> None:
        self._later.add(_QUEUED, self._queued_record(envelope))

    @staticmethod
    def _queued_record(envelope: Envelope) -> list[Any]:
        return [envelope.id, time.time(), envelope.to_json()]

    def start(self, envelope: Envelope, lease: float, *, renew: bool = False) -> str | None:
        record = [
            envelope.id,
            time.time(),
            "" if renew else envelope.to_json(),
            _milliseconds(lease),
            "1" if renew else "0",
        ]
        with self._reaching():
            return str(self._later.send(_START, record)) or None

    def ping(self) -> None:
        with self._reaching():
            self.client.ping()

    def note_started(self, envelope: Envelope, lease: float) -> None:
        record = [envelope.id, time.time(), envelope.to_json(), _milliseconds(lease)]
        self._later.add(_STARTED, record, key=envelope.id)

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
        record = [
            envelope.id,
            state,
            time.time(),
            envelope.to_json(),
            error or "",
            traceback or "",
            reason or "",
            int(self.keep_done),
            "",
        ]
        if state == "done":
            # A short job's start is often still waiting here: one record does both
            # (half the work in Redis; the lease it would take is never needed).
            started = self._later.take(_STARTED, envelope.id)
            if started is not None:
                record[-1] = started[1]
            self._later.add(_FINISH, record)
            return
        with self._reaching():
            self._later.send(_FINISH, record)

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
            self._later.close()
            self.client.close()
