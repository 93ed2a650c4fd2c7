"""``configure_app`` for FastAPI: each action becomes an API route, listed in OpenAPI."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import Response
from nitro import plugins
from nitro.actions import ActionApp, build_action_app
from nitro.actions.app import mount_body_limit
from nitro.actions.asgi import PrefixMiddleware, WebEndpoint
from nitro.actions.datastar_js import ROUTE_NAME, DatastarSrcMiddleware
from nitro.actions.openapi import merge_components
from nitro.actions.urls import normalize_prefix
from nitro.adapters.fastapi._routes import (
    endpoint_for,
    register,
    register_live_lists,
    register_websocket,
    route_class,
)
from nitro.broadcast import Broadcaster
from nitro.web import Mountable

__all__ = ["configure_app", "mount"]


def configure_app(
    app: FastAPI,
    prefix: str = "",
    entities: Sequence[type] | None = None,
    *,
    broadcaster: Broadcaster | None = None,
    trusted_origins: Sequence[str] = (),
    allowed_hosts: Sequence[str] | None = None,
    max_body_bytes: int | None = None,
    auth: Any = None,
    middleware: Sequence[Any] = (),
    websockets: bool = False,
    datastar_js: str | os.PathLike[str] | None = None,
) -> ActionApp:
    """Serve every ``@action`` of ``entities`` (default: all) on ``app``.

    Each action becomes ``POST {prefix}/{entity}/{action}`` (the instance id taken from
    the entity's signals) and ``POST {prefix}/{entity}/{id}/{action}``, with the method
    set on the decorator; each entity with instance actions also gets its live stream
    at ``GET {prefix}/_live/{entity}/{id}``. The returned :class:`~nitro.actions.ActionApp`
    is also kept as ``app.state.nitro``.

    :param broadcaster: where changes are published (default: in this process only;
        pass nitro-redis' broadcaster to reach every instance).
    :param trusted_origins: extra origins (``"https://admin.example.com"``) allowed to
        send state-changing requests besides the app's own.
    :param allowed_hosts: host names (``"example.com"``, ``".example.com"`` for
        subdomains, ``"*"``) that state-changing requests may be sent to; default
        ``NITRO_ALLOWED_HOSTS``, else loopback names. Required once the app is served on
        a non-loopback address (see :mod:`nitro.actions.hosts`).
    :param auth: an authenticator or a list of them (``JWTAuth``, ``admin.authenticator()``,
        see :mod:`nitro.auth`): who is calling; ``@action(permission=...)`` needs it.
    :param middleware: hooks around every action request (``before_action``,
        ``after_action``; see :mod:`nitro.actions.middleware`).
    :param max_body_bytes: bodies above this are refused with 413 before they are read;
        default ``NITRO_MAX_BODY_BYTES``, else 1 MiB. ``mount`` uses it too.
    :param websockets: also serve the page socket ``{prefix}/_ws`` and its browser glue
        ``{prefix}/_ws.js``: live streams and actions over one WebSocket per page
        (:mod:`nitro.actions.websocket`, docs/websockets.md). Off by default.
    :param datastar_js: self-host Datastar: the path of your copy of ``datastar.js``
        (default ``NITRO_DATASTAR_JS``). It is read now and served at
        ``GET {prefix}/_nitro/datastar.js``; every ``rusty_tags.Page`` rendered during
        a request loads Datastar from there instead of the CDN
        (:mod:`nitro.actions.datastar_js`).

    Nitro's errors raised in the app's own routes get the answer an action would give
    (``nitro.NotFound`` 404 ``{"error": "Todo not found"}``, ``ConcurrencyError`` 409,
    ``BackendUnavailable`` 503, any ``ActionError`` or auth refusal its own status):
    ``configure_app`` adds an exception handler for each of ``ActionApp.mapped_errors``
    that the app does not handle already.

    :raises ActionConfigurationError: two actions want the same route, a setting is
        invalid, or the ``datastar_js`` file cannot be read.
    :raises RuntimeError: ``configure_app`` was already called for this app.
    """
    if getattr(app.state, "nitro", None) is not None:
        raise RuntimeError("configure_app() was already called for this FastAPI app")
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
        app.add_middleware(PrefixMiddleware, prefix=nitro.prefix)
    if nitro.datastar_js is not None:
        own = nitro.datastar_js  # an ASGI app; not part of the OpenAPI document
        app.router.add_route(
            own.path,
            own,  # type: ignore[arg-type]
            methods=["GET"],
            name=ROUTE_NAME,
            include_in_schema=False,
        )
        app.add_middleware(DatastarSrcMiddleware, src=own.src)
    _handle_errors(app, nitro)
    app.state.nitro = nitro
    _publish_components(app, nitro)
    for plugin in plugins.with_routes():  # installed plugins' pages (nitro.plugins)
        mount(app, plugin)
    plugins.call("app_configured", nitro, app)
    return nitro


def _handle_errors(app: FastAPI, nitro: ActionApp) -> None:
    """Answer Nitro's errors raised in the app's own routes as actions do (the app's
    own handlers, registered before, are kept)."""

    async def answer(request: Request, error: Exception) -> Response:
        result = nitro.error_answer(error)
        if result is None:  # not reached: only mapped errors come here
            raise error
        return Response(result.body, result.status, headers=result.headers)

    for error_class in nitro.mapped_errors:
        if error_class not in app.exception_handlers:
            app.add_exception_handler(error_class, answer)


def _publish_components(app: FastAPI, nitro: ActionApp) -> None:
    """Add the schemas the action operations refer to, and the bearer scheme, to
    FastAPI's OpenAPI document (it knows only its own models)."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        # FastAPI's document is cached until its routes change: merge into it in place.
        return merge_components(build(), nitro.openapi_components)

    app.openapi = openapi  # type: ignore[method-assign]


def mount(
    app: FastAPI, mountable: Mountable, prefix: str = "", *, max_body_bytes: int | None = None
) -> None:
    """Serve a framework-neutral extension (such as the Nitro admin) on ``app``.

    The routes are left out of the OpenAPI schema: they are pages, not an API.

    :param max_body_bytes: the body limit (413 above it); default: the one given to
        ``configure_app`` for this app, else ``NITRO_MAX_BODY_BYTES``, else 1 MiB.
    """
    base = normalize_prefix(prefix)
    limit = mount_body_limit(getattr(app.state, "nitro", None), max_body_bytes)
    for web_route in mountable.web_routes():
        app.router.add_api_route(
            base + web_route.path,
            endpoint_for(WebEndpoint(web_route.handler, limit)),
            methods=list(web_route.methods),
            name=web_route.name,
            include_in_schema=False,
            response_class=Response,
            route_class_override=route_class(app),
        )
