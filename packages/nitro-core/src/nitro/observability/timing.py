"""``Server-Timing`` for development: where an action request spent its time.

Browsers show the header in their network panel (Chrome and Firefox, "Timing"):
``action`` is the whole request as Nitro handled it, ``repo`` the time inside
repository calls, ``render`` the time turning the result into the answer.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from contextvars import ContextVar
from typing import Any

from nitro.probe import Observer

__all__ = ["TimingObserver", "server_timing"]

totals: ContextVar[dict[str, float] | None] = ContextVar("nitro_server_timing", default=None)

_METRIC = {"repository": "repo", "render": "render"}


class _Add:
    __slots__ = ("key", "started", "totals")

    def __init__(self, sums: dict[str, float], key: str) -> None:
        self.totals = sums
        self.key = key
        self.started = 0.0

    def __enter__(self) -> None:
        self.started = time.perf_counter()

    def __exit__(self, *exc_info: object) -> None:
        spent = time.perf_counter() - self.started
        self.totals[self.key] = self.totals.get(self.key, 0.0) + spent


class TimingObserver(Observer):
    """A probe observer adding up the time spent in repository calls and rendering during a
    request, for the ``Server-Timing`` header."""

    def wants_span(self, kind: str) -> bool:
        return kind in _METRIC

    def span(self, kind: str, name: str, attributes: Mapping[str, Any]) -> _Add | None:
        key = _METRIC.get(kind)
        if key is None:
            return None
        sums = totals.get()
        return _Add(sums, key) if sums is not None else None


def server_timing(action_seconds: float, sums: Mapping[str, float]) -> str:
    """The ``Server-Timing`` header value: the whole action plus the summed repository and render
    times, in milliseconds."""
    parts = [f"action;dur={action_seconds * 1000:.2f}"]
    parts += [f"{key};dur={sums[key] * 1000:.2f}" for key in ("repo", "render") if key in sums]
    return ", ".join(parts)
