"""Flask app answering one Datastar request twice: by an @action and by a lean view.

``POST /counter/increment?amount=N`` is Nitro's route for ``Counter.increment`` on
MemoryRepo (``configure_app``); ``POST /lean/counter/increment?amount=N`` does the same
work without Nitro: read the raw body, parse the signals with ``json``, update a dict of
copies under a lock, answer the ``datastar-patch-signals`` event formatted by the official
``datastar-py`` SDK (which has no Flask response class: a plain Flask ``Response`` with
the SDK's SSE headers carries it).
"""

from __future__ import annotations

import json
import threading
from typing import Any

from counter import Counter
from datastar_py.sse import SSE_HEADERS, ServerSentEventGenerator
from flask import Flask, Response, request

from nitro.adapters.flask import configure_app

app = Flask(__name__)
configure_app(app, entities=[Counter])

_lock = threading.Lock()
_store: dict[str, dict[str, Any]] = {"main": {"id": "main", "count": 0}}


@app.post("/lean/counter/increment")
def lean_increment() -> Response:
    signals = json.loads(request.get_data())
    counter_id = signals["Counter"]["id"]
    amount = request.args.get("amount", 1, type=int)
    with _lock:
        stored = _store.get(counter_id)
        if stored is None:
            return Response(status=404)
        counter = dict(stored)
        counter["count"] += amount
        _store[counter_id] = dict(counter)
    event = ServerSentEventGenerator.patch_signals({"Counter": counter})
    return Response(event, headers=SSE_HEADERS)
