"""``Server-Timing`` for development: where an action request spent its time.

Browsers show the header in their network panel (Chrome and Firefox, "Timing"):
``action`` is the whole request as Nitro handled it, ``repo`` the time inside
repository calls, ``render`` the time turning the result into the answer.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextvars import ContextVar
from typing import Any

from nitro.probe import Observer, Timer

__all__ = ["TimingObserver", "server_timing"]

totals: ContextVar[dict[str, float] | None] = ContextVar("nitro_server_timing", default=None)

_METRIC = {"repository": "repo", "render": "render"}


class TimingObserver(Observer):
    """A probe observer adding up the time spent in repository calls and rendering during a
    request, for the ``Server-Timing`` header."""

    def timer(self, kind: str) -> Timer | None:
        key = _METRIC.get(kind)
        if key is None:
            return None

        def add(name: str, attributes: Mapping[str, Any], seconds: float, failed: bool) -> None:
            sums = totals.get()
            if sums is not None:  # (inside a request: else nobody reads it)
                sums[key] = sums.get(key, 0.0) + seconds

        return add


def server_timing(action_seconds: float, sums: Mapping[str, float]) -> str:
    """The ``Server-Timing`` header value: the whole action plus the summed repository and render
    times, in milliseconds."""
    parts = [f"action;dur={action_seconds * 1000:.2f}"]
    parts += [f"{key};dur={sums[key] * 1000:.2f}" for key in ("repo", "render") if key in sums]
    return ", ".join(parts)
