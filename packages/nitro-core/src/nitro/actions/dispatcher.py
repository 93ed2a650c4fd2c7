"""The framework-agnostic heart of an action request.

For one route and one :class:`ActionRequest`: refuse cross-origin writes, find the
instance, bind and validate the declared parameters, run the method, save the entity
if the method changed it, publish the change, and answer with Datastar SSE events or
JSON. Adapters only translate requests and responses; ``handle`` serves sync servers
(Flask), ``ahandle`` async ones (FastAPI, FastHTML). Both share every step but the
call and the persistence I/O.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import AsyncIterator, Iterator, Sequence
from typing import Any
from urllib.parse import urlsplit

from nitro.actions import sse
from nitro.actions.binding import ParameterBinder
from nitro.actions.errors import (
    ActionError,
    ActionFailed,
    CrossOriginRequest,
    EntityNotFound,
    InvalidParameters,
)
from nitro.actions.registry import ActionRoute
from nitro.actions.request import ActionRequest, ActionResponse
from nitro.broadcast import Broadcaster, entity_topic
from nitro.signals import signals_namespace

__all__ = ["ActionDispatcher"]

logger = logging.getLogger("nitro.actions")


class ActionDispatcher:
    def __init__(self, broadcaster: Broadcaster | None = None, trusted_origins: Sequence[str] = ()):
        self.broadcaster = broadcaster
        self.trusted_origins = frozenset(o.rstrip("/") for o in trusted_origins)
        self._binders: dict[int, ParameterBinder] = {}

    # -- shared steps ---------------------------------------------------------------

    def check_origin(self, request: ActionRequest) -> None:
        """Refuse state-changing requests that a browser sent from another site."""
        if request.is_safe:
            return
        site = request.headers.get("sec-fetch-site")
        origin = request.headers.get("origin")
        if origin is not None and origin.rstrip("/") in self.trusted_origins:
            return
        if site is not None and site not in ("same-origin", "none"):
            raise CrossOriginRequest()
        if origin is not None:
            host = request.headers.get("host", "")
            if origin == "null" or urlsplit(origin).netloc != host:
                raise CrossOriginRequest()

    def binder(self, route: ActionRoute) -> ParameterBinder:
        key = id(route.info.func)
        binder = self._binders.get(key)
        if binder is None:
            binder = self._binders[key] = ParameterBinder(route.info)
        return binder

    def arguments(self, route: ActionRoute, request: ActionRequest) -> dict[str, Any]:
        path = {k: v for k, v in request.path_params.items() if k != "id"}
        query = {k: v for k, v in request.query.items() if k != "datastar"}
        return self.binder(route).bind(path, query, request.data, text_sources=2)

    def entity_id(self, route: ActionRoute, request: ActionRequest) -> str:
        if route.with_id:
            return request.path_params["id"]
        namespace = request.data.get(signals_namespace(route.entity))
        if isinstance(namespace, dict) and isinstance(namespace.get("id"), str):
            return namespace["id"]
        declared = {p.name for p in route.info.parameters}
        if "id" not in declared:
            for source in (request.query, request.data):
                if isinstance(source.get("id"), str):
                    return source["id"]
        raise InvalidParameters(
            f"missing the {route.entity.__name__} id: put it in the path "
            f"({route.path.replace('/' + (route.info.path or route.info.name), '/{id}/')}...) "
            f"or send the {route.entity.__name__}.id signal",
            errors=[{"parameter": "id", "message": "Field required", "type": "missing"}],
        )

    @staticmethod
    def not_found(route: ActionRoute) -> EntityNotFound:
        return EntityNotFound(f"{route.entity.__name__} not found")

    def events_for(self, route: ActionRoute, value: Any) -> list[str]:
        if value is None or isinstance(value, str | bytes):
            return []
        if hasattr(value, "__html__"):
            return [
                sse.patch_elements(
                    value.__html__(), selector=route.info.selector, mode=route.info.mode
                )
            ]
        signals = getattr(value, "signals", None)
        if isinstance(signals, dict) and hasattr(value, "model_dump"):
            return [sse.patch_signals(signals)]
        if isinstance(value, dict):
            return [sse.patch_signals(value)]
        return []

    def publish(self, target: Any) -> None:
        if self.broadcaster is not None:
            self.broadcaster.publish(entity_topic(type(target), target.id), target.signals)

    @staticmethod
    def error_response(error: ActionError) -> ActionResponse:
        return ActionResponse.json(error.to_json(), status=error.status)

    def result_response(
        self, route: ActionRoute, request: ActionRequest, target: Any, result: Any, alive: bool
    ) -> ActionResponse:
        if request.is_datastar:
            events = []
            if target is not None and alive:
                events.append(sse.patch_signals(target.signals))
            events.extend(self.events_for(route, result))
            return ActionResponse(200, dict(sse.SSE_HEADERS), "".join(events).encode())
        payload: dict[str, Any] = {"result": _jsonable(result)}
        if target is not None:
            payload["entity"] = target.model_dump(mode="json") if alive else None
        return ActionResponse.json(payload)

    # -- sync driver ----------------------------------------------------------------

    def handle(self, route: ActionRoute, request: ActionRequest) -> ActionResponse:
        try:
            self.check_origin(request)
            target = None
            if not route.info.is_classmethod:
                entity_id = self.entity_id(route, request)
                target = route.entity.get(entity_id)
                if target is None:
                    raise self.not_found(route)
            kwargs = self.arguments(route, request)
            bound = self._bind_callable(route, target)
            before = target.model_dump() if target is not None else None
            if route.info.is_generator:
                return self._stream_sync(route, request, target, before, bound(**kwargs))
            result = bound(**kwargs)
            if inspect.isawaitable(result):
                result = asyncio.run(_await(result))
            alive = self._persist_sync(route, target, before)
            return self.result_response(route, request, target, result, alive)
        except ActionError as error:
            return self.error_response(error)
        except Exception:
            logger.exception("action %s failed", route)
            return self.error_response(ActionFailed())

    def _persist_sync(self, route: ActionRoute, target: Any, before: Any) -> bool:
        """Save ``target`` if the action changed it; return whether it still exists.

        Only ``DELETE`` actions are checked for having deleted their entity, which
        keeps an extra repository read off every other request.
        """
        if target is None:
            return True
        if route.method == "DELETE" and not target.exists():
            return False
        if target.model_dump() != before:
            target.save()
            self.publish(target)
        return True

    def _stream_sync(
        self, route: ActionRoute, request: ActionRequest, target: Any, before: Any, produced: Any
    ) -> ActionResponse:
        if inspect.isasyncgen(produced):
            raise TypeError(f"{route} is an async generator; serve it from an async framework")

        def events() -> Iterator[str]:
            try:
                for item in produced:
                    yield from self.events_for(route, target if item is None else item)
                if self._persist_sync(route, target, before) and target is not None:
                    yield sse.patch_signals(target.signals)
            except Exception:
                logger.exception("streaming action %s failed", route)

        return ActionResponse(200, dict(sse.SSE_HEADERS), stream=events())

    # -- async driver ---------------------------------------------------------------

    async def ahandle(self, route: ActionRoute, request: ActionRequest) -> ActionResponse:
        try:
            self.check_origin(request)
            target = None
            if not route.info.is_classmethod:
                entity_id = self.entity_id(route, request)
                target = await route.entity.aget(entity_id)
                if target is None:
                    raise self.not_found(route)
            kwargs = self.arguments(route, request)
            bound = self._bind_callable(route, target)
            before = target.model_dump() if target is not None else None
            if route.info.is_generator:
                return self._stream_async(route, request, target, before, bound(**kwargs))
            result = bound(**kwargs)
            if inspect.isawaitable(result):
                result = await result
            alive = await self._persist_async(route, target, before)
            return self.result_response(route, request, target, result, alive)
        except ActionError as error:
            return self.error_response(error)
        except Exception:
            logger.exception("action %s failed", route)
            return self.error_response(ActionFailed())

    async def _persist_async(self, route: ActionRoute, target: Any, before: Any) -> bool:
        if target is None:
            return True
        if route.method == "DELETE" and not await target.aexists():
            return False
        if target.model_dump() != before:
            await target.asave()
            self.publish(target)
        return True

    def _stream_async(
        self, route: ActionRoute, request: ActionRequest, target: Any, before: Any, produced: Any
    ) -> ActionResponse:
        async def events() -> AsyncIterator[str]:
            try:
                if inspect.isasyncgen(produced):
                    async for item in produced:
                        for event in self.events_for(route, target if item is None else item):
                            yield event
                else:
                    for item in produced:
                        for event in self.events_for(route, target if item is None else item):
                            yield event
                if await self._persist_async(route, target, before) and target is not None:
                    yield sse.patch_signals(target.signals)
            except Exception:
                logger.exception("streaming action %s failed", route)

        return ActionResponse(200, dict(sse.SSE_HEADERS), astream=events())

    # -- helpers --------------------------------------------------------------------

    @staticmethod
    def _bind_callable(route: ActionRoute, target: Any) -> Any:
        if route.info.is_classmethod:
            return route.info.func.__get__(route.entity, route.entity)
        return route.info.func.__get__(target, type(target))


async def _await(awaitable: Any) -> Any:
    return await awaitable


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if hasattr(value, "__html__"):
        return value.__html__()
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_jsonable(v) for v in value]
    return str(value)
