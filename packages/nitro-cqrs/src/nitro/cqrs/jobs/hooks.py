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

job_enqueued = event("nitro.jobs.enqueued")
job_started = event("nitro.jobs.started")
job_succeeded = event("nitro.jobs.succeeded")
job_retrying = event("nitro.jobs.retrying")
job_failed = event("nitro.jobs.failed")
