"""The log side of observability: the request id carried into jobs, job log lines."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from nitro.observability.context import (
    current_job,
    current_request_id,
    reset_request_id,
    set_request_id,
)
from nitro.probe import Observer

__all__ = ["LogObserver"]

job_logger = logging.getLogger("nitro.jobs")


class LogObserver(Observer):
    def inject(self, carrier: dict[str, str]) -> None:
        request_id = current_request_id()
        if request_id is not None:
            carrier["request_id"] = request_id

    def resume(self, carrier: Mapping[str, str]) -> Any:
        return _with_request_id(carrier.get("request_id"))

    def wants_span(self, kind: str) -> bool:
        return kind == "job"

    def span(self, kind: str, name: str, attributes: Mapping[str, Any]) -> Any:
        if kind != "job":
            return None
        return _job_logged(name, str(attributes.get("id", "")), attributes.get("attempt", 1))


@contextmanager
def _with_request_id(request_id: str | None) -> Iterator[None]:
    token = set_request_id(request_id)
    try:
        yield
    finally:
        reset_request_id(token)


@contextmanager
def _job_logged(name: str, job_id: str, attempt: Any) -> Iterator[None]:
    token = current_job.set((name, job_id))
    try:
        job_logger.info("job %s started (try %s)", name, attempt)
        yield
        job_logger.info("job %s finished", name)
    finally:
        current_job.reset(token)
