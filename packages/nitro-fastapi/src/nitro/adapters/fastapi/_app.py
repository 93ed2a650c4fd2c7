"""``configure_app`` for FastAPI: each action becomes an API route, listed in OpenAPI."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response, StreamingResponse
from nitro.actions import ActionApp, ActionRoute, build_action_app
from nitro.actions.asgi import PrefixMiddleware, refusal, request_from_asgi
from nitro.actions.binding import ParameterBinder
from nitro.actions.errors import ActionError
from nitro.actions.limits import check_content_length, resolve_max_body_bytes
from nitro.actions.live import afind_live_entity, alive_events
from nitro.actions.request import ActionResponse
from nitro.actions.sse import SSE_HEADERS
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
    )
    for route in nitro.routes:
        app.add_api_route(
            route.path,
            _action_endpoint(nitro, route),
            methods=[route.method],
            name=route.endpoint,
            summary=f"{route.entity.__name__}.{route.info.name}",
            description=(route.info.func.__doc__ or "").strip(),
            tags=[route.entity.__name__],
            openapi_extra=_openapi(route),
            response_class=Response,
        )
    for entity, path in nitro.live_routes():
        app.add_api_route(
            path,
            _live_endpoint(nitro, entity),
            methods=["GET"],
            name=f"nitro_{entity.__name__.lower()}_live",
            summary=f"Live updates of one {entity.__name__} (Server-Sent Events)",
            tags=[entity.__name__],
            response_class=StreamingResponse,
        )
    if nitro.prefix:
        app.add_middleware(PrefixMiddleware, prefix=nitro.prefix)
    app.state.nitro = nitro
    return nitro


def _to_response(result: ActionResponse) -> Response:
    response: Response
    if result.astream is not None:
        response = StreamingResponse(result.astream, result.status, result.headers)
    elif result.stream is not None:
        response = StreamingResponse(result.stream, result.status, result.headers)
    else:
        response = Response(result.body, result.status, result.headers)
    for cookie in result.set_cookies:
        response.raw_headers.append((b"set-cookie", cookie.encode("latin-1")))
    return response


def mount(
    app: FastAPI, mountable: Mountable, prefix: str = "", *, max_body_bytes: int | None = None
) -> None:
    """Serve a framework-neutral extension (such as the Nitro admin) on ``app``.

    The routes are left out of the OpenAPI schema: they are pages, not an API.

    :param max_body_bytes: the body limit (413 above it); default: the one given to
        ``configure_app`` for this app, else ``NITRO_MAX_BODY_BYTES``, else 1 MiB.
    """
    base = normalize_prefix(prefix)
    limit = _mount_limit(app, max_body_bytes)
    for web_route in mountable.web_routes():
        app.add_api_route(
            base + web_route.path,
            _web_endpoint(web_route.handler, limit),
            methods=list(web_route.methods),
            name=web_route.name,
            include_in_schema=False,
            response_class=Response,
        )


def _mount_limit(app: FastAPI, max_body_bytes: int | None) -> int:
    nitro = getattr(app.state, "nitro", None)
    if max_body_bytes is None and nitro is not None:
        return int(nitro.max_body_bytes)
    return resolve_max_body_bytes(max_body_bytes)


def _web_endpoint(handler: Any, max_body_bytes: int) -> Any:
    async def endpoint(request: Request) -> Response:
        try:
            web_request = await request_from_asgi(request.scope, request.receive, max_body_bytes)
        except ActionError as error:
            return _to_response(refusal(error))
        return _to_response(await run_in_threadpool(handler, web_request))

    return endpoint


def _action_endpoint(nitro: ActionApp, route: ActionRoute) -> Any:
    dispatcher = nitro.dispatcher
    limit = nitro.max_body_bytes

    async def endpoint(request: Request) -> Response:
        try:
            action_request = await request_from_asgi(request.scope, request.receive, limit)
        except ActionError as error:
            return _to_response(refusal(error))
        return _to_response(await dispatcher.ahandle(route, action_request))

    endpoint.__name__ = route.endpoint
    return endpoint


def _live_endpoint(nitro: ActionApp, entity: type) -> Any:
    async def endpoint(request: Request) -> Response:
        try:  # a live stream reads no body, but the limit is the same on every route
            check_content_length(request.headers, nitro.max_body_bytes)
        except ActionError as error:
            return _to_response(refusal(error))
        target = await afind_live_entity(entity, request.path_params["id"])
        if isinstance(target, ActionResponse):
            return _to_response(target)
        return StreamingResponse(alive_events(nitro.broadcaster, target), headers=SSE_HEADERS)

    return endpoint


def _openapi(route: ActionRoute) -> dict[str, Any]:
    """Document the declared parameters: in the query string or in a JSON body."""
    schema = ParameterBinder(route.info).model.model_json_schema()
    parameters: list[dict[str, Any]] = []
    if route.with_id:
        parameters.append(
            {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}
        )
    for name, prop in schema.get("properties", {}).items():
        parameters.append({"name": name, "in": "query", "required": False, "schema": prop})
    extra: dict[str, Any] = {"parameters": parameters}
    if route.method not in ("GET", "DELETE") and schema.get("properties"):
        extra["requestBody"] = {
            "required": False,
            "content": {"application/json": {"schema": schema}},
        }
    extra["responses"] = {
        "200": {
            "description": "JSON for plain clients; Server-Sent Events for Datastar",
            "content": {"application/json": {}, "text/event-stream": {}},
        },
        "404": {"description": "Unknown entity id"},
        "422": {"description": "Invalid or missing parameter"},
        "403": {"description": "Cross-origin request refused"},
        "400": {"description": "Host not allowed, or JSON nested too deeply"},
        "413": {"description": "Request body too large"},
    }
    return extra
