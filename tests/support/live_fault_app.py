"""A FastAPI app for the live-stream fault tests, run by uvicorn in a subprocess.

``POST /ticker/{id}/burst?times=N&size=B`` saves the ticker N times with a B-byte
payload (each save is published); ``GET /streams`` reports the app's open streams.
"""

from __future__ import annotations

from fastapi import FastAPI

from nitro import Entity, action
from nitro.actions import LiveList
from nitro.adapters.fastapi import configure_app


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

app = FastAPI()
nitro = configure_app(app)


@app.get("/streams")
def streams() -> dict:
    return {"count": nitro.streams.count, "topics": nitro.streams.topics()}


@app.post("/seed")
def seed() -> dict:
    Ticker(id="t1").save()
    return {"ok": True}
