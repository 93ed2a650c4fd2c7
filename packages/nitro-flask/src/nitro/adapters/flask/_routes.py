"""How Nitro's routes run on Flask: URL rules whose views hand the WSGI environ to a
core endpoint and turn its answer into a Flask ``Response``."""

from __future__ import annotations

import re
from typing import Any

from flask import Flask, Response, request, stream_with_context
from nitro.actions import ActionApp, ActionConfigurationError, ActionRoute
from nitro.actions.request import ActionRequest, ActionResponse
from nitro.actions.wsgi import (
    EnvironHeaders,
    WsgiActionEndpoint,
    WsgiLiveEndpoint,
    WsgiLiveListEndpoint,
    WsgiWebEndpoint,
)

__all__ = [
    "flask_path",
    "nitro_response",
    "register",
    "register_live_lists",
    "register_websocket",
    "view_for",
]


def register(app: Flask, nitro: ActionApp, routes: list[ActionRoute], live: list[type]) -> None:
    if app._got_first_request:  # Flask refuses new rules once it serves
        raise ActionConfigurationError(
            f"Flask app {app.name!r} is already serving requests; define the entity "
            "before the app's first request (import its module before serving)"
        )
    for route in routes:
        core = WsgiActionEndpoint(nitro, route)
        rule, name = flask_path(route.path), route.endpoint
        app.add_url_rule(rule, name, view_for(core, name), methods=[route.method])
    for entity in live:
        core_live, name = WsgiLiveEndpoint(nitro, entity), nitro.live_name(entity)
        rule = flask_path(nitro.live_route_path(entity))
        app.add_url_rule(rule, name, view_for(core_live, name), methods=["GET"])


def register_live_lists(app: Flask, nitro: ActionApp) -> None:
    """The one route serving every live list's stream (see :class:`nitro.actions.LiveList`)."""
    core, name = WsgiLiveListEndpoint(nitro), nitro.live_list_name
    app.add_url_rule(
        flask_path(nitro.live_list_path()), name, view_for(core, name), methods=["GET"]
    )


def register_websocket(app: Flask, nitro: ActionApp) -> None:
    """The page socket ``{prefix}/_ws`` (through flask-sock) and its browser glue
    ``{prefix}/_ws.js`` (:mod:`nitro.actions.websocket`).

    The handshake is checked before flask-sock accepts it (a ``before_request`` hook
    answering 403), so a cross-site page never gets a socket. The socket then runs in
    the request's thread, its subscriptions in threads of their own
    (:mod:`nitro.actions.ws_sync`).
    """
    try:
        from flask_sock import Sock  # type: ignore[import-untyped]
    except ImportError as error:
        raise ActionConfigurationError(
            "configure_app(websockets=True) on Flask needs flask-sock: "
            "pip install 'nitro-flask[websockets]'"
        ) from error
    from nitro.actions.ws_page import SCRIPT_PATH, script_text, ws_path
    from nitro.actions.ws_protocol import check_handshake
    from nitro.actions.ws_sync import serve_websocket

    def nitro_ws(ws: Any) -> None:  # flask-sock names the endpoint after the function
        serve_websocket(nitro, _handshake(request.environ), ws)

    def check_socket() -> Response | None:
        if request.endpoint != "nitro_ws":
            return None
        refused = check_handshake(nitro, _handshake(request.environ))
        return None if refused is None else _to_response(refused)

    Sock(app).route(ws_path(nitro.prefix))(nitro_ws)
    app.before_request(check_socket)
    app.add_url_rule(
        nitro.prefix + SCRIPT_PATH,
        "nitro_ws_js",
        lambda: Response(script_text(), mimetype="text/javascript"),
        methods=["GET"],
    )


def _handshake(environ: Any) -> ActionRequest:
    return ActionRequest(
        method="GET",
        headers=dict(EnvironHeaders(environ)),
        path=environ.get("PATH_INFO", ""),
        scheme=environ.get("wsgi.url_scheme", "http"),
        client=environ.get("REMOTE_ADDR"),
        server=environ.get("SERVER_NAME"),
    )


def flask_path(path: str) -> str:
    return re.sub(r"\{(\w+)\}", r"<\1>", path)


def nitro_response(result: ActionResponse) -> Response:
    """Core's answer as a Flask ``Response``."""
    return _to_response(result)


def _to_response(result: ActionResponse) -> Response:
    if result.stream is not None:
        response = Response(stream_with_context(result.stream), result.status, result.headers)
    else:
        response = Response(result.body, result.status, result.headers)
    for cookie in result.set_cookies:
        response.headers.add("Set-Cookie", cookie)
    return response


def view_for(
    core: WsgiActionEndpoint | WsgiLiveEndpoint | WsgiLiveListEndpoint | WsgiWebEndpoint,
    name: str,
) -> Any:
    """A Flask view that hands the matched request to a core WSGI endpoint."""

    def view(**path_params: str) -> Response:
        return _to_response(core.respond(request.environ, path_params))

    view.__name__ = name
    return view
