"""Actions as plain ASGI applications, for Starlette-based frameworks.

No framework is imported: :class:`ActionEndpoint` reads the request from the ASGI
``scope``/``receive`` (path parameters from ``scope["path_params"]``, which Starlette's
router fills) and writes the response with ``send``. nitro-fasthtml mounts these as
routes; nitro-fastapi reuses :func:`request_from_asgi`.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import parse_qsl

from nitro.actions.dispatcher import ActionDispatcher
from nitro.actions.live import afind_live_entity, alive_events
from nitro.actions.registry import ActionRoute
from nitro.actions.request import ActionRequest, ActionResponse
from nitro.actions.sse import SSE_HEADERS
from nitro.actions.urls import set_prefix
from nitro.broadcast import Broadcaster

__all__ = [
    "ActionEndpoint",
    "LiveEndpoint",
    "PrefixMiddleware",
    "WebEndpoint",
    "request_from_asgi",
    "send_response",
]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

#: Bodies above this size are refused with 413 before they are read whole.
MAX_BODY_BYTES = 1024 * 1024


async def request_from_asgi(scope: Scope, receive: Receive) -> ActionRequest:
    headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
    query = dict(
        parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
    )
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise BodyTooLarge()
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return ActionRequest(
        method=scope["method"],
        path_params=scope.get("path_params", {}),
        query=query,
        headers=headers,
        body=b"".join(chunks),
        path=scope.get("path", ""),
        scheme=scope.get("scheme", "http"),
        client=(scope.get("client") or (None,))[0],
    )


class BodyTooLarge(Exception):
    pass


async def read_request(scope: Scope, receive: Receive, send: Send) -> ActionRequest | None:
    """The request, or ``None`` after answering 413 for an oversized body."""
    try:
        return await request_from_asgi(scope, receive)
    except BodyTooLarge:
        too_large = ActionResponse.json({"error": "Request body too large"}, 413)
        await send_response(too_large, receive, send)
        return None


def _raw_headers(response: ActionResponse) -> list[tuple[bytes, bytes]]:
    headers = [
        (k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in response.headers.items()
    ]
    headers.extend((b"set-cookie", cookie.encode("latin-1")) for cookie in response.set_cookies)
    if response.stream is None and response.astream is None:
        headers.append((b"content-length", str(len(response.body)).encode()))
    return headers


async def send_response(response: ActionResponse, receive: Receive, send: Send) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": response.status,
            "headers": _raw_headers(response),
        }
    )
    if response.stream is None and response.astream is None:
        await send({"type": "http.response.body", "body": response.body})
        return
    await _stream(_chunks(response), receive, send)


async def _chunks(response: ActionResponse) -> AsyncIterator[str]:
    if response.astream is not None:
        async for chunk in response.astream:
            yield chunk
    elif response.stream is not None:
        for chunk in response.stream:
            yield chunk


async def _stream(chunks: AsyncIterator[str], receive: Receive, send: Send) -> None:
    """Send chunks until they end or the client disconnects, whichever comes first."""

    async def pump() -> None:
        async for chunk in chunks:
            await send({"type": "http.response.body", "body": chunk.encode(), "more_body": True})
        await send({"type": "http.response.body", "body": b""})

    async def wait_disconnect() -> None:
        while (await receive())["type"] != "http.disconnect":
            pass

    pump_task = asyncio.ensure_future(pump())
    watch_task = asyncio.ensure_future(wait_disconnect())
    try:
        await asyncio.wait({pump_task, watch_task}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in (pump_task, watch_task):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, OSError):
                await task
        with contextlib.suppress(Exception):
            await chunks.aclose()  # type: ignore[attr-defined]
    if pump_task.done() and not pump_task.cancelled() and pump_task.exception() is not None:
        raise pump_task.exception()  # type: ignore[misc]


class ActionEndpoint:
    """One action route as an ASGI app."""

    def __init__(self, dispatcher: ActionDispatcher, route: ActionRoute):
        self.dispatcher = dispatcher
        self.route = route

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = await read_request(scope, receive, send)
        if request is None:
            return
        response = await self.dispatcher.ahandle(self.route, request)
        await send_response(response, receive, send)


class WebEndpoint:
    """A :class:`nitro.web.WebRoute` handler as an ASGI app (run in a worker thread)."""

    def __init__(self, handler: Callable[[ActionRequest], ActionResponse]):
        self.handler = handler

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = await read_request(scope, receive, send)
        if request is None:
            return
        response = await asyncio.to_thread(self.handler, request)
        await send_response(response, receive, send)


class LiveEndpoint:
    """The live-update stream of one entity class, as an ASGI app."""

    def __init__(self, broadcaster: Broadcaster, entity: type):
        self.broadcaster = broadcaster
        self.entity = entity

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        target = await afind_live_entity(self.entity, scope["path_params"]["id"])
        if isinstance(target, ActionResponse):
            await send_response(target, receive, send)
            return
        response = ActionResponse(
            200, dict(SSE_HEADERS), astream=alive_events(self.broadcaster, target)
        )
        await send_response(response, receive, send)


class PrefixMiddleware:
    """ASGI middleware: action expressions rendered during a request carry ``prefix``."""

    def __init__(self, app: Any, prefix: str):
        self.app = app
        self.prefix = prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            set_prefix(self.prefix)
        await self.app(scope, receive, send)
