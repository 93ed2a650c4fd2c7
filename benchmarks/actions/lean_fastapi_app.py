"""FastAPI app answering one Datastar request twice: by an @action and by a lean endpoint.

``POST /counter/increment?amount=N`` is Nitro's route for ``Counter.increment`` on
MemoryRepo (``configure_app``); ``POST /lean/counter/increment?amount=N`` does the same
work without Nitro: read the raw body, parse the signals with ``json``, update a dict of
copies under a lock, answer the ``datastar-patch-signals`` event with the official
``datastar-py`` SDK.
"""

from __future__ import annotations

import json
import threading
from typing import Any

from counter import Counter
from datastar_py.fastapi import DatastarResponse, ServerSentEventGenerator
from fastapi import FastAPI, Request, Response

from nitro.adapters.fastapi import configure_app

app = FastAPI()
configure_app(app, entities=[Counter])

_lock = threading.Lock()
_store: dict[str, dict[str, Any]] = {"main": {"id": "main", "count": 0}}


@app.post("/lean/counter/increment")
async def lean_increment(request: Request) -> Response:
    signals = json.loads(await request.body())
    counter_id = signals["Counter"]["id"]
    amount = int(request.query_params.get("amount", 1))
    with _lock:
        stored = _store.get(counter_id)
        if stored is None:
            return Response(status_code=404)
        counter = dict(stored)
        counter["count"] += amount
        _store[counter_id] = dict(counter)
    return DatastarResponse(ServerSentEventGenerator.patch_signals({"Counter": counter}))
