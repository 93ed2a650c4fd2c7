"""The RQ worker that ``nitro worker`` runs for :class:`~nitro.cqrs.jobs.engines.rq.RQEngine`:
RQ's ``SimpleWorker`` with Nitro's heartbeat thread and warm stops. Kept apart from the
engine, which only makes and starts it, so each module reads as one job."""

from __future__ import annotations

import logging
import os
import signal
import threading
from types import FrameType
from typing import Any

from rq import Queue, SimpleWorker
from rq.job import Job
from rq.utils import now

__all__ = ["NitroRQWorker"]

logger = logging.getLogger("nitro.jobs")


class NitroRQWorker(SimpleWorker):
    """RQ's worker that runs jobs in its own process (no forked horse), renews the
    running job's registry entry from a heartbeat thread, and stops warmly however many
    SIGTERM or SIGINT it gets."""

    nitro_ttl: int = 60
    nitro_beat: float = 20.0
    nitro_parent: int | None = None
    nitro_early: threading.Event | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._job: Job | None = None
        self._warm = False
        self._quiet = threading.Event()
        self._beater: threading.Thread | None = None

    def get_heartbeat_ttl(self, job: Job, working_time: float = 0.0) -> int:
        return self.nitro_ttl

    def bootstrap(self, *args: Any, **kwargs: Any) -> None:
        super().bootstrap(*args, **kwargs)
        self._beater = threading.Thread(target=self._beat, name="nitro-rq-heartbeat", daemon=True)
        self._beater.start()

    def teardown(self) -> None:
        self._quiet.set()
        if self._beater is not None:
            self._beater.join()
        super().teardown()  # type: ignore[no-untyped-call]

    def execute_job(self, job: Job, queue: Queue) -> None:
        self._job = job
        try:
            super().execute_job(job, queue)
        finally:
            self._job = None

    def _beat(self) -> None:
        while not self._quiet.wait(self.nitro_beat):
            if self.nitro_parent is not None and os.getppid() != self.nitro_parent:
                logger.warning(
                    "RQ worker %s: its nitro worker process is gone; stopping", self.name
                )
                self.nitro_parent = None
                os.kill(os.getpid(), signal.SIGTERM)
            try:
                with self.connection.pipeline() as pipe:
                    self.heartbeat(pipeline=pipe)
                    job = self._job
                    if job is not None:
                        for execution in list(self.executions.values()):
                            execution.heartbeat(job.started_job_registry, self.nitro_ttl, pipe)
                    pipe.execute()
            except Exception as exc:  # the next beat tries again
                logger.warning("RQ worker %s: heartbeat failed: %s", self.name, exc)

    def _install_signal_handlers(self) -> None:
        signal.signal(signal.SIGINT, self.request_stop)
        signal.signal(signal.SIGTERM, self.request_stop)
        if self.nitro_early is not None and self.nitro_early.is_set():
            self._warm = True
            self._stop_requested = True

    def request_stop(self, signum: int, frame: FrameType | None) -> None:
        """A warm stop: the job in progress finishes (RQ would make a second signal a
        cold stop that kills it, and ``nitro worker`` repeats its SIGTERM)."""
        if self._warm:
            return
        self._warm = True
        self._shutdown_requested_date = now()
        self.handle_warm_shutdown_request()  # type: ignore[no-untyped-call]
        self._shutdown()  # type: ignore[no-untyped-call]  # raises StopRequested when idle
