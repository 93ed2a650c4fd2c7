"""The Dramatiq side, without Nitro: the same no-op as a plain actor.

Worker: ``dramatiq native_dramatiq -p 1 -t C`` (bench_jobs.py starts it): one process
with C threads, as ``nitro worker -c C`` runs.
"""

from __future__ import annotations

import os

import dramatiq
from _marks import URL_VAR, mark
from dramatiq.brokers.redis import RedisBroker

dramatiq.set_broker(RedisBroker(url=os.environ[URL_VAR]))


@dramatiq.actor(queue_name="default", max_retries=0)
def noop(i: int) -> None:
    mark(i)
