"""The Celery side, without Nitro: the same no-op as a plain Celery task.

Worker: ``celery -A native_celery worker -P threads -c C --without-mingle
--without-gossip --without-heartbeat`` (bench_jobs.py starts it). The settings are the
ones the Nitro engine uses: JSON, late acknowledgement, prefetch 1, no result backend.
"""

from __future__ import annotations

import os

from _marks import URL_VAR, mark
from celery import Celery  # type: ignore[import-untyped]

app = Celery("bench", broker=os.environ[URL_VAR])
app.conf.update(
    task_serializer="json",
    accept_content=["json"],
    task_ignore_result=True,
    task_acks_late=True,
    task_reject_on_worker_lost=True,
    worker_prefetch_multiplier=1,
    task_default_queue="default",
)


@app.task(name="bench.noop")
def noop(i: int) -> None:
    mark(i)
