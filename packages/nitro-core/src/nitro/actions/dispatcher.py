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

from pydantic_core import to_json

from nitro.actions import sse
from nitro.actions.binding import NUL_MESSAGE, ParameterBinder
from nitro.actions.errors import (
    ActionError,
    ActionFailed,
    Conflict,
    CrossOriginRequest,
    EntityNotFound,
    InvalidParameters,
    ServiceUnavailable,
)
from nitro.actions.hosts import AllowedHosts
from nitro.actions.patch import Patch
from nitro.actions.registry import ActionRoute
from nitro.actions.request import ActionRequest, ActionResponse
from nitro.broadcast import Broadcaster, entity_topic
from nitro.entity import EntityAPI
from nitro.persistence.errors import BackendUnavailable, ConcurrencyError
from nitro.persistence.registry import repository_for
from nitro.signals import signals_namespace
from nitro.uow.memory import AsyncMemoryUnitOfWork, MemoryUnitOfWork

__all__ = ["CONFLICT_SIGNAL", "ERRORS_SIGNAL", "ActionDispatcher"]

logger = logging.getLogger("nitro.actions")

#: The local signal (Datastar does not send ``_``-prefixed signals back) that receives
#: parameter errors on Datastar requests: ``{"_errors": {"title": "Field required"}}``.
ERRORS_SIGNAL = "_errors"
#: The signal a Datastar page gets when a versioned entity was changed by someone else
#: while the action ran (the answer to other clients is a 409): the message to show.
CONFLICT_SIGNAL = "_conflict"


class ActionDispatcher:
    """Serves action requests for one app.

    :param allowed_hosts: the host check (see :mod:`nitro.actions.hosts`);
        ``build_action_app`` always passes one. ``None`` (a bare dispatcher, as in unit
        tests) checks no ``Host``.
    """

    def __init__(
        self,
        broadcaster: Broadcaster | None = None,
        trusted_origins: Sequence[str] = (),
        allowed_hosts: AllowedHosts | None = None,
    ):
        self.broadcaster = broadcaster
        self.trusted_origins = frozenset(o.rstrip("/") for o in trusted_origins)
        self.allowed_hosts = allowed_hosts
        self._binders: dict[int, ParameterBinder] = {}
        self._plans: dict[int, _Plan] = {}

    # -- steps shared by both drivers -----------------------------------------------

    def check_request(self, request: ActionRequest) -> None:
        """The checks that come before any work: allowed host (400), then origin (403)."""
        if self.allowed_hosts is not None:
            self.allowed_hosts.check(request)
        self.check_origin(request)

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

    def plan(self, route: ActionRoute) -> _Plan:
        """What every request of *route* needs that does not depend on the request,
        worked out on its first request."""
        plan = self._plans.get(id(route))
        if plan is None or plan.route is not route:
            plan = self._plans[id(route)] = _Plan(route, self.binder(route))
        return plan

    def arguments(self, route: ActionRoute, request: ActionRequest) -> dict[str, Any]:
        binder = self.plan(route).binder
        if not binder.names:
            return {}
        # the body is parsed only when the path and query lack a parameter
        return binder.bind_request(request.path_params, request.query, lambda: request.data)

    def entity_id(self, route: ActionRoute, request: ActionRequest) -> str:
        return _without_nul(self._entity_id(route, request))

    def _entity_id(self, route: ActionRoute, request: ActionRequest) -> str:
        if route.with_id:
            return request.path_params["id"]
        namespace = request.data.get(self.plan(route).namespace)
        if isinstance(namespace, dict):
            entity_id = namespace.get("id")
            if isinstance(entity_id, str):
                return entity_id
        if "id" not in self.plan(route).binder.names:
            for source in (request.query, request.data):
                if isinstance(source.get("id"), str):
                    return source["id"]
        name = route.entity.__name__
        raise InvalidParameters(
            f"missing the {name} id: call the route with the id in its path, "
            f"or send the {name}.id signal",
            errors=[{"parameter": "id", "message": "Field required", "type": "missing"}],
        )

    @staticmethod
    def not_found(route: ActionRoute) -> EntityNotFound:
        return EntityNotFound(f"{route.entity.__name__} not found")

    def page_holds_entity(self, route: ActionRoute, request: ActionRequest) -> bool:
        """Whether the page sent this entity's signals (so it wants them back).

        A row button of a list (``Todo.toggle.of(todo)``) sends none; patching the
        row's signals into such a page would add a ``$Todo`` signal it never had.
        """
        return isinstance(request.data.get(self.plan(route).namespace), dict)

    def events_for(self, route: ActionRoute, value: Any) -> list[str]:
        if value is None or isinstance(value, str | bytes):
            return []
        if isinstance(value, Patch):
            return [sse.patch_elements(value.html, selector=value.selector, mode=value.mode)]
        if hasattr(value, "__html__"):
            html = value.__html__()
            return [sse.patch_elements(html, selector=route.info.selector, mode=route.info.mode)]
        if isinstance(value, list | tuple):
            return [event for item in value for event in self.events_for(route, item)]
        signals = getattr(value, "signals", None)
        if isinstance(signals, dict) and hasattr(value, "model_dump"):
            return [sse.patch_signals(signals)]
        if isinstance(value, dict):
            return [sse.patch_signals(value)]
        return []

    def publish(self, target: Any) -> None:
        if self.broadcaster is None:
            return
        topic = entity_topic(type(target), target.id)
        # Building the signals is the costly part; skip it when nobody listens here.
        # (A cross-process broadcaster has no such method: it always publishes.)
        has_subscribers = getattr(self.broadcaster, "has_subscribers", None)
        if has_subscribers is None or has_subscribers(topic):
            self.broadcaster.publish(topic, target.signals)

    @staticmethod
    def error_response(error: ActionError) -> ActionResponse:
        return ActionResponse.json(error.to_json(), status=error.status)

    def failure_response(
        self, route: ActionRoute, request: ActionRequest, error: Exception
    ) -> ActionResponse:
        """The answer for a failed request; unexpected errors are logged, never sent."""
        if isinstance(error, InvalidParameters):
            return self.invalid_response(route, request, error)
        if isinstance(error, ActionError):
            return self.error_response(error)
        if isinstance(error, ConcurrencyError):
            return self.conflict_response(request)
        if isinstance(error, BackendUnavailable):
            logger.error("action %s: storage unavailable", route, exc_info=error)
            return self.error_response(ServiceUnavailable())
        logger.error("action %s failed", route, exc_info=error)
        return self.error_response(ActionFailed())

    def conflict_response(self, request: ActionRequest) -> ActionResponse:
        """409 for plain clients; for Datastar (which drops the body of a non-2xx
        answer) a 200 event stream setting the ``$_conflict`` signal to the message."""
        if not request.is_datastar:
            return self.error_response(Conflict())
        event = sse.patch_signals({CONFLICT_SIGNAL: Conflict.detail})
        return ActionResponse(200, dict(sse.SSE_HEADERS), event.encode())

    def invalid_response(
        self, route: ActionRoute, request: ActionRequest, error: InvalidParameters
    ) -> ActionResponse:
        """422 for plain clients; for Datastar, the errors as the ``_errors`` signal.

        Datastar 1.0 drops the body of any answer that is not 2xx, so a page could
        never show the message: it gets a 200 event stream setting ``$_errors``.
        """
        if not request.is_datastar:
            return self.error_response(error)
        messages = dict.fromkeys(self.binder(route).names, "")
        for item in error.errors:
            messages[str(item["parameter"]).split(".")[0]] = str(item["message"])
        event = sse.patch_signals({ERRORS_SIGNAL: messages})
        return ActionResponse(200, dict(sse.SSE_HEADERS), event.encode())

    def result_response(
        self, route: ActionRoute, request: ActionRequest, target: Any, result: Any, alive: bool
    ) -> ActionResponse:
        if request.is_datastar:
            # One signals patch: messages of an earlier failure cleared, the entity's state.
            plan = self.plan(route)
            signals: dict[str, Any] = {}
            if plan.cleared:
                signals[ERRORS_SIGNAL] = dict(plan.cleared)
            if target is not None and alive and isinstance(request.data.get(plan.namespace), dict):
                signals.update(target.signals)
            text = sse.patch_signals(signals) if signals else ""
            if result is not None:
                text += "".join(self.events_for(route, result))
            return ActionResponse(200, dict(sse.SSE_HEADERS), text.encode())
        payload: dict[str, Any] = {"result": result if result is None else _jsonable(result)}
        if target is not None:
            payload["entity"] = target if alive else None
        body = to_json(payload, fallback=str)
        return ActionResponse(200, {"Content-Type": "application/json"}, body)

    def invoke(self, route: ActionRoute, request: ActionRequest, target: Any) -> tuple[Any, Any]:
        """Bind the parameters and call the method; return the entity's state before the
        call (for change detection) and what the call returned (a value, an awaitable
        or a generator: the drivers finish it their own way)."""
        kwargs = self.arguments(route, request)
        if route.info.is_classmethod:
            method = route.info.func.__get__(route.entity, route.entity)
        else:
            method = route.info.func.__get__(target, type(target))
        before = target.model_dump() if target is not None else None
        return before, method(**kwargs)

    # -- sync driver ----------------------------------------------------------------

    def handle(self, route: ActionRoute, request: ActionRequest) -> ActionResponse:
        try:
            self.check_request(request)
            target: EntityAPI | None = None
            if not route.info.is_classmethod:
                target = route.entity.get(self.entity_id(route, request))
                if target is None:
                    raise self.not_found(route)
            if route.info.is_generator and request.is_datastar:
                before, result = self.invoke(route, request, target)
                return self._stream_sync(route, request, target, before, result)
            with repository_for(route.entity).transaction():
                with MemoryUnitOfWork() as unit:
                    before, result = self.invoke(route, request, target)
                    if route.info.is_generator:
                        result = _yielded(
                            asyncio.run(_collect(result)) if inspect.isasyncgen(result) else result
                        )
                    elif result is not None and inspect.isawaitable(result):
                        result = asyncio.run(_await(result))
                    gone = route.method == "DELETE" and target is not None and not target.exists()
                    alive, changed, save = self._settle(route, target, before, unit, not gone)
                    if save and target is not None and unit.has_writes():
                        target.save()  # joins the unit's other writes
                        save = False
                    unit.commit()
                if save and target is not None:
                    target.save()
            if changed:
                self.publish(target)
            return self.result_response(route, request, target, result, alive)
        except Exception as error:  # every failure becomes a safe answer
            return self.failure_response(route, request, error)

    # -- the unit of work around an action ---------------------------------------------
    #
    # The action runs inside a memory unit of work: what it saves or deletes stays in
    # the unit and its post_save/post_delete events are queued. Afterwards the entity is
    # saved once if the action changed it and did not save that state itself, then the
    # unit commits (writes applied, events sent). An exception rolls everything back.
    # When the entity's save is the only write, it is made right after the (empty)
    # commit, straight to the repository: the same outcome without buffering a copy.
    #
    # All of it runs inside the transaction the entity's repository offers
    # (Repository.transaction(): none for MemoryRepo, a SQL unit of work for
    # SQLModelBackend), so applying the writes is atomic where the store can make it
    # so, and the events wait for that transaction's commit.

    @staticmethod
    def _settle(
        route: ActionRoute, target: Any, before: Any, unit: Any, alive: bool
    ) -> tuple[bool, bool, bool]:
        """(whether the entity still exists, whether it changed, whether to save it
        after the commit); saves into the unit when it holds other writes."""
        if target is None or not alive:
            return alive, False, False
        # (a unit with no writes of its own, not nested in another, saved nothing)
        saved = unit.pending_copy(target) if unit.has_writes() or unit.nested else None
        if saved is not None:  # the action saved it: again only if changed since
            return True, True, bool(saved.model_dump() != target.model_dump())
        if target.model_dump() == before:
            return True, False, False
        return True, True, True

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
            items: Any = iter(asyncio.run(_collect(produced)))
        else:
            items = produced
        wants_signals = target is not None and self.page_holds_entity(route, request)

        def events() -> Iterator[str]:
            try:
                for item in items:
                    yield from self.events_for(route, target if item is None else item)
                if self._persist_sync(route, target, before) and wants_signals:
                    yield sse.patch_signals(target.signals)
            except Exception:
                logger.exception("streaming action %s failed", route)

        return ActionResponse(200, dict(sse.SSE_HEADERS), stream=events())

    # -- async driver ---------------------------------------------------------------

    async def ahandle(self, route: ActionRoute, request: ActionRequest) -> ActionResponse:
        try:
            self.check_request(request)
            target: EntityAPI | None = None
            if not route.info.is_classmethod:
                target = await route.entity.aget(self.entity_id(route, request))
                if target is None:
                    raise self.not_found(route)
            if route.info.is_generator and request.is_datastar:
                before, result = self.invoke(route, request, target)
                return self._stream_async(route, request, target, before, result)
            async with repository_for(route.entity).atransaction():
                async with AsyncMemoryUnitOfWork() as unit:
                    before, result = self.invoke(route, request, target)
                    if route.info.is_generator:
                        result = _yielded(
                            await _collect(result) if inspect.isasyncgen(result) else result
                        )
                    elif result is not None and inspect.isawaitable(result):
                        result = await result
                    gone = (
                        route.method == "DELETE"
                        and target is not None
                        and not await target.aexists()
                    )
                    alive, changed, save = self._settle(route, target, before, unit, not gone)
                    if save and target is not None and unit.has_writes():
                        await target.asave()  # joins the unit's other writes
                        save = False
                    await unit.commit()
                if save and target is not None:
                    await target.asave()
            if changed:
                self.publish(target)
            return self.result_response(route, request, target, result, alive)
        except Exception as error:  # every failure becomes a safe answer
            return self.failure_response(route, request, error)

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
        wants_signals = target is not None and self.page_holds_entity(route, request)

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
                if await self._persist_async(route, target, before) and wants_signals:
                    yield sse.patch_signals(target.signals)
            except Exception:
                logger.exception("streaming action %s failed", route)

        return ActionResponse(200, dict(sse.SSE_HEADERS), astream=events())


class _Plan:
    """The per-route part of a request's work, computed once: the parameter binder,
    the signals namespace, the cleared ``_errors`` messages."""

    __slots__ = ("binder", "cleared", "namespace", "route")

    def __init__(self, route: ActionRoute, binder: ParameterBinder):
        self.route = route
        self.binder = binder
        self.namespace = signals_namespace(route.entity)
        #: ``{parameter: ""}``: the messages a successful Datastar answer clears.
        self.cleared: dict[str, str] = dict.fromkeys(binder.names, "")


def _without_nul(entity_id: str) -> str:
    if "\x00" in entity_id:
        raise InvalidParameters(
            f"Invalid parameter id: {NUL_MESSAGE}",
            errors=[{"parameter": "id", "message": NUL_MESSAGE, "type": "null_character"}],
        )
    return entity_id


async def _await(awaitable: Any) -> Any:
    return await awaitable


async def _collect(agen: Any) -> list[Any]:
    return [item async for item in agen]


def _yielded(items: Any) -> list[Any]:
    """What a generator action yielded, for a plain client (``None`` means "the entity
    as it is now", which the JSON answer carries anyway)."""
    return [item for item in items if item is not None]


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, Patch):
        return value.html
    if hasattr(value, "__html__"):
        return value.__html__()
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_jsonable(v) for v in value]
    return str(value)
