"""Where jobs are tracked: their state for the dashboard, the dead-letter queue, the
idempotency keys and the lease that keeps one job from running twice at once.

Two implementations of one small interface: :class:`MemoryJobStore` (the in-process
engine, tests) and :class:`~nitro.cqrs.jobs.redis_store.RedisJobStore` (every real
engine: the workers and the web processes share it).

States: ``queued`` (sent, or waiting for a retry), ``running``, ``done``, ``failed``
(the last run failed and a retry is scheduled), ``dead`` (in the dead-letter queue).
"""

from __future__ import annotations

import threading
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass, field, replace
from typing import Any

from nitro.cqrs.jobs.envelope import Envelope

__all__ = ["STATES", "JobRecord", "JobStore", "MemoryJobStore"]

#: The states a job record goes through, in order (``dead``: out of retries).
STATES = ("queued", "running", "done", "failed", "dead")


@dataclass(frozen=True)
class JobRecord:
    """What the store knows of one job."""

    envelope: Envelope
    state: str
    updated_at: float
    started_at: float | None = None
    finished_at: float | None = None
    error: str | None = None
    traceback: str | None = None
    reason: str | None = None

    @property
    def id(self) -> str:
        return self.envelope.id

    @property
    def duration(self) -> float | None:
        if self.started_at is None or self.finished_at is None:
            return None
        return self.finished_at - self.started_at


class JobStore(ABC):
    """The operations the runner, the enqueue path and the dashboard need."""

    #: Seconds a finished job's record is kept (the dedupe of a redelivery needs it).
    keep_done: float = 7 * 24 * 3600.0

    @abstractmethod
    def reserve_key(self, key: str, job_id: str, ttl: float) -> str | None:
        """Take idempotency *key* for *job_id*; ``None`` if taken now, else the id of
        the job that holds it."""

    @abstractmethod
    def release_key(self, key: str, job_id: str) -> None:
        """Give *key* back (the send failed), if *job_id* still holds it."""

    @abstractmethod
    def queued(self, envelope: Envelope) -> bool:
        """Record a job as sent; ``False`` (nothing changed) when this job id was sent
        already and is not dead — a relay sending it a second time."""

    def note_queued(self, envelope: Envelope) -> None:
        """Record a job with a new id as sent, without waiting for the answer (a store
        may send it with a later write)."""
        self.queued(envelope)

    def flush(self) -> None:  # noqa: B027 - most stores keep nothing waiting
        """Send the writes a store keeps waiting (before a worker exits)."""

    def ping(self) -> None:  # noqa: B027 - a store in this process is always there
        """Raise when the store does not answer."""

    def note_started(self, envelope: Envelope, lease: float) -> None:
        """Mark the first delivery of a job with a new id as started, without waiting
        for the answer (a store may send it with a later write). Nothing can have run
        the job before, and another delivery of it can only come after *lease*
        seconds (the broker's visibility timeout), long after the write landed."""
        self.start(envelope, lease)

    @abstractmethod
    def start(self, envelope: Envelope, lease: float, *, renew: bool = False) -> str | None:
        """Mark a run as started; ``None`` if it may run, else why not (``"done"``:
        it completed already; ``"running"``: another worker holds its lease). With
        *renew*, only extend the lease of the run in progress."""

    @abstractmethod
    def finish(
        self,
        envelope: Envelope,
        state: str,
        *,
        error: str | None = None,
        traceback: str | None = None,
        reason: str | None = None,
    ) -> None:
        """Record the end of a run: ``done``, ``failed`` (retry scheduled) or ``dead``."""

    @abstractmethod
    def get(self, job_id: str) -> JobRecord | None: ...

    @abstractmethod
    def counts(self) -> dict[str, int]:
        """``{state: number of jobs}`` for every state in :data:`STATES`."""

    @abstractmethod
    def recent(self, limit: int = 50, state: str | None = None) -> list[JobRecord]:
        """The most recently updated jobs (of *state*), newest first."""

    @abstractmethod
    def discard(self, job_id: str) -> bool:
        """Forget a dead job; whether there was one."""

    def dead_letters(self, limit: int = 50) -> list[JobRecord]:
        return self.recent(limit, state="dead")

    def revive(self, job_id: str) -> Envelope | None:
        """A dead job's envelope, reset to its first run and queued again (the caller
        sends it); ``None`` if it is not dead."""
        record = self.get(job_id)
        if record is None or record.state != "dead":
            return None
        envelope = record.envelope.model_copy(update={"attempt": 1, "enqueued_at": time.time()})
        return envelope if self.queued(envelope) else None


@dataclass
class _Entry:
    record: JobRecord
    lease_until: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)


class MemoryJobStore(JobStore):
    """The store of the in-process engine: this process only."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._jobs: dict[str, _Entry] = {}
        self._keys: dict[str, tuple[str, float]] = {}

    def reserve_key(self, key: str, job_id: str, ttl: float) -> str | None:
        now = time.time()
        with self._lock:
            held = self._keys.get(key)
            if held is not None and held[1] > now:
                return held[0]
            self._keys[key] = (job_id, now + ttl)
            return None

    def release_key(self, key: str, job_id: str) -> None:
        with self._lock:
            if self._keys.get(key, ("",))[0] == job_id:
                del self._keys[key]

    def queued(self, envelope: Envelope) -> bool:
        with self._lock:
            entry = self._jobs.get(envelope.id)
            if entry is not None and entry.record.state != "dead":
                return False
            self._jobs[envelope.id] = _Entry(JobRecord(envelope, "queued", time.time()))
            return True

    def start(self, envelope: Envelope, lease: float, *, renew: bool = False) -> str | None:
        now = time.time()
        with self._lock:
            entry = self._jobs.setdefault(envelope.id, _Entry(JobRecord(envelope, "queued", now)))
            if renew:
                if entry.record.state == "running":
                    entry.lease_until = now + lease
                return None
            if entry.record.state == "done":
                return "done"
            if entry.record.state == "running" and entry.lease_until > now:
                return "running"
            entry.lease_until = now + lease
            entry.record = replace(
                entry.record,
                envelope=envelope,
                state="running",
                started_at=now,
                updated_at=now,
                finished_at=None,
            )
            return None

    def finish(
        self,
        envelope: Envelope,
        state: str,
        *,
        error: str | None = None,
        traceback: str | None = None,
        reason: str | None = None,
    ) -> None:
        now = time.time()
        with self._lock:
            entry = self._jobs.setdefault(envelope.id, _Entry(JobRecord(envelope, state, now)))
            entry.lease_until = 0.0
            entry.record = replace(
                entry.record,
                envelope=envelope,
                state=state,
                updated_at=now,
                finished_at=now,
                error=error,
                traceback=traceback,
                reason=reason,
            )

    def get(self, job_id: str) -> JobRecord | None:
        with self._lock:
            entry = self._jobs.get(job_id)
            return None if entry is None else entry.record

    def counts(self) -> dict[str, int]:
        found = dict.fromkeys(STATES, 0)
        with self._lock:
            for entry in self._jobs.values():
                found[entry.record.state] += 1
        return found

    def recent(self, limit: int = 50, state: str | None = None) -> list[JobRecord]:
        with self._lock:
            records = [
                e.record for e in self._jobs.values() if state is None or e.record.state == state
            ]
        return sorted(records, key=lambda r: r.updated_at, reverse=True)[:limit]

    def discard(self, job_id: str) -> bool:
        with self._lock:
            entry = self._jobs.get(job_id)
            if entry is None or entry.record.state != "dead":
                return False
            del self._jobs[job_id]
            return True
