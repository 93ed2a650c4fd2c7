"""FastAPI app answering one Datastar request twice: by an @action and by a lean endpoint.

``POST /counter/increment?amount=N`` is Nitro's route for ``Counter.increment`` on
MemoryRepo (``configure_app``); ``POST /lean/counter/increment?amount=N`` does the same
work without Nitro: read the raw body, parse the signals with ``json``, update a dict of
copies under a lock, answer the ``datastar-patch-signals`` event with the official
``datastar-py`` SDK.

``POST /lean-plain/counter/increment`` is the same lean endpoint answering with a plain
Starlette ``Response`` (the SDK's event text and SSE headers) instead of the SDK's
``DatastarResponse``, a ``StreamingResponse`` that costs far more per request: the
stricter baseline for Nitro's own overhead.
"""

from __future__ import annotations

import json
import threading
from typing import Any

from counter import Counter
from datastar_py.fastapi import SSE_HEADERS, DatastarResponse, ServerSentEventGenerator
from fastapi import FastAPI, Request, Response

from nitro.adapters.fastapi import configure_app

app = FastAPI()
configure_app(app, entities=[Counter])

_lock = threading.Lock()
_store: dict[str, dict[str, Any]] = {"main": {"id": "main", "count": 0}}


def _increment(signals: dict[str, Any], amount: int) -> dict[str, Any] | None:
    counter_id = signals["Counter"]["id"]
    with _lock:
        stored = _store.get(counter_id)
        if stored is None:
            return None
        counter = dict(stored)
        counter["count"] += amount
        _store[counter_id] = dict(counter)
    return counter


@app.post("/lean/counter/increment")
async def lean_increment(request: Request) -> Response:
    signals = json.loads(await request.body())
    counter = _increment(signals, int(request.query_params.get("amount", 1)))
    if counter is None:
        return Response(status_code=404)
    return DatastarResponse(ServerSentEventGenerator.patch_signals({"Counter": counter}))


@app.post("/lean-plain/counter/increment")
async def lean_plain_increment(request: Request) -> Response:
    signals = json.loads(await request.body())
    counter = _increment(signals, int(request.query_params.get("amount", 1)))
    if counter is None:
        return Response(status_code=404)
    event = ServerSentEventGenerator.patch_signals({"Counter": counter})
    return Response(event, headers=SSE_HEADERS)
