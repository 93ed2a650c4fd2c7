"""A FastAPI app for the live-stream fault tests, run by uvicorn in a subprocess.

``POST /ticker/{id}/burst?times=N&size=B`` saves the ticker N times with a B-byte
payload (each save is published); ``GET /streams`` reports the app's open streams.
"""

from __future__ import annotations

from fastapi import FastAPI
from live_fault_entities import TICKERS, Ticker

from nitro.adapters.fastapi import configure_app

__all__ = ["TICKERS", "app"]

app = FastAPI()
nitro = configure_app(app, websockets=True)


@app.get("/streams")
def streams() -> dict:
    return {"count": nitro.streams.count, "topics": nitro.streams.topics()}


@app.post("/seed")
def seed() -> dict:
    Ticker(id="t1").save()
    return {"ok": True}
