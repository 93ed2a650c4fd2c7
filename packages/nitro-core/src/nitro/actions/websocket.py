"""WebSockets beside SSE on ASGI servers: one socket per page, at ``{prefix}/_ws``.

A page that opts in (:func:`ws_script`, then :func:`ws_live` / :func:`ws_list` /
:func:`ws_action` in its attributes) keeps every live stream and sends every action
over one socket instead of one SSE response per stream and one request per action.
Nothing else changes: the frames carry the SSE text the streams produce
(:func:`~nitro.actions.live.alive_events`, :func:`~nitro.actions.list_stream.alist_events`),
and each frame is checked as the HTTP request it stands for (see
:mod:`nitro.actions.ws_protocol`, which also documents the frames).

No framework is imported, as in :mod:`nitro.actions.asgi`: :class:`WebSocketEndpoint`
is an ASGI app for a Starlette ``WebSocketRoute`` (nitro-fastapi, nitro-fasthtml);
:mod:`nitro.actions.ws_sync` serves the same protocol on threaded WSGI servers.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from nitro.actions.asgi import Receive, Scope, ScopeHeaders, Send, response_chunks
from nitro.actions.errors import ActionError, ActionFailed
from nitro.actions.list_stream import alist_events
from nitro.actions.live import afind_live_entity, alive_events, wants_elements
from nitro.actions.live_access import check_entity_access, open_list_view
from nitro.actions.request import ActionRequest, ActionResponse
from nitro.actions.streams import hook_uvicorn_shutdown, send_timeout
from nitro.actions.urls import set_prefix
from nitro.actions.ws_page import (
    SCRIPT_PATH,
    script_text,
    ws_action,
    ws_list,
    ws_list_element,
    ws_live,
    ws_path,
    ws_request,
    ws_script,
    ws_subscribe,
)
from nitro.actions.ws_protocol import (
    ActionFrame,
    FrameError,
    Ping,
    Subscribe,
    answer_frames,
    check_handshake,
    error_frame,
    find_action,
    find_stream,
    frame,
    frame_request,
    parse_frame,
)

if TYPE_CHECKING:
    from nitro.actions.app import ActionApp

__all__ = [
    "SCRIPT_PATH",
    "WebSocketEndpoint",
    "WsScriptEndpoint",
    "ws_action",
    "ws_list",
    "ws_list_element",
    "ws_live",
    "ws_path",
    "ws_request",
    "ws_script",
    "ws_subscribe",
]

logger = logging.getLogger("nitro.actions")

#: Close code when the server shuts down: the page reconnects (with backoff).
SERVICE_RESTART = 1012


def handshake_from_asgi(scope: Scope) -> ActionRequest:
    return ActionRequest(
        method="GET",
        headers=ScopeHeaders(scope["headers"]),  # read on demand: it lives with the socket
        path=scope.get("path", ""),
        scheme="https" if scope.get("scheme") == "wss" else "http",
        client=(scope.get("client") or (None,))[0],
        server=(scope.get("server") or (None,))[0],
    )


class WebSocketEndpoint:
    """The socket of one app, as an ASGI app (``scope["type"] == "websocket"``)."""

    def __init__(self, nitro: ActionApp) -> None:
        self.nitro = nitro
        hook_uvicorn_shutdown()  # a server shutdown ends the streams, then the socket

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (await receive())["type"] != "websocket.connect":
            return
        handshake = handshake_from_asgi(scope)
        refused = check_handshake(self.nitro, handshake)
        if refused is not None:
            await _refuse(scope, send, refused)
            return
        await send({"type": "websocket.accept"})
        set_prefix(self.nitro.prefix)  # expressions rendered for this page's streams
        session = _Session(self.nitro, handshake, send)
        try:
            await session.run(receive)
        except asyncio.CancelledError:
            if not session.dropped:
                raise
            # (out() ended the reading: the client stopped reading; the server closes)
            task = asyncio.current_task()
            if task is not None:
                task.uncancel()
        finally:
            await session.close()


async def _refuse(scope: Scope, send: Send, response: ActionResponse) -> None:
    """Refuse the handshake: the HTTP answer when the server lets the app send one
    (the ``websocket.http.response`` extension), else a close, which servers answer
    with 403."""
    if "websocket.http.response" in scope.get("extensions", {}):
        headers = [(k.lower().encode(), v.encode()) for k, v in response.headers.items()]
        start = {"type": "websocket.http.response.start", "status": response.status}
        await send({**start, "headers": headers})
        await send({"type": "websocket.http.response.body", "body": response.body})
    else:
        await send({"type": "websocket.close", "code": 1008})


class _Session:
    """One open socket: its subscriptions (one task each) and running actions."""

    __slots__ = (
        "_send",
        "actions",
        "closed",
        "dropped",
        "handshake",
        "lock",
        "nitro",
        "reader",
        "streams",
        "timeout",
    )

    def __init__(self, nitro: ActionApp, handshake: ActionRequest, send: Send) -> None:
        self.nitro, self.handshake, self._send = nitro, handshake, send
        self.lock = asyncio.Lock()  # one frame at a time on the socket
        self.timeout = send_timeout()
        self.streams: dict[Any, asyncio.Task[None]] = {}
        self.actions: set[asyncio.Task[None]] = set()
        self.closed = False
        self.dropped = False  # a send timed out: the client stopped reading
        self.reader: asyncio.Task[Any] | None = None  # the task of run()

    async def run(self, receive: Receive) -> None:
        self.reader = asyncio.current_task()
        while not self.closed:
            message = await receive()
            if message["type"] != "websocket.receive":
                return
            data = message.get("text")
            if data is None:
                data = message.get("bytes") or b""
            try:
                command = parse_frame(data, self.nitro.max_body_bytes)
            except FrameError as error:  # an error frame; the socket stays open
                await self.out(error_frame(error.frame_id, error))
                continue
            except ActionError as error:  # JSON nested too deeply
                await self.out(error_frame(None, error))
                continue
            try:
                await self.handle(command)
            except Exception:  # a bug must not end the page's other subscriptions
                logger.exception("websocket frame %r failed", command)
                await self.out(error_frame(getattr(command, "id", None), ActionFailed()))

    async def handle(self, command: Any) -> None:
        if isinstance(command, Ping):
            await self.out(frame(command.id, pong=True))
        elif isinstance(command, Subscribe):
            if command.id in self.streams:
                error = FrameError("this id names an open subscription", command.id)
                await self.out(error_frame(command.id, error))
                return
            task = asyncio.ensure_future(self.stream(command))
            self.streams[command.id] = task
            task.add_done_callback(lambda _: self._forget(command.id, task))
        elif isinstance(command, ActionFrame):
            action = asyncio.ensure_future(self.act(command))
            self.actions.add(action)
            action.add_done_callback(self.actions.discard)
        else:  # Unsubscribe
            if command.target in self.streams:
                self.streams.pop(command.target).cancel()
            await self.out(frame(command.target, end=True))

    def _forget(self, key: Any, task: asyncio.Task[None]) -> None:
        if self.streams.get(key) is task:
            del self.streams[key]

    async def out(self, text: str) -> None:
        """Send one frame; a client that stopped reading is dropped after the send
        timeout (as an SSE stream is), a gone one silently."""
        if self.closed:
            return
        async with self.lock:
            try:  # (asyncio.timeout: wait_for may swallow a cancellation on 3.11)
                async with asyncio.timeout(self.timeout):
                    await self._send({"type": "websocket.send", "text": text})
            except TimeoutError:  # stalled past the timeout: end the socket's reading too
                self.closed = self.dropped = True
                reader = self.reader
                if reader is not None and reader is not asyncio.current_task():
                    reader.cancel()  # (waiting for a frame the client will never send)
            except Exception:  # gone
                self.closed = True

    async def stream(self, command: Subscribe) -> None:
        try:
            events = await self.open_stream(command)
        except ActionError as error:
            await self.out(error_frame(command.id, error))
            return
        if isinstance(events, ActionResponse):
            for text in answer_frames(command.id, events):
                await self.out(text)
            return
        this = asyncio.current_task()
        try:
            async for event in events:
                if self.streams.get(command.id) is not this:
                    return  # unsubscribed (should a cancellation have been lost)
                await self.out(frame(command.id, sse=event))
        finally:
            with contextlib.suppress(Exception):
                await events.aclose()  # type: ignore[attr-defined]
        if self.nitro.streams.closing:  # the server is stopping: the page reconnects
            await self.shut(SERVICE_RESTART)
        else:  # the entity was deleted: nothing more will come
            await self.out(frame(command.id, end=True))

    async def open_stream(self, command: Subscribe) -> AsyncIterator[str] | ActionResponse:
        """The stream's events, or its refusal: the checks of the SSE endpoints."""
        nitro = self.nitro
        target = find_stream(nitro, command.path)
        request = frame_request(self.handshake, "GET", command.path)
        nitro.streams.admit()
        if target.entity is not None:
            found = await afind_live_entity(target.entity, target.entity_id)
            if isinstance(found, ActionResponse):
                return found
            refused = check_entity_access(nitro.dispatcher, found, request)
            if refused is not None:
                return refused
            elements = wants_elements(target.query)
            return alive_events(nitro.broadcaster, found, nitro.keepalive, nitro.streams, elements)
        view = open_list_view(nitro.dispatcher, target.list_name, request)
        if isinstance(view, ActionResponse):
            return view
        return alist_events(nitro.broadcaster, view, nitro.keepalive, nitro.streams)

    async def act(self, command: ActionFrame) -> None:
        try:
            route, params = find_action(self.nitro, command.method, command.path)
            request = frame_request(
                self.handshake, command.method, command.path, params, command.signals
            )
            response = await self.nitro.dispatcher.ahandle(route, request)
            if response.astream is None and response.stream is None:
                for text in answer_frames(command.id, response):
                    await self.out(text)
                return
            async for chunk in response_chunks(response):  # a generator action's events
                await self.out(frame(command.id, sse=chunk))
            await self.out(frame(command.id, status=response.status, end=True))
        except ActionError as error:
            await self.out(error_frame(command.id, error))
        except Exception:  # logged, never sent
            logger.exception("websocket action %s %s failed", command.method, command.path)
            await self.out(error_frame(command.id, ActionFailed()))

    async def shut(self, code: int) -> None:
        if self.closed:
            return
        async with self.lock:
            self.closed = True
            with contextlib.suppress(Exception):
                await self._send({"type": "websocket.close", "code": code})

    async def close(self) -> None:
        """End the subscriptions; running actions finish (their answers are dropped),
        as an HTTP action does when its client goes away."""
        self.closed = True
        for task in list(self.streams.values()):
            task.cancel()
        pending = [*self.streams.values(), *self.actions]
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)


class WsScriptEndpoint:
    """``GET {prefix}/_ws.js``: the browser glue, as an ASGI app."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        body = script_text().encode()
        headers = [
            (b"content-type", b"text/javascript; charset=utf-8"),
            (b"content-length", str(len(body)).encode()),
            (b"cache-control", b"public, max-age=3600"),
        ]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})
