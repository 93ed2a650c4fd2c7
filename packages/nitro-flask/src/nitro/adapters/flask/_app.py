"""``configure_app`` for Flask: each action becomes a URL rule; SSE streams from a generator."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from flask import Flask, Response, g, jsonify, request
from nitro import plugins
from nitro.actions import ActionApp, build_action_app
from nitro.actions.app import mount_body_limit
from nitro.actions.datastar_js import ROUTE_NAME, DatastarJs
from nitro.actions.openapi import openapi_document
from nitro.actions.request import ActionRequest
from nitro.actions.urls import normalize_prefix, reset_prefix, set_prefix
from nitro.actions.wsgi import WsgiWebEndpoint
from nitro.adapters.flask._routes import (
    flask_path,
    nitro_response,
    register,
    register_live_lists,
    register_websocket,
    view_for,
)
from nitro.broadcast import Broadcaster
from nitro.web import Mountable
from rusty_tags import reset_datastar_src, set_datastar_src

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
    auth: Any = None,
    middleware: Sequence[Any] = (),
    openapi_url: str | None = None,
    websockets: bool = False,
    datastar_js: str | os.PathLike[str] | None = None,
) -> ActionApp:
    """Serve every ``@action`` of ``entities`` (default: all) on ``app``.

    Routes are the same as on every framework: ``{prefix}/{entity}/{action}``,
    ``{prefix}/{entity}/<id>/{action}`` and the live stream
    ``GET {prefix}/_live/{entity}/<id>``. The returned :class:`~nitro.actions.ActionApp`
    is kept as ``app.extensions["nitro"]``. Like any Flask setup method, it must run
    before the app serves its first request.

    *auth* (an authenticator or a list of them, :mod:`nitro.auth`) says who is calling;
    ``@action(permission=...)`` needs it. *middleware* hooks run around every action
    request (:mod:`nitro.actions.middleware`). *openapi_url* (``"/openapi.json"``) serves the
    OpenAPI document of the actions (default: not served).

    Async actions run in a fresh event loop per request (Flask views are sync); prefer
    sync actions on Flask. A live stream holds one worker thread while it is open, so
    run a threaded server (the default for ``flask run``) or gunicorn with threads.

    *websockets* also serves the page socket ``{prefix}/_ws`` and its browser glue
    ``{prefix}/_ws.js`` (:mod:`nitro.actions.websocket`; off by default). It needs
    flask-sock (``nitro-flask[websockets]``); a socket holds a thread, plus one per
    open subscription, like the SSE streams.

    *allowed_hosts* (default ``NITRO_ALLOWED_HOSTS``, else loopback names) and
    *max_body_bytes* (default ``NITRO_MAX_BODY_BYTES``, else 1 MiB; Flask's own
    ``MAX_CONTENT_LENGTH`` is not involved) work as on every framework: see
    ``nitro.adapters.fastapi.configure_app``.

    *datastar_js* (default ``NITRO_DATASTAR_JS``) self-hosts Datastar: the file is
    served at ``GET {prefix}/_nitro/datastar.js`` and every ``rusty_tags.Page`` rendered
    during a request loads it instead of the CDN (:mod:`nitro.actions.datastar_js`).

    Nitro's errors raised in the app's own views get the answer an action would give
    (``nitro.NotFound`` 404 ``{"error": "Todo not found"}``, ...): an error handler for
    each of ``ActionApp.mapped_errors`` the app does not handle already.
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
        auth=auth,
        middleware=middleware,
        datastar_js=datastar_js,
    )
    nitro.serve(lambda routes, live: register(app, nitro, routes, live))
    register_live_lists(app, nitro)
    if websockets:
        register_websocket(app, nitro)
    if nitro.prefix:
        # A WSGI thread keeps its context between requests: undo the prefix after each.
        app.before_request(lambda: setattr(g, _PREFIX_TOKEN, set_prefix(nitro.prefix)))
        app.teardown_request(_leave_prefix)
    if nitro.datastar_js is not None:
        _serve_datastar(app, nitro.datastar_js)
    _handle_errors(app, nitro)
    app.extensions[EXTENSION_KEY] = nitro
    if openapi_url:
        app.add_url_rule(
            openapi_url, "nitro_openapi", lambda: jsonify(openapi_document(nitro)), methods=["GET"]
        )
    for plugin in plugins.with_routes():  # installed plugins' pages (nitro.plugins)
        mount(app, plugin)
    plugins.call("app_configured", nitro, app)
    return nitro


_PREFIX_TOKEN = "nitro_prefix_token"


def _leave_prefix(_error: BaseException | None) -> None:
    token = g.pop(_PREFIX_TOKEN, None)
    if token is not None:
        reset_prefix(token)


_DATASTAR_TOKEN = "nitro_datastar_token"


def _serve_datastar(app: Flask, own: DatastarJs) -> None:
    """The file at ``{prefix}/_nitro/datastar.js``, and the pages' address for it."""

    def nitro_datastar_js() -> Response:
        etag = request.headers.get("If-None-Match", "")
        return nitro_response(own.respond(ActionRequest("GET", headers={"if-none-match": etag})))

    app.add_url_rule(own.path, ROUTE_NAME, nitro_datastar_js, methods=["GET"])
    # A WSGI thread keeps its context between requests: undo the address after each.
    app.before_request(lambda: setattr(g, _DATASTAR_TOKEN, set_datastar_src(own.src)))
    app.teardown_request(_leave_datastar)


def _leave_datastar(_error: BaseException | None) -> None:
    token = g.pop(_DATASTAR_TOKEN, None)
    if token is not None:
        reset_datastar_src(token)


def _handle_errors(app: Flask, nitro: ActionApp) -> None:
    """Answer Nitro's errors raised in the app's own views as actions do (the app's
    own handlers, registered before, are kept)."""

    def answer(error: Exception) -> Response:
        result = nitro.error_answer(error)
        if result is None:  # not reached: only mapped errors come here
            raise error
        return nitro_response(result)

    handled = app.error_handler_spec.get(None, {}).get(None, {})
    for error_class in nitro.mapped_errors:
        if error_class not in handled:
            app.register_error_handler(error_class, answer)


def mount(
    app: Flask, mountable: Mountable, prefix: str = "", *, max_body_bytes: int | None = None
) -> None:
    """Serve a framework-neutral extension (such as the Nitro admin) on ``app``.

    :param max_body_bytes: the body limit (413 above it); default: the one given to
        ``configure_app`` for this app, else ``NITRO_MAX_BODY_BYTES``, else 1 MiB.
    """
    base = normalize_prefix(prefix)
    limit = mount_body_limit(app.extensions.get(EXTENSION_KEY), max_body_bytes)
    for web_route in mountable.web_routes():
        app.add_url_rule(
            flask_path(base + web_route.path),
            endpoint=web_route.name,
            view_func=view_for(WsgiWebEndpoint(web_route.handler, limit), web_route.name),
            methods=list(web_route.methods),
        )
