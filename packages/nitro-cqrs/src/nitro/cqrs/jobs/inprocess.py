"""The in-process engine: jobs run in a thread pool of this process. For development
and tests — nothing survives the process — with the same runner, retries, dead-letter
queue and dedupe as the real engines."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from nitro.cqrs.jobs.engine import Engine
from nitro.cqrs.jobs.envelope import Envelope
from nitro.cqrs.jobs.store import JobStore, MemoryJobStore

__all__ = ["InProcessEngine"]


class InProcessEngine(Engine):
    """Runs jobs on *workers* threads of this process (see the module docs)."""

    name = "inprocess"

    def __init__(self, store: JobStore | None = None, *, workers: int = 4, **options: Any) -> None:
        super().__init__(store or MemoryJobStore(), **options)
        self._pool = ThreadPoolExecutor(workers, thread_name_prefix="nitro-job")
        self._lock = threading.Lock()
        self._pending: set[Any] = set()
        self._idle = threading.Condition(self._lock)

    def submit(self, envelope: Envelope, delay: float = 0.0) -> None:
        payload = envelope.to_json()
        if delay <= 0:
            self._track(self._pool.submit(self._run, payload))
            return
        waiting = object()  # counts as pending until the timer hands the job to the pool
        self._track(waiting)

        def fire() -> None:
            self._track(self._pool.submit(self._run, payload))
            self._done(waiting)

        timer = threading.Timer(delay, fire)
        timer.daemon = True
        timer.start()

    def _run(self, payload: str) -> str:
        from nitro.cqrs.jobs.runner import execute

        return execute(payload, self)

    def _track(self, item: Any) -> None:
        with self._lock:
            self._pending.add(item)
        if isinstance(item, Future):
            item.add_done_callback(self._done)

    def _done(self, item: Any) -> None:
        with self._lock:
            self._pending.discard(item)
            self._idle.notify_all()

    def drain(self, timeout: float = 30.0) -> bool:
        """Wait until no job is queued, delayed or running (tests); whether it got there."""
        with self._idle:
            return self._idle.wait_for(lambda: not self._pending, timeout)

    def run_worker(
        self,
        queues: Sequence[str] = ("default",),
        concurrency: int = 1,
        stop: threading.Event | None = None,
    ) -> None:
        """In-process jobs run as they are sent; this only waits for *stop*."""
        (stop or threading.Event()).wait()

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=False)
