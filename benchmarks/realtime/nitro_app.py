"""The Nitro server: a FastAPI app with ``configure_app`` and a Counter entity.

``Counter.increment`` is an instance ``@action``, so the app serves
``POST /counter/{id}/increment`` and the live stream ``GET /_live/counter/{id}``, also
over the page socket ``/_ws`` (``websockets=True``).
``GET /page`` is an ordinary FastAPI endpoint returning a small HTML page.
"""

from __future__ import annotations

import importlib
from typing import Any

from common import ENTITY_ID, PAGE_HTML, keepalive_seconds
from fastapi import FastAPI
from fastapi.responses import HTMLResponse

from nitro import Entity, action
from nitro.adapters.fastapi import configure_app


def use_keepalive(nitro: Any, seconds: float) -> None:
    """Keep-alive comments every ``seconds`` on idle live streams.

    Depending on the nitro-core version the stream reads ``ActionApp.keepalive`` or
    the default argument of ``alive_events``, which was bound to ``KEEPALIVE_SECONDS``
    when the module was imported (so setting the constant alone changes nothing).
    """
    # The module, not the function ``nitro.actions.live`` that shadows it in the package.
    live = importlib.import_module("nitro.actions.live")
    live.KEEPALIVE_SECONDS = seconds
    live.alive_events.__defaults__ = (seconds,)
    if hasattr(nitro, "keepalive"):
        nitro.keepalive = seconds


class Counter(Entity):
    count: int = 0

    @action(method="POST")
    def increment(self, amount: int = 1) -> None:
        self.count += amount


Counter(id=ENTITY_ID).save()

app = FastAPI()
use_keepalive(configure_app(app, websockets=True), keepalive_seconds())


@app.get("/page", response_class=HTMLResponse)
async def page() -> str:
    return PAGE_HTML
