"""A FastAPI app for the live-stream fault tests, run by uvicorn in a subprocess
(the entity and the plain routes: ``live_fault_entities``)."""

from __future__ import annotations

from fastapi import FastAPI
from live_fault_entities import TICKERS, open_streams, seed

from nitro.adapters.fastapi import configure_app

__all__ = ["TICKERS", "app"]

app = FastAPI()
nitro = configure_app(app, websockets=True)
app.get("/streams")(lambda: open_streams(nitro))
app.post("/seed")(seed)
