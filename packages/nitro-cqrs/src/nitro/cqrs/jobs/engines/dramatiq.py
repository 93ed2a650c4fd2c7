"""The Dramatiq engine: jobs travel on Dramatiq's Redis broker, and a ``nitro worker``
runs a real :class:`dramatiq.Worker`.

.. code-block:: bash

    NITRO_JOBS_URL=dramatiq+redis://localhost:6379/0?lease=30 nitro worker --import myapp.jobs

One generic actor, ``nitro_run``, carries every job: its one argument is the envelope's
JSON text (Dramatiq's JSON message encoder is kept), and it hands that text to
:func:`nitro.cqrs.jobs.runner.execute`. Nitro's runner does the retries, so the actor
has ``max_retries=0`` (and no time limit: the runner's lease, not a timer, says whether
a job is still alive).

Each engine has its own broker (two engines in one process do not share one); only
:meth:`DramatiqEngine.run_worker` makes it Dramatiq's global broker, for the worker's
lifetime.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import dramatiq
import dramatiq.broker
import redis
from dramatiq.brokers.redis import RedisBroker
from dramatiq.common import dq_name

from nitro.cqrs.jobs.engine import Engine
from nitro.cqrs.jobs.envelope import Envelope
from nitro.cqrs.jobs.redis_store import RedisJobStore, reaching, safe_url
from nitro.cqrs.jobs.runner import execute
from nitro.cqrs.jobs.store import JobStore
from nitro.persistence import BackendUnavailable

if TYPE_CHECKING:
    from nitro.cqrs.outbox import Outbox

__all__ = ["ACTOR", "DramatiqEngine"]

logger = logging.getLogger("nitro.jobs")

#: The name of the one actor that runs every Nitro job.
ACTOR = "nitro_run"

#: Seconds to wait for a TCP connection to Redis before the send fails.
CONNECT_TIMEOUT = 5.0


class _Broker(RedisBroker):
    """Dramatiq's Redis broker, plus a ``maintain`` command: a heartbeat that always
    runs the queue's maintenance (requeue the unacknowledged messages of workers whose
    heartbeat is older than ``heartbeat_timeout``), where Dramatiq runs it on about one
    command in a thousand. The command is unknown to the broker's Lua script, which then
    only records the heartbeat and does the maintenance."""

    def _should_do_maintenance(self, command: str) -> int:
        if command == "maintain":
            return 1
        return super()._should_do_maintenance(command)

    def maintain(self, queue_name: str) -> None:
        self.do_maintain(queue_name)


class DramatiqEngine(Engine):
    """Jobs on Dramatiq's Redis broker at *redis_url*; job state, the dead-letter queue
    and idempotency keys in *store* (default: a
    :class:`~nitro.cqrs.jobs.redis_store.RedisJobStore` on the same Redis).

    **Late acknowledgement and** *lease*. A worker acknowledges a message after the
    runner recorded its outcome. Until then the message sits in the worker's
    "unacknowledged" set in Redis; if the worker dies (killed, machine lost), the
    message goes back to its queue once the worker's heartbeat is older than Dramatiq's
    ``heartbeat_timeout``. That timeout **is** *lease* (seconds): the one knob for how
    soon a dead worker's job is delivered again. Each worker sends a heartbeat and runs
    the queues' maintenance (the step that requeues) every ``lease / 3`` seconds, so a
    dead worker's job is redelivered between *lease* and ``4/3 * lease`` after its last
    heartbeat. The runner's own lease on the job (the same *lease*, renewed as often)
    has run out by then, so the next worker runs it; a live worker whose heartbeats
    stall for longer than *lease* may see its job delivered twice, and the runner's
    lease and dedupe keep that from running it twice at once or after it is done.
    Keep *lease* well above a Redis hiccup (the default is 30 s); ``?lease=3`` in
    tests.

    Options (keywords, or query parameters of ``NITRO_JOBS_URL``):

    *namespace*
        The prefix of Dramatiq's Redis keys (default ``"nitro-dramatiq"``: apart from
        the queues of a plain Dramatiq app on the same Redis, whose workers would not
        know the ``nitro_run`` actor).
    *shutdown_timeout*
        Seconds a stopping worker waits for its jobs in progress (default 600); a job
        still running then is delivered again after *lease*.
    *poll*
        Seconds an idle worker sleeps at most between looks at its queues, which is
        also how late a delayed job (a retry's back-off) may start (default 1).
    *dead_message_ttl*
        Seconds Dramatiq keeps the messages it dead-letters itself (default 7 days).
        Nitro's runner never fails a message, so this holds only messages for an actor
        other than ``nitro_run``; Nitro's dead-letter queue is the store's.
    """

    name = "dramatiq"

    def __init__(
        self,
        redis_url: str,
        *,
        store: JobStore | None = None,
        lease: float = 30.0,
        outbox: Outbox | None = None,
        namespace: str = "nitro-dramatiq",
        shutdown_timeout: float = 600.0,
        poll: float = 1.0,
        dead_message_ttl: float = 7 * 24 * 3600.0,
        **options: Any,
    ) -> None:
        if options:
            raise TypeError(
                f"DramatiqEngine got unknown options {sorted(options)}: use lease, namespace, "
                f"shutdown_timeout, poll or dead_message_ttl (Dramatiq's heartbeat_timeout "
                f"is the lease)"
            )
        if lease <= 0:
            raise ValueError(f"DramatiqEngine: lease must be positive seconds, not {lease!r}")
        self._own_store = store is None
        super().__init__(store or RedisJobStore(redis_url), lease=lease, outbox=outbox)
        self.redis_url = redis_url
        self.shutdown_timeout = shutdown_timeout
        self.poll = poll
        client = self._client = redis.Redis.from_url(
            redis_url, socket_connect_timeout=CONNECT_TIMEOUT
        )
        # RedisBroker.__init__ has no annotations.
        self.broker = _Broker(  # type: ignore[no-untyped-call]
            client=client,
            namespace=namespace,
            heartbeat_timeout=max(1, int(lease * 1000)),
            dead_message_ttl=int(dead_message_ttl * 1000),
        )
        self.actor: dramatiq.Actor[[str], None] = dramatiq.Actor(
            self._run,
            broker=self.broker,
            actor_name=ACTOR,
            queue_name="default",
            priority=0,
            options={"max_retries": 0, "time_limit": float("inf")},
        )
        self._booted = False

    def __repr__(self) -> str:
        return f"<DramatiqEngine {safe_url(self.redis_url)}>"

    def _run(self, payload: str) -> None:
        try:
            outcome = execute(payload, self)
        except BackendUnavailable as exc:
            # No outcome could be recorded: send the message again for later (if the
            # broker is down too, this raises and Dramatiq keeps the message).
            logger.warning(
                "job store unreachable (%s); the message goes back, retried in %.0f s",
                exc,
                self.lease,
            )
            try:
                envelope = Envelope.from_json(payload)
            except ValueError:
                raise exc from None
            self.submit(envelope, delay=self.lease)
            return
        logger.debug("dramatiq message handled: %s", outcome)

    def submit(self, envelope: Envelope, delay: float = 0.0) -> None:
        message: dramatiq.Message[None] = dramatiq.Message(
            queue_name=envelope.queue,
            actor_name=ACTOR,
            args=(envelope.to_json(),),
            kwargs={},
            options={},
        )
        with reaching("the Dramatiq broker", self.redis_url):
            # With a delay the message waits on the queue's delay queue ("default.DQ"),
            # which every worker of "default" also consumes and moves on when due.
            self.broker.enqueue(message, delay=int(delay * 1000) if delay > 0 else None)

    def run_worker(
        self,
        queues: Sequence[str] = ("default",),
        concurrency: int = 1,
        stop: threading.Event | None = None,
    ) -> None:
        """Run a :class:`dramatiq.Worker` on *queues* (and their delay queues) with
        *concurrency* threads until *stop* is set (or ``KeyboardInterrupt``); then stop
        it: jobs in progress finish (up to *shutdown_timeout*) and prefetched messages
        go back to their queues."""
        stop = stop or threading.Event()
        names = list(dict.fromkeys(queues)) or ["default"]
        broker = self.broker
        previous = dramatiq.broker.global_broker
        dramatiq.set_broker(broker)  # for job code that sends plain Dramatiq messages
        if not self._booted:  # what `dramatiq` does in each worker process
            broker.emit_after("process_boot")
            self._booted = True
        for name in names:
            broker.declare_queue(name)
        worker = dramatiq.Worker(
            broker,
            queues=set(names),
            worker_threads=concurrency,
            worker_timeout=max(10, int(self.poll * 1000)),
        )
        middleware = list(broker.middleware)
        worker.start()
        beating = threading.Event()
        beat = threading.Thread(
            target=self._beat, args=(names, beating), name="nitro-dramatiq-heartbeat", daemon=True
        )
        beat.start()
        logger.info(
            "dramatiq worker on %s, queues %s, %d thread(s)",
            safe_url(self.redis_url),
            ", ".join(names),
            concurrency,
        )
        try:
            while not stop.wait(0.5):
                pass
        except KeyboardInterrupt:
            pass
        finally:
            logger.info("dramatiq worker stopping")
            worker.stop(timeout=int(self.shutdown_timeout * 1000))
            beating.set()  # heartbeats go on while the jobs in progress finish
            beat.join()
            # Worker.start added its middleware (it starts consumers on new queues).
            broker.middleware[:] = [m for m in broker.middleware if m in middleware]
            dramatiq.broker.global_broker = previous
            self.flush()

    def _beat(self, queues: Sequence[str], stop: threading.Event) -> None:
        """Send this worker's heartbeat and requeue dead workers' messages, every
        third of the lease (see the class docs)."""
        while True:
            for queue in queues:
                try:
                    self.broker.maintain(queue)
                    self.broker.maintain(dq_name(queue))
                except redis.RedisError as exc:
                    logger.warning(
                        "dramatiq heartbeat to %s failed: %s", safe_url(self.redis_url), exc
                    )
                    break
            if stop.wait(self.lease / 3):
                return

    def ping(self) -> None:
        """The broker's Redis and the job store answer."""
        with reaching("the Dramatiq broker", self.redis_url):
            self._client.ping()
        self.store.ping()

    def close(self) -> None:
        self.broker.close()
        self.broker.client.close()
        if self._own_store and isinstance(self.store, RedisJobStore):
            self.store.close()
