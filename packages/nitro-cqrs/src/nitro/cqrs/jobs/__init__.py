"""Background jobs on real queues: Celery, Dramatiq or RQ on Redis, or threads of
this process — chosen by configuration, with one job API.

.. code-block:: python

    from nitro.cqrs.jobs import JobRetry, configure_jobs, job


    @job(retry=JobRetry(max_tries=5))
    def send_report(report_id: int) -> None: ...


    configure_jobs("celery+redis://localhost:6379/0")  # or NITRO_JOBS_URL
    send_report.enqueue(report_id=7)

See docs/jobs.md.
"""

from nitro.cqrs.jobs.config import configure_jobs, current_engine, engine_for_url
from nitro.cqrs.jobs.definition import (
    Job,
    JobArgumentError,
    JobOptions,
    JobRetry,
    UnknownJob,
    job,
    job_named,
)
from nitro.cqrs.jobs.engine import Engine
from nitro.cqrs.jobs.envelope import Envelope, JobRef
from nitro.cqrs.jobs.hooks import (
    job_enqueued,
    job_failed,
    job_retrying,
    job_started,
    job_succeeded,
)
from nitro.cqrs.jobs.inprocess import InProcessEngine
from nitro.cqrs.jobs.runner import current_job
from nitro.cqrs.jobs.store import STATES, JobRecord, JobStore, MemoryJobStore

__all__ = [
    "STATES",
    "Engine",
    "Envelope",
    "InProcessEngine",
    "Job",
    "JobArgumentError",
    "JobOptions",
    "JobRecord",
    "JobRef",
    "JobRetry",
    "JobStore",
    "MemoryJobStore",
    "UnknownJob",
    "configure_jobs",
    "current_engine",
    "current_job",
    "engine_for_url",
    "job",
    "job_enqueued",
    "job_failed",
    "job_named",
    "job_retrying",
    "job_started",
    "job_succeeded",
]
