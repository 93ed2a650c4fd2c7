"""How Nitro's routes run on FastAPI: as core ASGI endpoints, skipping FastAPI's
per-request machinery when the route has nothing for it to do."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import Response, StreamingResponse
from fastapi.routing import APIRoute
from nitro.actions import ActionApp, ActionRoute, asgi
from nitro.actions.asgi import ActionEndpoint, LiveEndpoint, LiveListEndpoint, WebEndpoint
from nitro.actions.openapi import live_list_operation, live_operation, openapi_operation
from nitro.actions.request import ActionResponse

__all__ = [
    "endpoint_for",
    "register",
    "register_live_lists",
    "register_websocket",
    "route_class",
]


def register(app: FastAPI, nitro: ActionApp, routes: list[ActionRoute], live: list[type]) -> None:
    """Add *routes* and the live streams of *live* to *app* as API routes (listed in
    its OpenAPI document)."""
    for route in routes:
        app.router.add_api_route(
            route.path,
            endpoint_for(ActionEndpoint(nitro.dispatcher, route, nitro.max_body_bytes)),
            methods=[route.method],
            name=route.endpoint,
            summary=f"{route.entity.__name__}.{route.info.name}",
            description=(route.info.func.__doc__ or "").strip(),
            tags=[route.entity.__name__],
            openapi_extra=openapi_operation(route, nitro.openapi_components),
            response_class=Response,
            route_class_override=route_class(app),
        )
    for entity in live:
        app.router.add_api_route(
            nitro.live_route_path(entity),
            endpoint_for(LiveEndpoint(nitro, entity)),
            methods=["GET"],
            name=nitro.live_name(entity),
            summary=f"Live updates of one {entity.__name__} (Server-Sent Events)",
            tags=[entity.__name__],
            openapi_extra=live_operation(),
            response_class=StreamingResponse,
            route_class_override=route_class(app),
        )
    app.openapi_schema = None  # routes added after the schema was built show up in it


def register_live_lists(app: FastAPI, nitro: ActionApp) -> None:
    """The one route serving every live list's stream (see :class:`nitro.actions.LiveList`)."""
    app.router.add_api_route(
        nitro.live_list_path(),
        endpoint_for(LiveListEndpoint(nitro)),
        methods=["GET"],
        name=nitro.live_list_name,
        summary="Live updates of a live list (Server-Sent Events)",
        tags=["live"],
        openapi_extra=live_list_operation(),
        response_class=StreamingResponse,
        route_class_override=route_class(app),
    )


def register_websocket(app: FastAPI, nitro: ActionApp) -> None:
    """The page socket ``{prefix}/_ws`` and its browser glue ``{prefix}/_ws.js``
    (:mod:`nitro.actions.websocket`); neither is part of the OpenAPI document."""
    from nitro.actions.websocket import SCRIPT_PATH, WebSocketEndpoint, WsScriptEndpoint, ws_path

    socket = WebSocketEndpoint(nitro)  # an ASGI app, which Starlette's router takes too
    app.router.add_websocket_route(ws_path(nitro.prefix), socket, "nitro_ws")  # type: ignore[arg-type]
    app.router.add_route(
        nitro.prefix + SCRIPT_PATH,
        WsScriptEndpoint(),  # type: ignore[arg-type]
        methods=["GET"],
        name="nitro_ws_js",
        include_in_schema=False,
    )


_Core = ActionEndpoint | LiveEndpoint | LiveListEndpoint | WebEndpoint


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


def route_class(app: FastAPI) -> type[APIRoute] | None:
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


def endpoint_for(core: _Core) -> Any:
    """A FastAPI endpoint function that hands the request to a core ASGI endpoint
    (kept as its ``nitro_core``, which :class:`_CoreRoute` serves directly)."""

    async def endpoint(request: Request) -> Response:
        return _CoreResponse(await core.respond(request.scope, request.receive))

    endpoint.nitro_core = core  # type: ignore[attr-defined]
    return endpoint
