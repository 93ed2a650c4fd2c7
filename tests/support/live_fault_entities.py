"""The entity, live list and plain routes of the live-stream fault tests, served by the
FastAPI app (``live_fault_app``) and the Flask one (``live_fault_flask_app``) alike.

``Ticker.burst(times, size)`` saves the ticker *times* times with a *size*-byte
payload: each save is published to every open stream. ``GET /streams`` answers
:func:`open_streams`, ``POST /seed`` runs :func:`seed`.
"""

from __future__ import annotations

from typing import Any

from nitro import Entity, action
from nitro.actions import LiveList


class Ticker(Entity):
    count: int = 0
    payload: str = ""

    @action(method="POST")
    def burst(self, times: int = 1, size: int = 0) -> int:
        for _ in range(times):
            self.count += 1
            self.payload = "x" * size
            self.save()
        return self.count


TICKERS = LiveList(Ticker, name="tickers", order_by="count", render=lambda t: str(t.count))


def open_streams(nitro: Any) -> dict[str, Any]:
    """How many streams the app (``configure_app``'s answer) holds open, and to what."""
    return {"count": nitro.streams.count, "topics": nitro.streams.topics()}


def seed() -> dict[str, bool]:
    Ticker(id="t1").save()
    return {"ok": True}
