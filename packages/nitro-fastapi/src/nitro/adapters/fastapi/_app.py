"""``configure_app`` for FastAPI: each action becomes an API route, listed in OpenAPI."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import Response, StreamingResponse
from fastapi.routing import APIRoute
from nitro import plugins
from nitro.actions import ActionApp, ActionRoute, asgi, build_action_app
from nitro.actions.app import mount_body_limit
from nitro.actions.asgi import ActionEndpoint, LiveEndpoint, PrefixMiddleware, WebEndpoint
from nitro.actions.openapi import live_operation, openapi_operation, security_schemes
from nitro.actions.request import ActionResponse
from nitro.actions.urls import normalize_prefix
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
    :raises ActionConfigurationError: two actions want the same route, or a setting is
        invalid.
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
    )
    nitro.serve(lambda routes, live: _register(app, nitro, routes, live))
    if nitro.prefix:
        app.add_middleware(PrefixMiddleware, prefix=nitro.prefix)
    app.state.nitro = nitro
    _publish_components(app, nitro)
    for plugin in plugins.with_routes():  # installed plugins' pages (nitro.plugins)
        mount(app, plugin)
    plugins.call("app_configured", nitro, app)
    return nitro


def _publish_components(app: FastAPI, nitro: ActionApp) -> None:
    """Add the schemas the action operations refer to, and the bearer scheme, to
    FastAPI's OpenAPI document (it knows only its own models)."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        document = build()  # FastAPI's, cached until its routes change: merge in place
        components = document.setdefault("components", {})
        schemas = components.setdefault("schemas", {})
        for name, schema in nitro.openapi_components.items():
            schemas.setdefault(name, schema)
        components.setdefault("securitySchemes", {}).update(security_schemes())
        return document

    app.openapi = openapi  # type: ignore[method-assign]


def _register(app: FastAPI, nitro: ActionApp, routes: list[ActionRoute], live: list[type]) -> None:
    for route in routes:
        app.router.add_api_route(
            route.path,
            _endpoint(ActionEndpoint(nitro.dispatcher, route, nitro.max_body_bytes)),
            methods=[route.method],
            name=route.endpoint,
            summary=f"{route.entity.__name__}.{route.info.name}",
            description=(route.info.func.__doc__ or "").strip(),
            tags=[route.entity.__name__],
            openapi_extra=openapi_operation(route, nitro.openapi_components),
            response_class=Response,
            route_class_override=_route_class(app),
        )
    for entity in live:
        app.router.add_api_route(
            nitro.live_route_path(entity),
            _endpoint(LiveEndpoint(nitro.broadcaster, entity, nitro.max_body_bytes)),
            methods=["GET"],
            name=nitro.live_name(entity),
            summary=f"Live updates of one {entity.__name__} (Server-Sent Events)",
            tags=[entity.__name__],
            openapi_extra=live_operation(),
            response_class=StreamingResponse,
            route_class_override=_route_class(app),
        )
    app.openapi_schema = None  # routes added after the schema was built show up in it


_Core = ActionEndpoint | LiveEndpoint | WebEndpoint


class _CoreRoute(APIRoute):
    """An API route (in OpenAPI, named for ``url_path_for``) served by a core ASGI
    endpoint.

    FastAPI builds a ``Request``, two exit stacks and solves the endpoint's
    dependencies on every call; a Nitro endpoint needs none of it (it reads the ASGI
    scope itself). So when FastAPI has nothing to run first -- no dependencies (the
    app's and router's ``dependencies=[...]`` included) and no FastAPI body limit
    (``max_body_size``) -- the route's ASGI app is the core endpoint itself. Otherwise
    the request takes FastAPI's whole path, and the dependencies run as on any route.
    """

    def __init__(self, path: str, endpoint: Any, **kwargs: Any) -> None:
        super().__init__(path, endpoint, **kwargs)
        core: _Core | None = getattr(endpoint, "nitro_core", None)
        if core is not None and not self.dependant.dependencies and not _body_limit(self):
            self.app = core


def _route_class(app: FastAPI) -> type[APIRoute] | None:
    """:class:`_CoreRoute`, unless the app has its own route class (a timing or
    logging ``APIRoute`` subclass set as ``app.router.route_class``): that one serves
    Nitro's routes too."""
    return _CoreRoute if app.router.route_class is APIRoute else None


def _body_limit(route: APIRoute) -> bool:
    return getattr(route, "max_body_size", None) is not None


class _CoreResponse(Response):
    """Core's answer, sent by core's ASGI driver (bodies, SSE streams, disconnects)."""

    def __init__(self, result: ActionResponse):  # no Starlette body or headers to build
        self.result = result
        self.background = None

    async def __call__(self, scope: asgi.Scope, receive: asgi.Receive, send: asgi.Send) -> None:
        await asgi.send_response(self.result, receive, send)


def _endpoint(core: _Core) -> Any:
    """A FastAPI endpoint function that hands the request to a core ASGI endpoint
    (kept as its ``nitro_core``, which :class:`_CoreRoute` serves directly)."""

    async def endpoint(request: Request) -> Response:
        return _CoreResponse(await core.respond(request.scope, request.receive))

    endpoint.nitro_core = core  # type: ignore[attr-defined]
    return endpoint


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
            _endpoint(WebEndpoint(web_route.handler, limit)),
            methods=list(web_route.methods),
            name=web_route.name,
            include_in_schema=False,
            response_class=Response,
            route_class_override=_route_class(app),
        )
