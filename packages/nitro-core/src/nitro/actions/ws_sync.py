"""The WebSocket protocol on threaded WSGI servers (nitro-flask, through flask-sock).

The socket is served in the request's thread, which reads the client's frames and
runs its actions with the sync driver (:meth:`ActionDispatcher.handle`, as Flask's
HTTP routes do); each subscription is a thread iterating the same generators as the
SSE routes (:func:`~nitro.actions.live.live_events`,
:func:`~nitro.actions.list_stream.list_events`). So a socket holds one thread, plus
one per open subscription: run a threaded server (``app.run(threaded=True)``,
gunicorn ``--threads``) or gevent. Frames, paths and checks are
:mod:`nitro.actions.ws_protocol`'s.

*ws* is any object with ``send(text)``, ``receive(timeout)`` (``None`` on timeout;
raising once the client is gone) and ``close(reason)``: flask-sock's, simple-websocket's.
A send that waits ``NITRO_STREAM_SEND_TIMEOUT`` seconds (a client that stopped reading)
drops the client: its socket (``ws.sock``) is shut down (:mod:`._send_deadline`).
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import threading
from collections.abc import Iterator
from typing import Any

from nitro.actions._send_deadline import send_deadline
from nitro.actions.errors import ActionError, ActionFailed
from nitro.actions.list_stream import list_events
from nitro.actions.live import find_live_entity, live_events
from nitro.actions.live_access import check_entity_access, open_list_view
from nitro.actions.request import ActionRequest, ActionResponse
from nitro.actions.urls import reset_prefix, set_prefix
from nitro.actions.ws_protocol import (
    ActionFrame,
    FrameError,
    Ping,
    Subscribe,
    answer_frames,
    error_frame,
    find_action,
    find_stream,
    frame,
    frame_request,
    parse_frame,
)
from nitro.broadcast import RESYNC

__all__ = ["serve_websocket"]

logger = logging.getLogger("nitro.actions")

SERVICE_RESTART = 1012


def serve_websocket(nitro: Any, handshake: ActionRequest, ws: Any) -> None:
    """Serve one accepted socket until its client leaves (blocking: the request's
    thread). The handshake was checked by the adapter (``check_handshake``)."""
    token = set_prefix(nitro.prefix)
    session = _Session(nitro, handshake, ws)
    try:
        session.run()
    finally:
        session.close()
        reset_prefix(token)


class _Stopped(Exception):
    """Raised inside a subscription's generator once it was unsubscribed."""


class _StoppableSubscription:
    """A broadcaster subscription whose ``get`` ends the generator reading it once its
    subscription is cancelled: a sync generator cannot be closed from another thread
    while it waits for a message."""

    def __init__(self, inner: Any, stop: threading.Event) -> None:
        self._inner, self._stop = inner, stop

    def get(self, timeout: float | None = None) -> Any:
        if self._stop.is_set():
            raise _Stopped
        message = self._inner.get(timeout=timeout)
        if self._stop.is_set():
            raise _Stopped
        return message

    def __enter__(self) -> _StoppableSubscription:
        self._inner.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self._inner.__exit__(*exc)

    def __getattr__(self, name: str) -> Any:  # topic, deliver, close, ...
        return getattr(self._inner, name)


class _StoppableBroadcaster:
    def __init__(self, inner: Any) -> None:
        self._inner = inner
        self.stop = threading.Event()
        self.subscriptions: list[Any] = []

    def subscribe(self, topic: str) -> Any:
        subscription = self._inner.subscribe(topic)
        self.subscriptions.append(subscription)
        return _StoppableSubscription(subscription, self.stop)

    def cancel(self) -> None:
        self.stop.set()
        for subscription in self.subscriptions:  # wake a waiting get()
            subscription.deliver(RESYNC)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


class _Session:
    def __init__(self, nitro: Any, handshake: ActionRequest, ws: Any) -> None:
        self.nitro, self.handshake, self.ws = nitro, handshake, ws
        self.lock = threading.Lock()  # one frame at a time on the socket
        self.streams: dict[Any, _StoppableBroadcaster] = {}
        self.closed = False

    def run(self) -> None:
        while not self.closed:
            try:
                data = self.ws.receive(timeout=None)
            except Exception:  # the client is gone
                return
            if data is None:
                continue
            try:
                command = parse_frame(data, self.nitro.max_body_bytes)
            except FrameError as error:  # an error frame; the socket stays open
                self.out(error_frame(error.frame_id, error))
                continue
            except ActionError as error:  # JSON nested too deeply
                self.out(error_frame(None, error))
                continue
            try:
                self.handle(command)
            except Exception:  # a bug must not end the page's other subscriptions
                logger.exception("websocket frame %r failed", command)
                self.out(error_frame(getattr(command, "id", None), ActionFailed()))

    def handle(self, command: Any) -> None:
        if isinstance(command, Ping):
            self.out(frame(command.id, pong=True))
        elif isinstance(command, Subscribe):
            if command.id in self.streams:
                error = FrameError("this id names an open subscription", command.id)
                self.out(error_frame(command.id, error))
                return
            broadcaster = _StoppableBroadcaster(self.nitro.broadcaster)
            self.streams[command.id] = broadcaster
            run = contextvars.copy_context().run  # the prefix, for rendered rows
            threading.Thread(
                target=run, args=(self.stream, command, broadcaster), daemon=True
            ).start()
        elif isinstance(command, ActionFrame):
            self.act(command)
        else:  # Unsubscribe
            if command.target in self.streams:
                self.streams.pop(command.target).cancel()
            self.out(frame(command.target, end=True))

    def out(self, text: str) -> None:
        if self.closed:
            return
        with self.lock:
            try:
                # (a client that stopped reading: its socket is shut down, the send
                # fails, and the reading loop ends too)
                with send_deadline(getattr(self.ws, "sock", None), "websocket"):
                    self.ws.send(text)
            except Exception:  # the client is gone: the reading loop ends too
                self.closed = True

    def stream(self, command: Subscribe, broadcaster: _StoppableBroadcaster) -> None:
        try:
            try:
                events = self.open_stream(command, broadcaster)
            except ActionError as error:
                self.out(error_frame(command.id, error))
                return
            if isinstance(events, ActionResponse):
                for text in answer_frames(command.id, events):
                    self.out(text)
                return
            try:
                for event in events:
                    if broadcaster.stop.is_set() or self.closed:
                        return
                    self.out(frame(command.id, sse=event))
            finally:
                events.close()  # type: ignore[attr-defined]
            if self.nitro.streams.closing:  # the server is stopping: the page reconnects
                self.shut(SERVICE_RESTART)
            elif not broadcaster.stop.is_set():
                self.out(frame(command.id, end=True))
        except _Stopped:
            pass
        except Exception:
            logger.exception("websocket stream %s failed", command.path)
            self.out(error_frame(command.id, ActionFailed()))
        finally:
            if self.streams.get(command.id) is broadcaster:
                del self.streams[command.id]

    def open_stream(
        self, command: Subscribe, broadcaster: _StoppableBroadcaster
    ) -> Iterator[str] | ActionResponse:
        nitro = self.nitro
        target = find_stream(nitro, command.path)
        request = frame_request(self.handshake, "GET", command.path)
        nitro.streams.admit()
        if target.entity is not None:
            found = find_live_entity(target.entity, target.entity_id)
            if isinstance(found, ActionResponse):
                return found
            refused = check_entity_access(nitro.dispatcher, found, request)
            if refused is not None:
                return refused
            return live_events(broadcaster, found, nitro.keepalive, nitro.streams)
        view = open_list_view(nitro.dispatcher, target.list_name, request)
        if isinstance(view, ActionResponse):
            return view
        return list_events(broadcaster, view, nitro.keepalive, nitro.streams)

    def act(self, command: ActionFrame) -> None:
        try:
            route, params = find_action(self.nitro, command.method, command.path)
            request = frame_request(
                self.handshake, command.method, command.path, params, command.signals
            )
            response = self.nitro.dispatcher.handle(route, request)
            if response.stream is None:
                for text in answer_frames(command.id, response):
                    self.out(text)
                return
            for chunk in response.stream:  # a generator action's events
                self.out(frame(command.id, sse=chunk))
            self.out(frame(command.id, status=response.status, end=True))
        except ActionError as error:
            self.out(error_frame(command.id, error))
        except Exception:  # logged, never sent
            logger.exception("websocket action %s %s failed", command.method, command.path)
            self.out(error_frame(command.id, ActionFailed()))

    def shut(self, code: int) -> None:
        with self.lock:
            if self.closed:
                return
            self.closed = True
            with contextlib.suppress(Exception):
                self.ws.close(reason=code)

    def close(self) -> None:
        self.closed = True
        for broadcaster in list(self.streams.values()):
            broadcaster.cancel()
        self.streams.clear()
