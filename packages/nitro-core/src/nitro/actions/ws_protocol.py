"""The WebSocket protocol beside SSE: frames, paths and requests, without any server.

One socket per page carries what would otherwise be one SSE response per live stream
plus one HTTP request per action. The client sends JSON text frames::

    {"id": 1, "subscribe": "/_live/counter/c1"}
    {"id": 2, "subscribe": "/_live/_list/thread?post=welcome"}
    {"id": 3, "unsubscribe": 1}
    {
        "id": 4,
        "action": {
            "method": "POST",
            "path": "/post/welcome/comment",
            "signals": {"author": "ann", "text": "hi"},
        },
    }
    {"id": 5, "ping": true}

and gets JSON text frames back, each tagged with the id it answers::

    {"id": 1, "sse": "event: datastar-patch-signals\\ndata: signals {...}\\n\\n"}
    {"id": 4, "status": 200, "sse": "...", "end": true}
    {"id": 4, "status": 403, "error": {"error": "Cross-origin request refused"}, "end": true}
    {"id": 5, "pong": true}

``sse`` is exactly the text the SSE endpoints send (:mod:`nitro.actions.sse` stays the
one encoder): the browser glue hands it to Datastar as if it had come over SSE.
``end`` marks the last frame of an id (an action's answer, a refused or finished
stream). Every check is the HTTP one: the subscription's request and the action's
request are built from the handshake's headers (cookies, ``Authorization``,
``Origin``, ``Host``) and go through :func:`~nitro.actions.live_access.open_list_view`,
:func:`~nitro.actions.live_access.check_entity_access` and
:meth:`~nitro.actions.dispatcher.ActionDispatcher.ahandle`.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from nitro.actions._answers import error_response
from nitro.actions.errors import ActionError, BadRequest, EntityNotFound, RequestTooLarge
from nitro.actions.limits import parse_json
from nitro.actions.live_list import LIST_SEGMENT
from nitro.actions.registry import LIVE_SEGMENT, ActionRoute
from nitro.actions.request import ActionRequest, ActionResponse
from nitro.actions.urls import entity_segment

__all__ = [
    "WS_SEGMENT",
    "ActionFrame",
    "Ping",
    "Subscribe",
    "Unsubscribe",
    "answer_frames",
    "check_handshake",
    "error_frame",
    "find_action",
    "find_stream",
    "frame",
    "frame_request",
    "parse_frame",
]

#: ``{prefix}/_ws`` is the socket, ``{prefix}/_ws.js`` the browser glue.
WS_SEGMENT = "_ws"

_METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE"})
#: Handshake headers that describe the socket, not the caller: never copied into the
#: requests made for the frames.
_SOCKET_HEADERS = frozenset(
    {"connection", "upgrade", "content-length", "content-type", "transfer-encoding"}
)
_MAX_ID = 64


@dataclass(frozen=True)
class Subscribe:
    """A client frame: open the live stream at *path* on this socket."""

    id: int | str
    path: str


@dataclass(frozen=True)
class Unsubscribe:
    """A client frame: close the stream the frame *target* opened."""

    id: int | str | None
    target: int | str


@dataclass(frozen=True)
class ActionFrame:
    """A client frame: run the action at *method* *path* with these signals, as an HTTP request
    would."""

    id: int | str
    method: str
    path: str
    signals: Mapping[str, Any]


@dataclass(frozen=True)
class Ping:
    """A client frame that only asks for an answer, to check the socket is alive."""

    id: int | str | None


Command = Subscribe | Unsubscribe | ActionFrame | Ping


class FrameError(BadRequest):
    """A frame the protocol cannot read; ``id`` is the frame's id when it had one."""

    def __init__(self, detail: str, frame_id: Any = None, status: int = 400) -> None:
        super().__init__(detail)
        self.frame_id = frame_id if _valid_id(frame_id) else None
        self.status = status


def parse_frame(data: str | bytes, max_bytes: int) -> Command:
    """The command in one client frame; :class:`FrameError` says what is wrong with it.

    A frame is a request body: above the app's ``max_body_bytes`` it is refused (413)
    before it is parsed, and its JSON nesting is limited as on HTTP.
    """
    raw = data.encode() if isinstance(data, str) else data
    if len(raw) > max_bytes:
        raise FrameError(RequestTooLarge.detail, status=RequestTooLarge.status)
    try:
        message = parse_json(raw, "the frame")
    except ValueError:
        raise FrameError("the frame is not valid JSON") from None
    if not isinstance(message, dict):
        raise FrameError("a frame must be a JSON object")
    frame_id = message.get("id")
    keys = set(message) - {"id"}
    if len(keys) != 1 or not keys <= {"subscribe", "unsubscribe", "action", "ping"}:
        raise FrameError(
            "a frame has an id and one of: subscribe, unsubscribe, action, ping", frame_id
        )
    (key,) = keys
    if key == "ping":
        return Ping(frame_id if _valid_id(frame_id) else None)
    if not _valid_id(frame_id):
        raise FrameError("id must be a number or a short string")
    assert frame_id is not None  # _valid_id says so
    value = message[key]
    if key == "subscribe":
        return Subscribe(frame_id, _path(value, frame_id))
    if key == "unsubscribe":
        if not _valid_id(value):
            raise FrameError("unsubscribe names the id of a subscribe frame", frame_id)
        return Unsubscribe(frame_id, value)
    if not isinstance(value, dict) or set(value) - {"method", "path", "signals"}:
        raise FrameError("action is {method, path, signals}", frame_id)
    method = value.get("method", "POST")
    if not isinstance(method, str) or method.upper() not in _METHODS:
        raise FrameError("action method must be GET, POST, PUT, PATCH or DELETE", frame_id)
    signals = value.get("signals", {})
    if not isinstance(signals, dict):
        raise FrameError("action signals must be a JSON object", frame_id)
    return ActionFrame(frame_id, method.upper(), _path(value.get("path"), frame_id), signals)


def _valid_id(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or (isinstance(value, str) and 0 < len(value) <= _MAX_ID)


def _path(value: Any, frame_id: Any) -> str:
    if not isinstance(value, str) or not value.startswith("/") or value.startswith("//"):
        raise FrameError("a path starts with a single /", frame_id)
    return value


# -- paths --------------------------------------------------------------------------


def _split(prefix: str, path: str) -> tuple[list[str], dict[str, str]]:
    """The path's raw segments below *prefix* (which a client may leave out), and its
    query."""
    parts = urlsplit(path)
    route = parts.path
    if prefix and (route == prefix or route.startswith(prefix + "/")):
        route = route[len(prefix) :]
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    return route.strip("/").split("/"), query


@dataclass(frozen=True)
class StreamTarget:
    """What a subscribe path names: an entity's stream or a live list's."""

    path: str
    query: dict[str, str]
    entity: type | None = None
    entity_id: str = ""
    list_name: str = ""


def find_stream(nitro: Any, path: str) -> StreamTarget:
    """The stream *path* names (``{prefix}/_live/{entity}/{id}`` or
    ``{prefix}/_live/_list/{name}``), else :class:`EntityNotFound`."""
    segments, query = _split(nitro.prefix, path)
    if len(segments) == 3 and segments[0] == LIVE_SEGMENT:
        _, kind, raw = segments
        if kind == LIST_SEGMENT:
            return StreamTarget(path, query, list_name=unquote(raw))
        for entity in list(nitro.entities):
            if entity_segment(entity) == kind:
                return StreamTarget(path, query, entity=entity, entity_id=unquote(raw))
    raise EntityNotFound("No such live stream")


def find_action(nitro: Any, method: str, path: str) -> tuple[ActionRoute, dict[str, str]]:
    """The route serving ``method path`` and its path parameters (matched as the HTTP
    routers match: one segment per ``{id}``, percent-decoded), else 404/405."""
    segments, _ = _split(nitro.prefix, path)
    allowed = False
    for route in list(nitro.routes):
        params = _match(_split(nitro.prefix, route.path)[0], segments)
        if params is None:
            continue
        if route.method == method:
            return route, params
        allowed = True
    if allowed:
        error = ActionError("Method not allowed")
        error.status = 405
        raise error
    raise EntityNotFound("No such action")


_PARAM = re.compile(r"\{(\w+)\}")


def _match(template: list[str], segments: list[str]) -> dict[str, str] | None:
    if len(template) != len(segments):
        return None
    params: dict[str, str] = {}
    for pattern, segment in zip(template, segments, strict=True):
        name = _PARAM.fullmatch(pattern)
        if name is not None:
            if not segment:
                return None
            params[name.group(1)] = unquote(segment)
        elif pattern != segment:
            return None
    return params


# -- requests ------------------------------------------------------------------------


def check_handshake(nitro: Any, handshake: ActionRequest) -> ActionResponse | None:
    """``None`` when the handshake may open a socket, else the refusal.

    A socket sends state-changing actions, so its handshake passes the checks of a
    state-changing request (allowed ``Host``; ``Origin`` the app's own or trusted):
    a page on another site cannot open it with the victim's cookies (Cross-Site
    WebSocket Hijacking). The requests made for the frames pass them again.
    """
    as_write = dataclasses.replace(handshake, method="POST")
    try:
        nitro.dispatcher.check_request(as_write)
    except ActionError as error:
        response = error_response(error)
        response.status = 403 if error.status == 400 else error.status
        return response
    return None


def frame_request(
    handshake: ActionRequest,
    method: str,
    path: str,
    path_params: Mapping[str, str] | None = None,
    signals: Mapping[str, Any] | None = None,
) -> ActionRequest:
    """The request a frame stands for: the handshake's caller (headers, client) asking
    ``method path`` as Datastar would, the signals as Datastar sends them (the
    ``datastar`` query parameter of a GET/DELETE, else a JSON body)."""
    headers = {k: v for k, v in handshake.headers.items() if k not in _SOCKET_HEADERS}
    headers["datastar-request"] = "true"
    query = dict(parse_qsl(urlsplit(path).query, keep_blank_values=True))
    body = b""
    if signals is not None:
        text = json.dumps(signals, separators=(",", ":"))
        if method in ("GET", "DELETE"):
            query["datastar"] = text
        else:
            body = text.encode()
            headers["content-type"] = "application/json"
    return ActionRequest(
        method=method,
        path_params=dict(path_params or {}),
        query=query,
        headers=headers,
        body=body,
        path=urlsplit(path).path,
        scheme=handshake.scheme,
        client=handshake.client,
        server=handshake.server,
    )


# -- frames sent ---------------------------------------------------------------------


def frame(frame_id: Any, **fields: Any) -> str:
    """A server frame: JSON text with the *frame_id* it answers and *fields*."""
    return json.dumps({"id": frame_id, **fields}, separators=(",", ":"))


def error_frame(frame_id: Any, error: ActionError) -> str:
    """The final frame for a refused command: the status and the error's JSON, as the HTTP answer
    would carry them."""
    return frame(frame_id, status=error.status, error=error.to_json(), end=True)


def answer_frames(frame_id: Any, response: ActionResponse) -> list[str]:
    """The frames of a complete answer (refusal, action result): its SSE text, or its
    JSON body under ``error`` (status >= 400) or ``json``."""
    if response.content_type.startswith("text/event-stream"):
        text = response.body.decode()
        return [frame(frame_id, status=response.status, sse=text, end=True)]
    try:
        payload = json.loads(response.body) if response.body else None
    except ValueError:
        payload = response.body.decode("utf-8", "replace")
    key = "error" if response.status >= 400 else "json"
    return [frame(frame_id, status=response.status, end=True, **{key: payload})]
