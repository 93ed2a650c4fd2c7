"""``configure_app`` for FastHTML: each action is mounted as an ASGI route.

FastHTML is built on Starlette, so actions are served by nitro-core's framework-free
ASGI endpoints, added to the app's router as plain Starlette routes (FastHTML's own
``@rt`` signature injection is not involved).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute

from nitro import plugins
from nitro.actions import ActionApp, ActionRoute, build_action_app
from nitro.actions.app import mount_body_limit
from nitro.actions.asgi import (
    ActionEndpoint,
    LiveEndpoint,
    LiveListEndpoint,
    PrefixMiddleware,
    WebEndpoint,
)
from nitro.actions.datastar_js import ROUTE_NAME, DatastarSrcMiddleware
from nitro.actions.openapi import openapi_document
from nitro.actions.urls import normalize_prefix
from nitro.broadcast import Broadcaster
from nitro.web import Mountable

__all__ = ["configure_app", "mount"]


def configure_app(
    app: Any,
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
    """Serve every ``@action`` of ``entities`` (default: all) on a FastHTML ``app``.

    Same routes and settings as on every framework (see
    ``nitro.adapters.fastapi.configure_app``: *allowed_hosts* defaults to
    ``NITRO_ALLOWED_HOSTS`` else loopback names, *max_body_bytes* to
    ``NITRO_MAX_BODY_BYTES`` else 1 MiB); the returned :class:`~nitro.actions.ActionApp`
    is kept as ``app.state.nitro``.

    *auth* (an authenticator or a list of them, :mod:`nitro.auth`) says who is calling;
    ``@action(permission=...)`` needs it. *middleware* hooks run around every action
    request (:mod:`nitro.actions.middleware`). *openapi_url* (``"/openapi.json"``) serves the
    OpenAPI document of the actions (default: not served). *websockets* also serves the
    page socket ``{prefix}/_ws`` and its browser glue ``{prefix}/_ws.js``: live streams
    and actions over one WebSocket per page (:mod:`nitro.actions.websocket`; off by
    default). *datastar_js* (default ``NITRO_DATASTAR_JS``) self-hosts Datastar: the
    file is served at ``GET {prefix}/_nitro/datastar.js`` and every ``rusty_tags.Page``
    rendered during a request loads it instead of the CDN
    (:mod:`nitro.actions.datastar_js`). Nitro's errors raised in the app's own routes
    (``nitro.NotFound`` 404, ...) get the answer an action would give.
    """
    if getattr(app.state, "nitro", None) is not None:
        raise RuntimeError("configure_app() was already called for this FastHTML app")
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
    nitro.serve(lambda routes, live: _register(app, nitro, routes, live))
    lists = Route(
        nitro.live_list_path(), LiveListEndpoint(nitro), methods=["GET"], name=nitro.live_list_name
    )
    app.router.routes.insert(0, lists)
    if websockets:
        app.router.routes[0:0] = _websocket_routes(nitro)
    if nitro.prefix:
        app.add_middleware(PrefixMiddleware, prefix=nitro.prefix)
    if nitro.datastar_js is not None:
        own = nitro.datastar_js  # an ASGI app
        app.router.routes.insert(0, Route(own.path, own, methods=["GET"], name=ROUTE_NAME))
        app.add_middleware(DatastarSrcMiddleware, src=own.src)
    _handle_errors(app, nitro)
    app.state.nitro = nitro
    if openapi_url:
        app.router.routes.insert(0, Route(openapi_url, _openapi_endpoint(nitro), methods=["GET"]))
    for plugin in plugins.with_routes():  # installed plugins' pages (nitro.plugins)
        mount(app, plugin)
    plugins.call("app_configured", nitro, app)
    return nitro


def _websocket_routes(nitro: ActionApp) -> list[Any]:
    from nitro.actions.websocket import SCRIPT_PATH, WebSocketEndpoint, WsScriptEndpoint, ws_path

    return [
        WebSocketRoute(ws_path(nitro.prefix), WebSocketEndpoint(nitro), name="nitro_ws"),
        Route(nitro.prefix + SCRIPT_PATH, WsScriptEndpoint(), methods=["GET"], name="nitro_ws_js"),
    ]


def _handle_errors(app: Any, nitro: ActionApp) -> None:
    """Answer Nitro's errors raised in the app's own routes as actions do (the app's
    own handlers, registered before, are kept)."""

    async def answer(request: Any, error: Exception) -> Response:
        result = nitro.error_answer(error)
        if result is None:  # not reached: only mapped errors come here
            raise error
        return Response(result.body, result.status, headers=result.headers)

    for error_class in nitro.mapped_errors:
        if error_class not in app.exception_handlers:
            app.add_exception_handler(error_class, answer)


def _openapi_endpoint(nitro: ActionApp) -> Any:
    async def openapi(request: Any) -> JSONResponse:
        return JSONResponse(openapi_document(nitro))

    return openapi


def _register(app: Any, nitro: ActionApp, routes: list[ActionRoute], live: list[type]) -> None:
    limit = nitro.max_body_bytes
    starlette_routes = [
        Route(
            r.path, ActionEndpoint(nitro.dispatcher, r, limit), methods=[r.method], name=r.endpoint
        )
        for r in routes
    ]
    starlette_routes += [
        Route(
            nitro.live_route_path(entity),
            LiveEndpoint(nitro, entity),
            methods=["GET"],
            name=nitro.live_name(entity),
        )
        for entity in live
    ]
    # Before the app's own routes, so a catch-all user route cannot shadow an action.
    app.router.routes[0:0] = starlette_routes


def mount(
    app: Any, mountable: Mountable, prefix: str = "", *, max_body_bytes: int | None = None
) -> None:
    """Serve a framework-neutral extension (such as the Nitro admin) on ``app``.

    :param max_body_bytes: the body limit (413 above it); default: the one given to
        ``configure_app`` for this app, else ``NITRO_MAX_BODY_BYTES``, else 1 MiB.
    """
    base = normalize_prefix(prefix)
    limit = mount_body_limit(getattr(app.state, "nitro", None), max_body_bytes)
    app.router.routes[0:0] = [
        Route(base + r.path, WebEndpoint(r.handler, limit), methods=list(r.methods), name=r.name)
        for r in mountable.web_routes()
    ]
