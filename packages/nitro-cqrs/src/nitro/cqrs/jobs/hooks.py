"""Signals sent around every job, for metrics and tracing (issue "Observability").

Each is a :func:`nitro.events.event` (blinker) sent with the job's name as sender and
``envelope=`` (the :class:`~nitro.cqrs.jobs.Envelope`); a receiver that raises is logged
and does not disturb the job.

=================== ==========================================================
``job_enqueued``    sent to the engine (``delay=`` seconds)
``job_started``     a worker starts a run (``waited=`` seconds since enqueue)
``job_succeeded``   a run returned (``duration=`` seconds)
``job_retrying``    a run failed and another is scheduled (``error=``, ``delay=``)
``job_failed``      a job went to the dead-letter queue (``error=``, ``reason=``)
=================== ==========================================================
"""

from __future__ import annotations

from nitro.events import event

__all__ = ["job_enqueued", "job_failed", "job_retrying", "job_started", "job_succeeded"]

#: Sent when a job was put on its queue.
job_enqueued = event("nitro.jobs.enqueued")
#: Sent when a worker starts a run of a job.
job_started = event("nitro.jobs.started")
#: Sent when a run of a job succeeded.
job_succeeded = event("nitro.jobs.succeeded")
#: Sent when a run failed and the job will be tried again.
job_retrying = event("nitro.jobs.retrying")
#: Sent when a job failed for good (it moves to the dead-letter queue).
job_failed = event("nitro.jobs.failed")
