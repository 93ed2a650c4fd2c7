"""``configure_app`` for Flask: each action becomes a URL rule; SSE streams from a generator."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any
from urllib.parse import parse_qsl

from flask import Flask, Response, request, stream_with_context
from nitro.actions import ActionApp, ActionRoute, build_action_app
from nitro.actions.errors import ActionError
from nitro.actions.limits import check_content_length, read_wsgi_body, resolve_max_body_bytes
from nitro.actions.live import find_live_entity, live_events
from nitro.actions.request import ActionRequest, ActionResponse
from nitro.actions.sse import SSE_HEADERS
from nitro.actions.urls import normalize_prefix, set_prefix
from nitro.broadcast import Broadcaster
from nitro.web import Mountable

__all__ = ["EXTENSION_KEY", "configure_app", "mount"]

EXTENSION_KEY = "nitro"


def configure_app(
    app: Flask,
    prefix: str = "",
    entities: Sequence[type] | None = None,
    *,
    broadcaster: Broadcaster | None = None,
    trusted_origins: Sequence[str] = (),
    allowed_hosts: Sequence[str] | None = None,
    max_body_bytes: int | None = None,
) -> ActionApp:
    """Serve every ``@action`` of ``entities`` (default: all) on ``app``.

    Routes are the same as on every framework: ``{prefix}/{entity}/{action}``,
    ``{prefix}/{entity}/<id>/{action}`` and the live stream
    ``GET {prefix}/_live/{entity}/<id>``. The returned :class:`~nitro.actions.ActionApp`
    is kept as ``app.extensions["nitro"]``. Like any Flask setup method, it must run
    before the app serves its first request.

    Async actions run in a fresh event loop per request (Flask views are sync); prefer
    sync actions on Flask. A live stream holds one worker thread while it is open, so
    run a threaded server (the default for ``flask run``) or gunicorn with threads.

    *allowed_hosts* (default ``NITRO_ALLOWED_HOSTS``, else loopback names) and
    *max_body_bytes* (default ``NITRO_MAX_BODY_BYTES``, else 1 MiB; Flask's own
    ``MAX_CONTENT_LENGTH`` is not involved) work as on every framework: see
    ``nitro.adapters.fastapi.configure_app``.
    """
    if EXTENSION_KEY in app.extensions:
        raise RuntimeError("configure_app() was already called for this Flask app")
    nitro = build_action_app(
        prefix=prefix,
        entities=entities,
        broadcaster=broadcaster,
        trusted_origins=trusted_origins,
        allowed_hosts=allowed_hosts,
        max_body_bytes=max_body_bytes,
    )
    for route in nitro.routes:
        app.add_url_rule(
            _flask_path(route.path),
            endpoint=route.endpoint,
            view_func=_action_view(nitro, route),
            methods=[route.method],
        )
    for entity, path in nitro.live_routes():
        app.add_url_rule(
            _flask_path(path),
            endpoint=f"nitro_{entity.__name__.lower()}_live",
            view_func=_live_view(nitro, entity),
            methods=["GET"],
        )
    if nitro.prefix:
        app.before_request(lambda: set_prefix(nitro.prefix))
    app.extensions[EXTENSION_KEY] = nitro
    return nitro


def _flask_path(path: str) -> str:
    return re.sub(r"\{(\w+)\}", r"<\1>", path)


class _EnvironHeaders(Mapping[str, str]):
    """Lower-case header names over the WSGI environ, read on demand (no copy)."""

    __slots__ = ("_environ",)

    def __init__(self, environ: Mapping[str, Any]):
        self._environ = environ

    def __getitem__(self, name: str) -> str:
        value = self.get(name)
        if value is None:
            raise KeyError(name)
        return value

    def get(self, name: str, default: Any = None) -> Any:  # no KeyError on the hot path
        key = name.upper().replace("-", "_")
        if key not in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            key = "HTTP_" + key
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


def _current_request(max_body_bytes: int) -> ActionRequest:
    """The request, its body read no further than ``max_body_bytes``.

    :raises RequestTooLarge: above the limit (by ``Content-Length``, before reading).
    """
    environ = request.environ
    has_body = environ.get("CONTENT_LENGTH") not in (None, "", "0") or (
        "HTTP_TRANSFER_ENCODING" in environ
    )
    query_string = environ.get("QUERY_STRING")
    return ActionRequest(
        method=environ["REQUEST_METHOD"],
        path_params=request.view_args or {},
        query=_parse_query(query_string) if query_string else {},
        headers=_EnvironHeaders(environ),
        body=read_wsgi_body(environ, max_body_bytes) if has_body else b"",
        path=environ.get("PATH_INFO", ""),
        scheme=environ.get("wsgi.url_scheme", "http"),
        client=environ.get("REMOTE_ADDR"),
        server=environ.get("SERVER_NAME"),
    )


def _refusal(error: ActionError) -> Response:
    """413/400 before the body was read. What happens to the unread rest is the WSGI
    server's business (Werkzeug's closes the connection after draining it)."""
    return _to_response(ActionResponse.json(error.to_json(), error.status))


def _parse_query(query_string: str) -> dict[str, str]:
    if "%" not in query_string and "+" not in query_string and query_string.isascii():
        pairs = (item.partition("=") for item in query_string.split("&") if item)
        return {key: value for key, _, value in pairs}
    # WSGI hands the raw bytes over as latin-1 text; re-decode them as UTF-8.
    raw = query_string.encode("latin-1").decode("utf-8", "replace")
    return dict(parse_qsl(raw, keep_blank_values=True))


def _to_response(result: ActionResponse) -> Response:
    if result.stream is not None:
        response = Response(stream_with_context(result.stream), result.status, result.headers)
    else:
        response = Response(result.body, result.status, result.headers)
    for cookie in result.set_cookies:
        response.headers.add("Set-Cookie", cookie)
    return response


def mount(
    app: Flask, mountable: Mountable, prefix: str = "", *, max_body_bytes: int | None = None
) -> None:
    """Serve a framework-neutral extension (such as the Nitro admin) on ``app``.

    :param max_body_bytes: the body limit (413 above it); default: the one given to
        ``configure_app`` for this app, else ``NITRO_MAX_BODY_BYTES``, else 1 MiB.
    """
    base = normalize_prefix(prefix)
    nitro = app.extensions.get(EXTENSION_KEY)
    if max_body_bytes is None and nitro is not None:
        limit = int(nitro.max_body_bytes)
    else:
        limit = resolve_max_body_bytes(max_body_bytes)
    for web_route in mountable.web_routes():
        app.add_url_rule(
            _flask_path(base + web_route.path),
            endpoint=web_route.name,
            view_func=_web_view(web_route.handler, web_route.name, limit),
            methods=list(web_route.methods),
        )


def _web_view(handler: Any, name: str, max_body_bytes: int) -> Any:
    def view(**_: str) -> Response:
        try:
            web_request = _current_request(max_body_bytes)
        except ActionError as error:
            return _refusal(error)
        return _to_response(handler(web_request))

    view.__name__ = name
    return view


def _action_view(nitro: ActionApp, route: ActionRoute) -> Any:
    dispatcher = nitro.dispatcher
    limit = nitro.max_body_bytes

    def view(**_: str) -> Response:
        try:
            action_request = _current_request(limit)
        except ActionError as error:
            return _refusal(error)
        return _to_response(dispatcher.handle(route, action_request))

    view.__name__ = route.endpoint
    return view


def _live_view(nitro: ActionApp, entity: type) -> Any:
    def view(id: str) -> Response:
        try:  # a live stream reads no body, but the limit is the same on every route
            check_content_length(_EnvironHeaders(request.environ), nitro.max_body_bytes)
        except ActionError as error:
            return _refusal(error)
        target = find_live_entity(entity, id)
        if isinstance(target, ActionResponse):
            return _to_response(target)
        events: Iterator[str] = live_events(nitro.broadcaster, target)
        return Response(stream_with_context(events), 200, SSE_HEADERS)

    return view
