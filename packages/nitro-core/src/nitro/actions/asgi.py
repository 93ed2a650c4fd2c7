"""Actions on ASGI servers: the async driver next to :mod:`nitro.actions.wsgi`.

No framework is imported: each endpoint reads the request from the ASGI
``scope``/``receive`` (path parameters from ``scope["path_params"]``, which Starlette's
router fills) and writes the response with ``send`` (:func:`send_response`: a complete
body, or SSE chunks until the client disconnects). Each endpoint is an ASGI app
(nitro-fasthtml mounts them as routes) and has ``respond(scope, receive)``, the
:class:`~nitro.actions.ActionResponse` alone, for frameworks that call their own
endpoint functions (nitro-fastapi, for OpenAPI) and then hand it to
:func:`send_response`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping, MutableMapping
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from nitro.actions._answers import error_response
from nitro.actions.dispatcher import ActionDispatcher
from nitro.actions.errors import ActionError, RequestTooLarge
from nitro.actions.limits import DEFAULT_MAX_BODY_BYTES, check_content_length
from nitro.actions.list_stream import alist_events
from nitro.actions.live import afind_live_entity, alive_events, wants_elements
from nitro.actions.live_access import check_entity_access, open_list_view
from nitro.actions.registry import ActionRoute
from nitro.actions.request import ActionRequest, ActionResponse, refusal
from nitro.actions.sse import SSE_HEADERS
from nitro.actions.streams import hook_uvicorn_shutdown, send_timeout, shutting_down
from nitro.actions.urls import set_prefix

if TYPE_CHECKING:
    from nitro.actions.app import ActionApp

__all__ = [
    "ActionEndpoint",
    "LiveEndpoint",
    "LiveListEndpoint",
    "PrefixMiddleware",
    "ScopeHeaders",
    "WebEndpoint",
    "read_request",
    "refusal",
    "request_from_asgi",
    "send_response",
]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

logger = logging.getLogger("nitro.actions")


class ScopeHeaders(Mapping[str, str]):
    """Lower-case header names over an ASGI scope's raw headers, read on demand (no
    copy): for what lives as long as a connection (a WebSocket's handshake), where a
    decoded dict per connection is memory that 10,000 of them multiply. A repeated
    header reads as its last value, as the dict of :func:`request_from_asgi` does."""

    __slots__ = ("_raw",)

    def __init__(self, raw: list[tuple[bytes, bytes]]):
        self._raw = raw

    def __getitem__(self, name: str) -> str:
        wanted = name.lower().encode("latin-1")
        found = None
        for key, value in self._raw:
            if key.lower() == wanted:
                found = value
        if found is None:
            raise KeyError(name)
        return found.decode("latin-1")

    def __iter__(self) -> Iterator[str]:
        return iter(dict.fromkeys(key.decode("latin-1").lower() for key, _ in self._raw))

    def __len__(self) -> int:
        return len({key.lower() for key, _ in self._raw})


async def request_from_asgi(
    scope: Scope, receive: Receive, max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
) -> ActionRequest:
    """The request, its body read whole but never past ``max_body_bytes``.

    :raises RequestTooLarge: ``Content-Length`` (checked before reading) or the bytes
        received so far (a chunked body) are above the limit.
    :raises BadRequest: ``Content-Length`` is not a number.
    """
    headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
    query = dict(
        parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
    )
    check_content_length(headers, max_body_bytes)
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > max_body_bytes:
            raise RequestTooLarge()
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
        server=(scope.get("server") or (None,))[0],
    )


async def read_request(
    scope: Scope, receive: Receive, send: Send, max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
) -> ActionRequest | None:
    """The request, or ``None`` after answering 413 for an oversized body."""
    try:
        return await request_from_asgi(scope, receive, max_body_bytes)
    except ActionError as error:
        await send_response(refusal(error), receive, send)
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
    """Send a complete or streaming ``ActionResponse`` over ASGI."""
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
    await _stream(response_chunks(response), receive, send)


def response_chunks(response: ActionResponse) -> AsyncIterator[str]:
    """A streamed answer's chunks, async either way: the HTTP driver and the page
    socket (nitro.actions.websocket) both send a generator action's events from here."""
    if response.astream is not None:
        return response.astream
    return _sync_chunks(response)


async def _sync_chunks(response: ActionResponse) -> AsyncIterator[str]:
    assert response.stream is not None
    for chunk in response.stream:
        yield chunk


async def _stream(chunks: AsyncIterator[str], receive: Receive, send: Send) -> None:
    """Send chunks until they end or the client disconnects, whichever comes first."""

    timeout = send_timeout()

    async def pump() -> None:
        async for chunk in chunks:
            body = {"type": "http.response.body", "body": chunk.encode(), "more_body": True}
            # A client that stopped reading blocks the write (the server's flow
            # control); past the timeout it is dropped, and its page re-syncs when it
            # reconnects. Nothing else waits on it: each stream is its own task.
            async with asyncio.timeout(timeout):
                await send(body)
        if shutting_down():  # leave it unfinished: the page reconnects (see streams)
            return
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
    if pump_task.done() and not pump_task.cancelled():
        error = pump_task.exception()
        if isinstance(error, TimeoutError):  # a stalled client: dropped, see pump()
            logger.info("dropped a stream whose client stopped reading for %ss", timeout)
        elif error is not None:
            raise error


class ActionEndpoint:
    """One action route as an ASGI app."""

    def __init__(
        self,
        dispatcher: ActionDispatcher,
        route: ActionRoute,
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    ):
        self.dispatcher = dispatcher
        self.route = route
        self.max_body_bytes = max_body_bytes

    async def respond(self, scope: Scope, receive: Receive) -> ActionResponse:
        try:
            request = await request_from_asgi(scope, receive, self.max_body_bytes)
        except ActionError as error:
            return refusal(error)
        return await self.dispatcher.ahandle(self.route, request)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send_response(await self.respond(scope, receive), receive, send)


class WebEndpoint:
    """A :class:`nitro.web.WebRoute` handler as an ASGI app (run in a worker thread)."""

    def __init__(
        self,
        handler: Callable[[ActionRequest], ActionResponse],
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    ):
        self.handler = handler
        self.max_body_bytes = max_body_bytes

    async def respond(self, scope: Scope, receive: Receive) -> ActionResponse:
        try:
            request = await request_from_asgi(scope, receive, self.max_body_bytes)
        except ActionError as error:
            return refusal(error)
        return await asyncio.to_thread(self.handler, request)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send_response(await self.respond(scope, receive), receive, send)


class _StreamEndpoint:
    """What the live-stream endpoints share: the request read (no body past the limit),
    the app's stream limit, and the ASGI call."""

    def __init__(self, nitro: ActionApp):
        self.nitro = nitro
        self.max_body_bytes = nitro.max_body_bytes
        hook_uvicorn_shutdown()

    async def admitted(self, scope: Scope, receive: Receive) -> ActionRequest | ActionResponse:
        """The request, or the refusal: 413 for a body past the limit (a stream reads
        none, but every route has the same rule), 503 past the stream limit."""
        try:
            request = await request_from_asgi(scope, receive, self.max_body_bytes)
        except ActionError as error:
            return refusal(error)
        try:
            self.nitro.streams.admit()
        except ActionError as error:
            return error_response(error)
        return request

    async def respond(self, scope: Scope, receive: Receive) -> ActionResponse:
        raise NotImplementedError

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send_response(await self.respond(scope, receive), receive, send)


class LiveEndpoint(_StreamEndpoint):
    """The live-update stream of one entity class, as an ASGI app."""

    def __init__(self, nitro: ActionApp, entity: type):
        super().__init__(nitro)
        self.entity = entity

    async def respond(self, scope: Scope, receive: Receive) -> ActionResponse:
        request = await self.admitted(scope, receive)
        if isinstance(request, ActionResponse):
            return request
        target = await afind_live_entity(self.entity, scope["path_params"]["id"])
        if isinstance(target, ActionResponse):
            return target
        refused = check_entity_access(self.nitro.dispatcher, target, request)
        if refused is not None:
            return refused
        nitro = self.nitro
        elements = wants_elements(request.query)
        events = alive_events(nitro.broadcaster, target, nitro.keepalive, nitro.streams, elements)
        return ActionResponse(200, dict(SSE_HEADERS), astream=events)


class LiveListEndpoint(_StreamEndpoint):
    """The live streams of every :class:`~nitro.actions.LiveList` (and
    :class:`~nitro.actions.LiveTopic`), as an ASGI app (``{prefix}/_live/_list/{name}``)."""

    async def respond(self, scope: Scope, receive: Receive) -> ActionResponse:
        request = await self.admitted(scope, receive)
        if isinstance(request, ActionResponse):
            return request
        view = open_list_view(self.nitro.dispatcher, scope["path_params"]["name"], request)
        if isinstance(view, ActionResponse):
            return view
        nitro = self.nitro
        events = alist_events(nitro.broadcaster, view, nitro.keepalive, nitro.streams)
        return ActionResponse(200, dict(SSE_HEADERS), astream=events)


class PrefixMiddleware:
    """ASGI middleware: action expressions rendered during a request carry ``prefix``."""

    def __init__(self, app: Any, prefix: str):
        self.app = app
        self.prefix = prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            set_prefix(self.prefix)
        await self.app(scope, receive, send)
