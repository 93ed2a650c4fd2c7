"""Actions on WSGI servers: the sync driver next to :mod:`nitro.actions.asgi`.

No framework is imported. An adapter whose router has matched a route hands the WSGI
``environ`` and the path parameters to one of these endpoints and gets an
:class:`~nitro.actions.ActionResponse` back, which it turns into its framework's
response (a complete body, or a ``stream`` of SSE text chunks). Reading the request --
headers looked up in the environ on demand, the body never read past the limit, the
413 answer -- happens here once, for every WSGI framework.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any
from urllib.parse import parse_qsl

from nitro.actions._answers import error_response
from nitro.actions._send_deadline import send_deadline
from nitro.actions.app import ActionApp
from nitro.actions.errors import ActionError
from nitro.actions.limits import read_wsgi_body
from nitro.actions.list_stream import list_events
from nitro.actions.live import find_live_entity, live_events, wants_elements
from nitro.actions.live_access import check_entity_access, open_list_view
from nitro.actions.registry import ActionRoute
from nitro.actions.request import ActionRequest, ActionResponse, refusal
from nitro.actions.sse import SSE_HEADERS

__all__ = [
    "SERVER_SOCKETS",
    "EnvironHeaders",
    "WsgiActionEndpoint",
    "WsgiLiveEndpoint",
    "WsgiLiveListEndpoint",
    "WsgiWebEndpoint",
    "deadlined_stream",
    "parse_query",
    "request_from_wsgi",
    "wsgi_refusal",
]

Environ = Mapping[str, Any]

#: Where WSGI servers show the client's socket: werkzeug's (``flask run``), gunicorn's.
SERVER_SOCKETS = ("werkzeug.socket", "gunicorn.socket")


def deadlined_stream(environ: Environ, events: Iterator[str]) -> Iterator[str]:
    """*events*, each written to the client under a deadline of
    ``NITRO_STREAM_SEND_TIMEOUT`` seconds (:mod:`nitro.actions._send_deadline`).

    A live stream's server thread writes each event to the client; once a client stops
    reading and its buffers are full, that write blocks, and TCP keeps probing a closed
    window for as long as the connection lives: the thread and the stream's place under
    the streams limit would be held for ever. The server writes an event between this
    generator's ``yield`` and its next resumption; when that takes longer than the
    deadline, the client's socket is shut down, the write fails as a broken pipe, and
    the server closes the stream (quietly: a client gone), as ASGI servers do after the
    same timeout (:func:`nitro.actions.asgi.send_response`). Servers that do not show
    their socket (:data:`SERVER_SOCKETS`) get *events* as they are; a server that
    buffers writes itself, such as waitress, applies its own timeouts."""
    for key in SERVER_SOCKETS:
        sock = environ.get(key)
        if sock is not None and hasattr(sock, "shutdown"):
            return _deadlined(events, sock)
    return events


def _deadlined(events: Iterator[str], sock: Any) -> Iterator[str]:
    try:
        for event in events:
            with send_deadline(sock, "live stream"):
                yield event
    finally:
        close = getattr(events, "close", None)
        if close is not None:
            close()


def _environ_key(name: str) -> str:
    key = name.upper().replace("-", "_")
    return key if key in ("CONTENT_TYPE", "CONTENT_LENGTH") else "HTTP_" + key


#: Header name -> environ key, for the names code looks up (bounded: a name could come
#: from a client).
_ENVIRON_KEYS: dict[str, str] = {}
_MAX_ENVIRON_KEYS = 256


class EnvironHeaders(Mapping[str, str]):
    """Lower-case header names over the WSGI environ, read on demand (no copy)."""

    __slots__ = ("_environ",)

    def __init__(self, environ: Environ):
        self._environ = environ

    def __getitem__(self, name: str) -> str:
        value = self.get(name)
        if value is None:
            raise KeyError(name)
        return str(value)

    def get(self, name: str, default: Any = None) -> Any:  # no KeyError on the hot path
        key = _ENVIRON_KEYS.get(name)
        if key is None:
            key = _environ_key(name)
            if len(_ENVIRON_KEYS) < _MAX_ENVIRON_KEYS:
                _ENVIRON_KEYS[name] = key
        value = self._environ.get(key)
        return default if value is None else str(value)

    def __iter__(self) -> Iterator[str]:
        for key in self._environ:
            if key.startswith("HTTP_"):
                yield key[5:].lower().replace("_", "-")
            elif key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
                yield key.lower().replace("_", "-")

    def __len__(self) -> int:
        return sum(1 for _ in self)


def parse_query(query_string: str) -> dict[str, str]:
    """The query string of a WSGI environ as a dict (the last value of a repeated name)."""
    if not query_string:
        return {}
    if "%" not in query_string and "+" not in query_string and query_string.isascii():
        pairs = (item.partition("=") for item in query_string.split("&") if item)
        return {key: value for key, _, value in pairs}
    # WSGI hands the raw bytes over as latin-1 text; re-decode them as UTF-8.
    raw = query_string.encode("latin-1").decode("utf-8", "replace")
    return dict(parse_qsl(raw, keep_blank_values=True))


def request_from_wsgi(
    environ: Environ, path_params: Mapping[str, str], max_body_bytes: int
) -> ActionRequest:
    """The request, its body read no further than ``max_body_bytes``.

    :raises RequestTooLarge: above the limit (by ``Content-Length``, before reading).
    :raises BadRequest: ``Content-Length`` is not a number.
    """
    has_body = environ.get("CONTENT_LENGTH") not in (None, "", "0") or (
        "HTTP_TRANSFER_ENCODING" in environ
    )
    return ActionRequest(
        method=environ["REQUEST_METHOD"],
        path_params=path_params,
        query=parse_query(environ.get("QUERY_STRING", "")),
        headers=EnvironHeaders(environ),
        body=read_wsgi_body(environ, max_body_bytes) if has_body else b"",
        path=environ.get("PATH_INFO", ""),
        scheme=environ.get("wsgi.url_scheme", "http"),
        client=environ.get("REMOTE_ADDR"),
        server=environ.get("SERVER_NAME"),
    )


def wsgi_refusal(error: ActionError) -> ActionResponse:
    """:func:`~nitro.actions.request.refusal` for WSGI, which forbids applications to
    set hop-by-hop headers: closing the connection is the server's business (Werkzeug
    and Gunicorn drain or close it after an unread body)."""
    response = refusal(error)
    response.headers.pop("Connection", None)
    return response


class WsgiActionEndpoint:
    """One action route, for a sync (WSGI) framework."""

    def __init__(self, nitro: ActionApp, route: ActionRoute):
        self.dispatcher = nitro.dispatcher
        self.route = route
        self.max_body_bytes = nitro.max_body_bytes

    def respond(self, environ: Environ, path_params: Mapping[str, str]) -> ActionResponse:
        try:
            request = request_from_wsgi(environ, path_params, self.max_body_bytes)
        except ActionError as error:
            return wsgi_refusal(error)
        return self.dispatcher.handle(self.route, request)


class WsgiWebEndpoint:
    """A :class:`nitro.web.WebRoute` handler, for a sync (WSGI) framework."""

    def __init__(self, handler: Callable[[ActionRequest], ActionResponse], max_body_bytes: int):
        self.handler = handler
        self.max_body_bytes = max_body_bytes

    def respond(self, environ: Environ, path_params: Mapping[str, str]) -> ActionResponse:
        try:
            request = request_from_wsgi(environ, path_params, self.max_body_bytes)
        except ActionError as error:
            return wsgi_refusal(error)
        return self.handler(request)


class WsgiLiveEndpoint:
    """The live-update stream of one entity class; holds a worker thread while open."""

    def __init__(self, nitro: ActionApp, entity: type):
        self.nitro = nitro
        self.entity = entity

    def respond(self, environ: Environ, path_params: Mapping[str, str]) -> ActionResponse:
        try:  # a live stream reads no body, but the limit is the same on every route
            request = request_from_wsgi(environ, path_params, self.nitro.max_body_bytes)
        except ActionError as error:
            return wsgi_refusal(error)
        try:
            self.nitro.streams.admit()
        except ActionError as error:
            return error_response(error)
        target = find_live_entity(self.entity, path_params["id"])
        if isinstance(target, ActionResponse):
            return target
        refused = check_entity_access(self.nitro.dispatcher, target, request)
        if refused is not None:
            return refused
        nitro = self.nitro
        elements = wants_elements(request.query)
        events = live_events(nitro.broadcaster, target, nitro.keepalive, nitro.streams, elements)
        return ActionResponse(200, dict(SSE_HEADERS), stream=deadlined_stream(environ, events))


class WsgiLiveListEndpoint:
    """The live streams of every :class:`~nitro.actions.LiveList`
    (``{prefix}/_live/_list/{name}``); each holds a worker thread while open."""

    def __init__(self, nitro: ActionApp):
        self.nitro = nitro

    def respond(self, environ: Environ, path_params: Mapping[str, str]) -> ActionResponse:
        try:
            request = request_from_wsgi(environ, path_params, self.nitro.max_body_bytes)
        except ActionError as error:
            return wsgi_refusal(error)
        try:
            self.nitro.streams.admit()
        except ActionError as error:
            return error_response(error)
        view = open_list_view(self.nitro.dispatcher, path_params["name"], request)
        if isinstance(view, ActionResponse):
            return view
        nitro = self.nitro
        events = list_events(nitro.broadcaster, view, nitro.keepalive, nitro.streams)
        return ActionResponse(200, dict(SSE_HEADERS), stream=deadlined_stream(environ, events))
