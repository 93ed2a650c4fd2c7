"""The Celery engine: jobs travel on Celery's Redis broker, and a ``nitro worker`` runs
a real Celery worker.

.. code-block:: bash

    NITRO_JOBS_URL=celery+redis://localhost:6379/0?lease=30 nitro worker --import myapp.jobs

One generic task, ``nitro.run``, carries every job: its argument is the envelope's JSON
text, which it hands to :func:`nitro.cqrs.jobs.runner.execute`. Nitro's runner does the
retries, the dead-letter queue and the dedupe, so Celery only moves JSON (never pickle)
and acknowledges each message after the run. No result backend is used.

Each engine has its own Celery app (not the process's "current" app), so two engines in
one process, or an app of the project's own, do not share tasks or settings.
"""

from __future__ import annotations

import logging
import math
import os
import signal
import socket
import threading
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import kombu.exceptions
import redis
from celery import Celery  # type: ignore[import-untyped]
from celery.concurrency.thread import TaskPool  # type: ignore[import-untyped]
from celery.exceptions import Reject  # type: ignore[import-untyped]
from celery.worker import state as worker_state  # type: ignore[import-untyped]
from pydantic import ValidationError

from nitro.cqrs.jobs.engine import Engine
from nitro.cqrs.jobs.envelope import Envelope
from nitro.cqrs.jobs.redis_store import RedisJobStore, safe_url
from nitro.cqrs.jobs.runner import execute
from nitro.cqrs.jobs.store import JobStore
from nitro.persistence import BackendUnavailable

if TYPE_CHECKING:
    from nitro.cqrs.outbox import Outbox

__all__ = ["TASK", "CeleryEngine"]

logger = logging.getLogger("nitro.jobs")

#: The name of the one Celery task that runs every Nitro job.
TASK = "nitro.run"

#: Seconds to wait for a TCP connection to Redis before a send fails.
CONNECT_TIMEOUT = 5.0

#: Seconds to wait for Redis's answer to a command (a publish, an acknowledgement; the
#: workers' blocking reads wait 1 s at a time) before the connection counts as lost.
COMMAND_TIMEOUT = 10.0

#: How a send retries a lost broker connection before it raises (Celery's own default
#: for a connection is to retry for ever).
_SEND_RETRIES = {"max_retries": 2, "interval_start": 0, "interval_step": 0.5, "interval_max": 1}

#: Seconds a worker must have run before its stopping counts as a lost broker even
#: when Redis answers again by the time it is looked at.
RESTART_AFTER = 10.0

#: Errors that mean "the broker cannot be reached".
_UNREACHABLE = (kombu.exceptions.OperationalError, redis.ConnectionError, redis.TimeoutError)


class _ThreadPool(TaskPool):  # type: ignore[misc]
    """Celery's ``threads`` pool, whose threads see the worker's app as Celery's current
    app: Celery's own looks each task up in the process's default app, which does not
    know ``nitro.run`` (an engine's app is never made the default)."""

    executor: ThreadPoolExecutor

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.executor.shutdown(wait=False)  # never started a thread
        self.executor = ThreadPoolExecutor(
            max_workers=self.limit, thread_name_prefix="nitro-job", initializer=self.app.set_current
        )


class CeleryEngine(Engine):
    """Jobs on Celery's Redis broker at *redis_url*; job state, the dead-letter queue
    and idempotency keys in *store* (default: a
    :class:`~nitro.cqrs.jobs.redis_store.RedisJobStore` on the same Redis).
    *celery_options* are Celery settings (``worker_pool="prefork"``,
    ``broker_transport_options={...}``, ...), applied over Nitro's.

    **Late acknowledgement and** *lease*. The task has ``acks_late`` and
    ``reject_on_worker_lost``, and a worker takes one message per free slot
    (``worker_prefetch_multiplier=1``). Until a run's outcome is recorded its message
    sits in the broker's "unacked" set in Redis; a worker that dies (killed, machine
    lost) leaves it there, and Redis's *visibility timeout* puts it back on its queue.
    That timeout **is** *lease* (seconds): the one knob for how soon a dead worker's
    job is delivered again. Workers look for such messages every ``lease / 3`` seconds
    (at least 1, at most 10), so a dead worker's job is redelivered *lease* to about
    ``4/3 * lease`` seconds after it was taken (the runner postpones it once more if the
    dead run's own lease has not run out yet). A message held longer than *lease* by a
    *live* worker (a job that runs longer) is delivered again too; the runner finds the
    job's lease still renewed and postpones that copy until the job is done, when it is
    dropped.

    **First deliveries.** The message ``enqueue`` sends for a new job is marked
    ``first``; kombu marks any message it puts back on a queue as redelivered. A first
    message that is not a redelivery cannot be a duplicate, so its worker records the
    start (state and lease) with the store's next batched write instead of waiting for
    the dedupe and lease check: one round trip less per job. The write lands within
    ``write_delay`` (50 ms); a copy of the message can only come back after *lease*.
    Retries, postponed runs, relayed and revived jobs are checked as before.

    **Delays and the visibility timeout.** Celery's Redis transport hands a countdown
    (ETA) message to a worker at once, and the worker holds it unacknowledged until it
    is due — so a delay longer than the visibility timeout would be put back on the
    queue, and delivered again, every *lease* seconds while it waits. Rather than raise
    the timeout (and slow down the redelivery of dead workers' jobs), a longer delay
    travels in hops: the message is sent with a countdown of at most ``lease / 2``
    and the job's due time; a worker that gets it early sends it on again, and only the
    last hop runs the job. A retry a few seconds away takes one message; a job an hour
    away with the default lease of 30 s, about 240 small ones.

    **Workers.** :meth:`run_worker` runs Celery's worker in this process, with the
    ``threads`` pool by default: *concurrency* jobs run at a time in this one process.
    When *stop* is set (``nitro worker`` sets it on SIGTERM or SIGINT) the worker takes
    no more messages, lets the running jobs finish, and returns; the messages it had
    taken but not started go back to their queues. SIGKILL of the process loses nothing
    either: its messages come back after *lease*. ``worker_pool="prefork"`` also works,
    but there a SIGTERM sent to the whole process group kills the running jobs (they go
    back to their queues, ``reject_on_worker_lost``) instead of letting them finish.

    **An unreachable Redis** makes :meth:`submit` (so ``enqueue``) raise
    :class:`~nitro.persistence.BackendUnavailable` naming it: within a second when the
    connection is refused, after :data:`CONNECT_TIMEOUT` or :data:`COMMAND_TIMEOUT`
    when Redis does not answer — where Celery alone would retry for ever. A worker keeps
    reconnecting, as Celery's do; when Celery's worker stops instead (Celery 5.7 can
    fail with "Unrecoverable error" as it closes the lost connection), a new one starts
    once Redis answers again. A run whose outcome cannot be recorded (or whose next
    hop cannot be sent) goes back to its queue after a pause, rather than being
    acknowledged and lost.
    """

    name = "celery"

    def __init__(
        self,
        redis_url: str,
        *,
        store: JobStore | None = None,
        lease: float = 30.0,
        outbox: Outbox | None = None,
        **celery_options: Any,
    ) -> None:
        self._own_store: RedisJobStore | None = None
        if store is None:
            store = self._own_store = RedisJobStore(redis_url)
        super().__init__(store, lease=lease, outbox=outbox)
        self.redis_url = redis_url
        #: A countdown longer than this travels in hops (see the class docs).
        self.hop = lease / 2
        self.app: Any = Celery("nitro", broker=redis_url, set_as_current=False)
        self.app.conf.update(self._settings(dict(celery_options)))
        engine = self

        def run(task: Any, payload: str, due: float | None = None, first: bool = False) -> str:
            # kombu marks a message it puts back on its queue (a dead worker's, one
            # rejected or not started at shutdown) as redelivered: never a first one.
            if first and (task.request.delivery_info or {}).get("redelivered"):
                first = False
            return engine._run(payload, due, first)

        run.__doc__ = "Run one Nitro job (the envelope's JSON text)."
        self.task: Any = self.app.task(name=TASK, shared=False, bind=True)(run)

    def __repr__(self) -> str:
        return f"<CeleryEngine {safe_url(self.redis_url)!r} lease={self.lease:g}>"

    def _settings(self, options: dict[str, Any]) -> dict[str, Any]:
        transport: dict[str, Any] = {
            "visibility_timeout": self.lease,
            "unacked_restore_interval": min(10.0, max(1.0, self.lease / 3)),
            "unacked_restore_throttle": 1,  # look on each interval, not every tenth
            # A worker killed while it holds the restore lock blocks the others this long.
            "unacked_mutex_expire": max(1, math.ceil(self.lease)),
            "socket_connect_timeout": CONNECT_TIMEOUT,
            "socket_timeout": COMMAND_TIMEOUT,  # a silent Redis: an error, not a hang
            # Connecting for a send: bounded (Celery's default is to retry for ever).
            **_SEND_RETRIES,
        }
        transport.update(options.pop("broker_transport_options", None) or {})
        settings: dict[str, Any] = {
            "task_serializer": "json",
            "result_serializer": "json",
            "accept_content": ["json"],
            "task_ignore_result": True,
            "result_backend": None,
            "task_acks_late": True,
            "task_reject_on_worker_lost": True,
            "worker_prefetch_multiplier": 1,
            "task_default_queue": "default",
            "worker_pool": "threads",
            "worker_hijack_root_logger": False,
            "broker_transport_options": transport,
            "broker_connection_timeout": CONNECT_TIMEOUT,
            "broker_connection_retry_on_startup": True,
        }
        settings.update(options)
        return settings

    @contextmanager
    def _reaching(self) -> Iterator[None]:
        try:
            yield
        except _UNREACHABLE as exc:
            raise BackendUnavailable(
                f"the Celery broker at {safe_url(self.redis_url)} cannot be reached: {exc}"
            ) from exc

    def submit(self, envelope: Envelope, delay: float = 0.0) -> None:
        self._submit(envelope, delay)

    def submit_new(self, envelope: Envelope, delay: float = 0.0) -> None:
        """A new job's first message says so (``first``): unless kombu redelivers it,
        the worker records the start without waiting for the store's answer (see the
        class docs)."""
        self._submit(envelope, delay, first=True)

    def _submit(self, envelope: Envelope, delay: float, *, first: bool = False) -> None:
        due = time.time() + max(0.0, delay)
        self._send(envelope.to_json(), envelope.queue, due, first=first, label=_label(envelope))

    def _send(
        self, payload: str, queue: str, due: float, *, first: bool = False, label: str = ""
    ) -> None:
        wait = due - time.time()
        kwargs: dict[str, Any] = {}
        if wait > self.hop:  # see the class docs: delays and the visibility timeout
            kwargs["due"] = due
            wait = self.hop
        elif first:  # (a message that hops is never a first one: it is sent again)
            kwargs["first"] = True
        with self._reaching():
            self.task.apply_async(
                (payload,),
                kwargs,
                queue=queue,
                countdown=wait if wait > 0 else None,
                retry=True,
                retry_policy=_SEND_RETRIES,
                # What Celery's monitors (flower, `celery events`) show for the message:
                # the job, not the envelope's JSON (which Celery would otherwise repr,
                # shortened, on every send).
                argsrepr=label or "(envelope)",
                kwargsrepr=repr(kwargs),
            )

    def _run(self, payload: str, due: float | None, first: bool = False) -> str:
        try:
            if due is not None and due > time.time():
                try:
                    envelope = Envelope.from_json(payload)
                except ValidationError:
                    return execute(payload, self)  # the runner dead-letters it
                self._send(payload, envelope.queue, due, label=_label(envelope))
                return "waiting"
            return execute(payload, self, first=first)
        except BackendUnavailable as exc:
            # The outcome could not be recorded (or the next hop sent): rather than
            # acknowledge the message and lose the job, put it back on its queue after
            # a pause (a redelivery of a job whose run was recorded is dropped).
            logger.error("job message put back on its queue: %s", exc)
            time.sleep(min(self.lease, 5.0))
            raise Reject(str(exc), requeue=True) from exc

    def run_worker(
        self,
        queues: Sequence[str] = ("default",),
        concurrency: int = 1,
        stop: threading.Event | None = None,
    ) -> None:
        """Run a Celery worker on *queues* in this process until *stop* is set (without
        *stop*, until SIGTERM or SIGINT); see the class docs."""
        if stop is None:
            stop = threading.Event()
            with _setting_on_signals(stop):
                self._work(queues, concurrency, stop)
        else:
            self._work(queues, concurrency, stop)

    def _work(self, queues: Sequence[str], concurrency: int, stop: threading.Event) -> None:
        """Run Celery's worker until *stop*; start a new one when Redis went away.

        Celery 5.7's worker can stop with "Unrecoverable error" when its broker
        connection is lost (kombu fails while closing the lost connection): a worker
        that stops so, whose Redis does not answer (or that had run for a while), is
        replaced once Redis answers again, rather than leaving its queues unserved."""
        try:
            while True:
                began = time.monotonic()
                exitcode = self._work_once(queues, concurrency, stop)
                if not exitcode or stop.is_set():
                    break
                lasted = time.monotonic() - began
                if self._broker_answers() and lasted < RESTART_AFTER:
                    break  # a worker that cannot start (Celery logged why)
                logger.error(
                    "the Celery worker stopped (exit code %s) after its broker went away; "
                    "a new one starts when %s answers",
                    exitcode,
                    safe_url(self.redis_url),
                )
                while not stop.wait(1.0) and not self._broker_answers():
                    pass
                if stop.is_set():
                    return
        finally:
            self.flush()
        if exitcode:  # Celery logged why ("Unrecoverable error: ...")
            raise RuntimeError(f"the Celery worker stopped with exit code {exitcode}")

    def _work_once(self, queues: Sequence[str], concurrency: int, stop: threading.Event) -> int:
        pool = self.app.conf.worker_pool
        worker = self.app.WorkController(
            hostname=f"nitro-{os.getpid()}@{socket.gethostname()}",
            queues=list(queues),
            concurrency=concurrency,
            pool_cls=_ThreadPool if pool == "threads" else pool,
            without_mingle=True,  # no start-up exchange with the other workers
            without_gossip=True,
            without_heartbeat=True,
        )
        finished = threading.Event()

        def watch() -> None:
            while not stop.wait(0.2):
                if finished.is_set():
                    return
            # What Celery's own SIGTERM handler does: a warm shutdown, which the worker's
            # loop notices within a second (stop taking messages, finish running jobs).
            worker_state.should_stop = 0

        watcher = threading.Thread(target=watch, name="nitro-celery-stop", daemon=True)
        worker_state.should_stop = None
        watcher.start()
        try:
            worker.start()
        finally:
            finished.set()
            watcher.join()
            worker_state.should_stop = None
        return int(worker.exitcode or 0)

    def _broker_answers(self) -> bool:
        client = redis.Redis.from_url(self.redis_url, socket_connect_timeout=1, socket_timeout=1)
        try:
            return bool(client.ping())
        except (redis.ConnectionError, redis.TimeoutError):
            return False
        finally:
            client.close()

    def ping(self) -> None:
        """The broker's Redis and the job store answer."""
        with self._reaching(), self.app.connection_for_write() as connection:
            connection.default_channel.client.ping()
        self.store.ping()

    def close(self) -> None:
        self.app.close()
        if self._own_store is not None:
            self._own_store.close()


def _label(envelope: Envelope) -> str:
    return f"({envelope.job} id={envelope.id} try={envelope.attempt})"


@contextmanager
def _setting_on_signals(stop: threading.Event) -> Iterator[None]:
    """Set *stop* on SIGTERM and SIGINT (in the main thread; elsewhere, do nothing)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: Any) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)
