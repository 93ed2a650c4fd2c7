"""``configure_app`` for Flask: each action becomes a URL rule; SSE streams from a generator."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask import Flask, g, jsonify
from nitro import plugins
from nitro.actions import ActionApp, build_action_app
from nitro.actions.app import mount_body_limit
from nitro.actions.openapi import openapi_document
from nitro.actions.urls import normalize_prefix, reset_prefix, set_prefix
from nitro.actions.wsgi import WsgiWebEndpoint
from nitro.adapters.flask._routes import (
    flask_path,
    register,
    register_live_lists,
    register_websocket,
    view_for,
)
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
    auth: Any = None,
    middleware: Sequence[Any] = (),
    openapi_url: str | None = None,
    websockets: bool = False,
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
    )
    nitro.serve(lambda routes, live: register(app, nitro, routes, live))
    register_live_lists(app, nitro)
    if websockets:
        register_websocket(app, nitro)
    if nitro.prefix:
        # A WSGI thread keeps its context between requests: undo the prefix after each.
        app.before_request(lambda: setattr(g, _PREFIX_TOKEN, set_prefix(nitro.prefix)))
        app.teardown_request(_leave_prefix)
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
