"""The floor: the same live counter as a plain Starlette app, no Nitro.

What a user would write by hand: the state in a dict, an in-process broadcaster (one
``asyncio.Queue`` per open stream), ``GET /stream`` sending the current state then
every published message, with a keepalive comment when idle, and
``POST /counter/increment`` changing the state and publishing it to every queue. The
events are the same ``datastar-patch-signals`` bytes Nitro sends, so the clients read
the same stream from both servers.

``/ws`` is the same stream over a WebSocket (one text message per event, the same
text; the keepalive is a text message too), for ``bench_sse.py --transport ws``.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

from common import ENTITY_ID, PAGE_HTML, keepalive_seconds
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, StreamingResponse
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

KEEPALIVE = keepalive_seconds()
KEEPALIVE_COMMENT = ": keepalive\n\n"
SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}

state = {"id": ENTITY_ID, "count": 0}


class Hub:
    """In-process fan-out: one queue per open stream."""

    def __init__(self) -> None:
        self.queues: set[asyncio.Queue[str]] = set()

    def publish(self, message: str) -> None:
        for queue in self.queues:
            queue.put_nowait(message)


hub = Hub()


def state_event() -> str:
    signals = json.dumps({"Counter": state}, separators=(",", ":"))
    return f"event: datastar-patch-signals\ndata: signals {signals}\n\n"


async def events() -> AsyncIterator[str]:
    """The state, then every published message, a keepalive when idle."""
    queue: asyncio.Queue[str] = asyncio.Queue()
    hub.queues.add(queue)
    try:
        yield state_event()
        while True:
            try:
                async with asyncio.timeout(KEEPALIVE):
                    message = await queue.get()
            except TimeoutError:
                message = KEEPALIVE_COMMENT
            yield message
    finally:
        hub.queues.discard(queue)


async def stream(request: Request) -> StreamingResponse:
    return StreamingResponse(events(), media_type="text/event-stream", headers=SSE_HEADERS)


async def ws_stream(websocket: WebSocket) -> None:
    await websocket.accept()
    stream = events()
    try:
        async for message in stream:
            await websocket.send_text(message)
    except (WebSocketDisconnect, OSError):
        pass  # the client went away: the next send says so
    finally:
        await stream.aclose()


async def increment(request: Request) -> JSONResponse:
    state["count"] += 1
    hub.publish(state_event())  # encoded once for every stream
    return JSONResponse(state)


async def page(request: Request) -> HTMLResponse:
    return HTMLResponse(PAGE_HTML)


app = Starlette(
    routes=[
        Route("/stream", stream),
        Route("/counter/increment", increment, methods=["POST"]),
        Route("/page", page),
        WebSocketRoute("/ws", ws_stream),
    ]
)
