"""The RQ side, without Nitro: the same no-op as a plain RQ job function.

Workers: C processes of ``rq worker -w rq.SimpleWorker -S rq.serializers.JSONSerializer``
(bench_jobs.py starts them), as ``nitro worker -c C`` forks C ``SimpleWorker``\\ s. The
jobs are stored with RQ's JSON serializer, as Nitro's are.
"""

from __future__ import annotations

from _marks import mark


def noop(i: int) -> None:
    mark(i)
