"""The RQ engine: Nitro jobs on RQ queues in Redis, run by RQ workers.

Every Nitro job is one RQ job calling :func:`run_envelope` by its import path with the
envelope's JSON text, stored with RQ's JSON serializer (never a pickle), so a worker
runs only code it imported itself. ``nitro worker --url rq+redis://...`` runs
:meth:`RQEngine.run_worker`; see :class:`RQEngine` for how a dead worker's job comes
back.
"""

from __future__ import annotations

import logging
import math
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Sequence
from contextlib import AbstractContextManager, suppress
from datetime import UTC, datetime
from multiprocessing.connection import wait
from multiprocessing.process import BaseProcess
from types import TracebackType
from typing import TYPE_CHECKING, Any

import redis
from rq import Callback, Queue, Retry
from rq.exceptions import AbandonedJobError
from rq.job import Job
from rq.registry import StartedJobRegistry
from rq.scheduler import RQScheduler
from rq.serializers import JSONSerializer
from rq.timeouts import TimerDeathPenalty

from nitro.cqrs.jobs.config import current_engine
from nitro.cqrs.jobs.engine import Engine
from nitro.cqrs.jobs.engines._rq_worker import NitroRQWorker
from nitro.cqrs.jobs.envelope import Envelope
from nitro.cqrs.jobs.redis_store import RedisJobStore, reaching, safe_url
from nitro.cqrs.jobs.runner import execute
from nitro.cqrs.jobs.store import JobStore
from nitro.persistence import BackendUnavailable

if TYPE_CHECKING:
    from nitro.cqrs.outbox import Outbox

__all__ = ["RQEngine", "run_envelope"]

logger = logging.getLogger("nitro.jobs")

#: The function every RQ job of Nitro calls, by import path.
TASK = "nitro.cqrs.jobs.engines.rq.run_envelope"

#: Seconds to wait for a TCP connection to Redis before a send fails.
CONNECT_TIMEOUT = 5.0


def run_envelope(payload: str) -> str:
    """The RQ job of every Nitro job: one delivery through the runner, with the
    configured engine (``nitro worker`` configures it before forking its workers)."""
    engine = current_engine()
    if not isinstance(engine, RQEngine):
        raise RuntimeError(
            f"a Nitro job reached an RQ worker whose configured engine is {engine!r}: "
            "run it with `nitro worker --url rq+redis://...`"
        )
    try:
        return execute(payload, engine)
    except BackendUnavailable as exc:
        # No outcome could be recorded: the message goes back, for later. (If RQ's Redis
        # is down too, this raises, and RQ's retry or abandoned-job handling sends it.)
        logger.warning("%s; the job goes back to its queue for %.0f s", exc, engine.lease)
        try:
            envelope = Envelope.from_json(payload)
        except ValueError:
            raise exc from None
        engine.submit(envelope, delay=engine.lease)
        return "requeued"


def _given_up(
    job: Job,
    connection: Any,
    exc_type: type[BaseException] | None,
    exc: BaseException | None,
    trace: TracebackType | None,
) -> None:
    """RQ's failure callback: when RQ stops redelivering a job (its worker died, or
    :func:`run_envelope` raised, once too often), it is dead for Nitro too."""
    if job.retries_left:  # RQ sends it again
        return
    try:
        envelope = Envelope.from_json(job.args[0])
        store = current_engine().store
        record = store.get(envelope.id)
        if record is not None and record.state in ("done", "dead"):
            return
        if exc_type is not None and issubclass(exc_type, AbandonedJobError):
            error, why = "AbandonedJobError", "its worker died running it"
        else:
            name = exc_type.__name__ if exc_type is not None else "Error"
            error, why = f"{name}: {exc}", f"{name} was raised"
        store.finish(envelope, "dead", error=error, reason=f"RQ gave up delivering it: {why}")
    except Exception:
        logger.exception("RQ job %s: could not record it dead", job.id)


class RQEngine(Engine):
    """Jobs on RQ queues at *redis_url* (``rq+redis://host:6379/0?lease=30``).

    A delivery is acknowledged after its run: a worker killed mid-job leaves the job in
    RQ's ``StartedJobRegistry``, and it runs again on another worker about *lease*
    seconds later. RQ does not redeliver on its own in that time: a running job's
    registry entry outlives a dead worker by a minute or more, and only a worker's
    maintenance (every 10 minutes) reclaims it. (RQ's default worker also runs the job
    in a forked horse in its own process group, which a SIGKILL of the worker's group
    misses.) Here:

    * workers are RQ ``SimpleWorker`` processes (the job runs in the process a SIGKILL
      hits), whose heartbeat thread renews the running job's registry entry every
      ``lease / 3`` seconds to expire ``ceil(lease) + 1`` seconds ahead (RQ keeps whole
      seconds), so a dead worker's entry expires within that time;
    * every ``nitro worker`` process runs RQ's own abandoned-job handling
      (``StartedJobRegistry.cleanup``, one process at a time per queue) every second,
      and jobs are sent with ``Retry(max=redeliveries)``, so cleanup puts an
      abandoned job back at the front of its queue (the same RQ job, the same envelope);
      when RQ gives up, the failure callback records the job dead in the store;
    * Nitro's runner makes a second delivery harmless: a job done already is skipped,
      one whose earlier run still holds its lease is postponed by *lease* seconds.

    *lease* is therefore the one setting for how soon a dead worker's job runs again.
    RQ's job timeout is off (``job_timeout=-1``): a long job keeps its lease renewed.

    Delayed sends (retries, postponed runs) use ``Queue.enqueue_at`` with the time
    rounded up to the second (RQ's scheduled registry keeps whole seconds, so a
    rounded-down time would run a retry early). RQ's scheduler (``RQScheduler``) is
    driven by the ``nitro worker`` process every second rather than forked by each RQ
    worker: a forked scheduler killed with its worker holds its lock for a minute, and
    RQ retakes it only at a worker's maintenance.

    Options (URL query parameters too): *redeliveries* (default 25), how many times RQ
    sends a job again after its worker died; *result_ttl* (default 500), seconds RQ
    keeps a finished job.
    """

    name = "rq"
    #: The RQ worker class ``run_worker`` starts (one per process).
    worker_class: type[NitroRQWorker] = NitroRQWorker

    def __init__(
        self,
        redis_url: str,
        *,
        store: JobStore | None = None,
        lease: float = 30.0,
        outbox: Outbox | None = None,
        redeliveries: int = 25,
        result_ttl: int = 500,
        **options: Any,
    ) -> None:
        if options:
            raise TypeError(
                f"RQEngine got unknown options {', '.join(sorted(options))}; it takes lease, "
                "redeliveries and result_ttl"
            )
        if lease <= 0 or redeliveries < 0:
            raise ValueError("RQEngine: lease must be > 0 and redeliveries >= 0")
        self._own_store = store is None
        super().__init__(store or RedisJobStore(redis_url), lease=lease, outbox=outbox)
        self.url = redis_url
        self.redeliveries = int(redeliveries)
        self.result_ttl = int(result_ttl)
        self.redis = redis.Redis.from_url(redis_url, socket_connect_timeout=CONNECT_TIMEOUT)
        self._queues: dict[str, Queue] = {}

    def __repr__(self) -> str:
        return f"<RQEngine {safe_url(self.url)}>"

    @property
    def ttl(self) -> int:
        """Seconds a running job's registry entry lives without a heartbeat."""
        return math.ceil(self.lease) + 1

    @property
    def beat(self) -> float:
        """Seconds between heartbeats of a running job."""
        return self.lease / 3

    def queue(self, name: str) -> Queue:
        """The RQ queue called *name* (JSON serializer)."""
        found = self._queues.get(name)
        if found is None:
            found = Queue(name, connection=self.redis, serializer=JSONSerializer)
            self._queues[name] = found
        return found

    def _reaching(self) -> AbstractContextManager[None]:
        return reaching("the RQ queues", self.url)

    def submit(self, envelope: Envelope, delay: float = 0.0) -> None:
        options: dict[str, Any] = {
            "args": (envelope.to_json(),),
            "job_timeout": -1,
            "result_ttl": self.result_ttl,
            "on_failure": Callback(_given_up),
            "description": f"{envelope.job} ({envelope.id}, try {envelope.attempt})",
        }
        if self.redeliveries:
            options["retry"] = Retry(max=self.redeliveries, enqueue_at_front=True)
        queue = self.queue(envelope.queue)
        with self._reaching():
            if delay > 0:
                at = datetime.fromtimestamp(math.ceil(time.time() + delay), tz=UTC)
                queue.enqueue_at(at, TASK, **options)
            else:
                queue.enqueue(TASK, **options)

    def run_worker(
        self,
        queues: Sequence[str] = ("default",),
        concurrency: int = 1,
        stop: threading.Event | None = None,
    ) -> None:
        """Run *concurrency* RQ worker processes on *queues* until *stop* is set (the
        ``nitro worker`` command sets it on SIGTERM/SIGINT); then each finishes its
        job and exits. Meanwhile this process drives RQ's scheduler, hands abandoned
        jobs back to their queues and replaces a worker process that exited."""
        stop = stop or threading.Event()
        names = list(dict.fromkeys(queues)) or ["default"]
        fork = multiprocessing.get_context("fork")

        def start() -> BaseProcess:
            process = fork.Process(target=self._work, args=(names,), name="nitro-rq-worker")
            process.start()
            return process

        scheduler = RQScheduler(names, connection=self.redis, serializer=JSONSerializer)
        processes = [start() for _ in range(max(1, concurrency))]
        logger.info(
            "RQ workers %s on %s (lease %s s)",
            [p.pid for p in processes],
            ", ".join(names),
            self.lease,
        )
        try:
            while not stop.wait(min(1.0, self.beat)):
                self._maintain(names, scheduler)
                for i, process in enumerate(processes):
                    if not process.is_alive():
                        logger.warning(
                            "RQ worker %s exited (%s); starting another",
                            process.pid,
                            process.exitcode,
                        )
                        processes[i] = start()
        finally:
            with suppress(redis.RedisError):
                scheduler.release_locks()  # type: ignore[no-untyped-call]
            scheduler.connection.close()
            _stop(processes)

    def _maintain(self, names: list[str], scheduler: RQScheduler) -> None:
        """Send the delayed jobs that are due, and put back the jobs of dead workers."""
        try:
            scheduler.acquire_locks()  # type: ignore[no-untyped-call]
            if scheduler.acquired_locks:
                scheduler.enqueue_scheduled_jobs()  # type: ignore[no-untyped-call]
            for name in names:
                self._requeue_abandoned(name)
        except redis.RedisError as exc:
            logger.warning("RQ maintenance failed (%s): %s", safe_url(self.url), exc)

    def _requeue_abandoned(self, name: str) -> None:
        registry = StartedJobRegistry(
            name,
            connection=self.redis,
            serializer=JSONSerializer,
            death_penalty_class=TimerDeathPenalty,  # callbacks may run off the main thread
        )
        if not registry.get_expired_job_ids():
            return
        # Not RQ's maintenance lock: a worker dying while it holds it blocks it 15 min.
        lock = f"nitro:rq:requeue:{name}"
        if not self.redis.set(lock, 1, nx=True, px=max(1000, int(self.lease * 1000))):
            return
        try:
            registry.cleanup()
        finally:
            self.redis.delete(lock)

    def _work(self, names: list[str]) -> None:
        """A worker process: one RQ worker until SIGTERM/SIGINT or its parent dies."""
        early = threading.Event()  # a signal before RQ's handlers are installed
        signal.signal(signal.SIGTERM, lambda signum, frame: early.set())
        signal.signal(signal.SIGINT, lambda signum, frame: early.set())
        connection = redis.Redis.from_url(self.url, socket_connect_timeout=CONNECT_TIMEOUT)
        worker = self.worker_class(
            [Queue(name, connection=connection, serializer=JSONSerializer) for name in names],
            connection=connection,
            serializer=JSONSerializer,
        )
        worker.nitro_ttl = self.ttl
        worker.nitro_beat = self.beat
        worker.nitro_parent = os.getppid()
        worker.nitro_early = early
        try:
            worker.work(with_scheduler=False)
        finally:
            self.flush()

    def ping(self) -> None:
        """The queues' Redis and the job store answer."""
        with self._reaching():
            self.redis.ping()
        self.store.ping()

    def close(self) -> None:
        self.redis.close()
        if self._own_store and isinstance(self.store, RedisJobStore):
            self.store.close()


def _stop(processes: list[BaseProcess]) -> None:
    """SIGTERM the worker processes until all have exited (a warm stop each: the job
    in progress finishes; repeated, since a process may not have its handlers yet)."""
    while alive := [p for p in processes if p.is_alive()]:
        for process in alive:
            if process.pid is not None:
                with suppress(ProcessLookupError):
                    os.kill(process.pid, signal.SIGTERM)
        wait([p.sentinel for p in alive], timeout=1.0)
    for process in processes:
        process.join()
