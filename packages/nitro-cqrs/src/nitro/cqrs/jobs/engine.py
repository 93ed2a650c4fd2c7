"""What every job engine does: send an envelope to a queue, and run a worker whose
every message goes through :func:`nitro.cqrs.jobs.runner.execute`.

The retry schedule, the dead-letter queue, the dedupe and the hooks live in the
runner and the store, so they behave the same on every engine; an engine only moves
JSON text and acknowledges it *after* the run (a worker killed mid-job leaves the
message to be delivered again).
"""

from __future__ import annotations

import logging
import threading
from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import TYPE_CHECKING

from nitro import probe
from nitro.cqrs.jobs.envelope import Envelope
from nitro.cqrs.jobs.store import JobStore

if TYPE_CHECKING:
    from nitro.cqrs.outbox import Outbox

__all__ = ["Engine"]

logger = logging.getLogger("nitro.jobs")


class Engine(ABC):
    """A job engine (see the module docs)."""

    #: ``"inprocess"``, ``"celery"``, ``"dramatiq"``, ``"rq"``.
    name: str = "engine"

    def __init__(self, store: JobStore, *, lease: float = 30.0, outbox: Outbox | None = None):
        self.store = store
        #: Seconds a run holds its job before another delivery may run it; renewed
        #: while the run lasts, so only a dead worker's lease runs out.
        self.lease = lease
        self.outbox = outbox

    @abstractmethod
    def submit(self, envelope: Envelope, delay: float = 0.0) -> None:
        """Put *envelope* on its queue, to run after *delay* seconds."""

    def submit_new(self, envelope: Envelope, delay: float = 0.0) -> None:
        """:meth:`submit` a job with a new id, sent for the first time (``enqueue``
        outside a unit of work). An engine whose broker marks redeliveries may let the
        worker skip the start check for this message: nothing can have run the job
        yet (see ``CeleryEngine``). By default, the same as :meth:`submit`."""
        self.submit(envelope, delay)

    @abstractmethod
    def run_worker(
        self,
        queues: Sequence[str] = ("default",),
        concurrency: int = 1,
        stop: threading.Event | None = None,
    ) -> None:
        """Process jobs until *stop* is set or the process gets SIGTERM/SIGINT (the
        current job finishes first, or goes back to its queue)."""

    def retry(self, job_id: str) -> Envelope | None:
        """Send a dead job again from its first try; ``None`` if it is not dead. When
        the send fails, the job stays in the dead-letter queue (with the new error)."""
        envelope = self.store.revive(job_id)
        if envelope is None:
            return None
        try:
            self.submit(envelope)
        except Exception as exc:
            self.store.finish(
                envelope,
                "dead",
                error=f"{type(exc).__name__}: {exc}",
                reason="could not be sent again",
            )
            raise
        return envelope

    def flush(self) -> None:
        """Write what the store keeps waiting: a worker's last step before it exits.
        When the store cannot be reached, say so (the jobs ran; their records lag)."""
        try:
            self.store.flush()
        except Exception as exc:
            logger.error("job records not written before the worker stopped: %s", exc)
        if probe.observers:
            probe.flush()  # spans still waiting for their exporter

    def ping(self) -> None:
        """Raise when the broker or the job store does not answer (a readiness check:
        ``Health(checks={"jobs": engine.ping})``). By default, the store's answer."""
        self.store.ping()

    @abstractmethod
    def close(self) -> None:
        """Release connections and threads."""

    def __repr__(self) -> str:
        return f"<{type(self).__name__}>"
