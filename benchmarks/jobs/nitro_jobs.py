"""The Nitro side: one no-op job (``nitro worker --import nitro_jobs``)."""

from __future__ import annotations

from _marks import mark

from nitro.cqrs.jobs import job


@job
def noop(i: int) -> None:
    mark(i)
