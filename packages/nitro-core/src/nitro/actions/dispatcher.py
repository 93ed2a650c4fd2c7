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
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

from nitro import probe
from nitro.actions._answers import (
    CONFLICT_SIGNAL,
    ERRORS_SIGNAL,
    datastar_result,
    failure_response,
    json_result,
    yielded,
)
from nitro.actions._plan import Plan, without_nul
from nitro.actions._streams import collect, stream_async, stream_sync
from nitro.actions.binding import ParameterBinder
from nitro.actions.errors import CrossOriginRequest, EntityNotFound, InvalidParameters
from nitro.actions.hosts import AllowedHosts
from nitro.actions.middleware import MiddlewareChain
from nitro.actions.middleware import logger as middleware_logger
from nitro.actions.registry import ActionRoute
from nitro.actions.request import ActionRequest, ActionResponse
from nitro.audit import context as audit_context
from nitro.audit.context import _via
from nitro.auth.authenticators import Authentication
from nitro.auth.context import _user
from nitro.auth.identity import ANONYMOUS, AnonymousUser, User
from nitro.broadcast import Broadcaster
from nitro.entity import EntityAPI
from nitro.persistence.locking import for_update
from nitro.persistence.registry import repository_for
from nitro.uow.memory import AsyncMemoryUnitOfWork, MemoryUnitOfWork

__all__ = ["CONFLICT_SIGNAL", "ERRORS_SIGNAL", "ActionDispatcher"]


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
        auth: Authentication | None = None,
        middleware: MiddlewareChain | None = None,
    ):
        self.broadcaster = broadcaster
        #: Hooks around every request (:mod:`nitro.actions.middleware`); ``None``: none.
        self.middleware = middleware if middleware else None
        #: Who is calling (see :mod:`nitro.auth`); ``None``: nobody is ever logged in.
        self.auth = auth if auth else None
        self.trusted_origins = frozenset(o.rstrip("/") for o in trusted_origins)
        self.allowed_hosts = allowed_hosts
        self._binders: dict[int, ParameterBinder] = {}
        self._plans: dict[int, Plan] = {}

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

    def identify(self, request: ActionRequest) -> User | AnonymousUser:
        """The caller of *request*: the app's authenticators' answer, else anonymous.
        Invalid credentials (an expired token) raise ``NotAuthenticated``."""
        if self.auth is None:
            return ANONYMOUS
        return self.auth.identify(request)

    def _enter(self, plan: Plan, user: User | AnonymousUser) -> tuple[Any, Any] | None:
        """Make *user* the current user and label the audit log's entries, for this
        request; neither when the app has no authenticators and nothing is audited
        (the request then costs nothing for them)."""
        if self.auth is None and not audit_context.recording:
            return None
        return _user.set(user), _via.set(plan.via)

    def check_caller(self, plan: Plan, user: User | AnonymousUser) -> None:
        """The action's permission, before any work on the entity."""
        guard = plan.info.guard
        if guard is not None:
            guard.check_caller(user, challenge=self.auth.challenge if self.auth else None)

    def binder(self, route: ActionRoute) -> ParameterBinder:
        key = id(route.info.func)
        binder = self._binders.get(key)
        if binder is None:
            binder = self._binders[key] = ParameterBinder(route.info)
        return binder

    def plan(self, route: ActionRoute) -> Plan:
        """What every request of *route* needs that does not depend on the request,
        worked out on its first request."""
        plan = self._plans.get(id(route))
        if plan is None or not plan.serves(route):
            plan = self._plans[id(route)] = Plan(route, self.binder(route))
        return plan

    def arguments(self, route: ActionRoute, request: ActionRequest) -> dict[str, Any]:
        return self.plan(route).arguments(request)

    def entity_id(self, route: ActionRoute, request: ActionRequest) -> str:
        return without_nul(self._entity_id(self.plan(route), request))

    @staticmethod
    def _entity_id(plan: Plan, request: ActionRequest) -> str:
        route = plan.route
        if route.with_id:
            return request.path_params["id"]
        namespace = request.data.get(plan.namespace)
        if isinstance(namespace, dict):
            entity_id = namespace.get("id")
            if isinstance(entity_id, str):
                return entity_id
        if "id" not in plan.binder.names:
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

    def _answer(
        self, plan: Plan, request: ActionRequest, target: Any, result: Any, alive: bool
    ) -> ActionResponse:
        if "render" in probe.spanned:
            with probe.span("render", plan.route.info.name):
                return self._render(plan, request, target, result, alive)
        return self._render(plan, request, target, result, alive)

    def _render(
        self, plan: Plan, request: ActionRequest, target: Any, result: Any, alive: bool
    ) -> ActionResponse:
        if not request.is_datastar:
            return json_result(target, result, alive)
        # the entity's signals only when the page holds them (see Plan.page_holds_entity)
        holds = target is not None and alive and plan.page_holds_entity(request)
        return datastar_result(plan.route, plan.cleared, target.signals if holds else None, result)

    def _fail(self, route: ActionRoute, request: ActionRequest, error: Exception) -> ActionResponse:
        return failure_response(route, request, error, self.plan(route).parameter_names)

    # The entity an action runs on is read inside the transaction its change is saved
    # in, so that two requests changing it at once do not both start from the same
    # state (the second would overwrite the first's change): the read locks the entity
    # until that transaction ends where the store can (nitro.persistence.for_update:
    # SELECT ... FOR UPDATE on PostgreSQL; SQLite's transactions write one at a time).

    def _load(self, plan: Plan, request: ActionRequest, user: Any) -> EntityAPI | None:
        """The action's entity (``None`` for a classmethod action), checked by its guard."""
        if plan.info.is_classmethod:
            return self._checked(plan, None, user)
        entity_id = without_nul(self._entity_id(plan, request))
        return self._checked(plan, plan.route.entity.get(entity_id), user)

    async def _aload(self, plan: Plan, request: ActionRequest, user: Any) -> EntityAPI | None:
        """:meth:`_load` for the async driver."""
        if plan.info.is_classmethod:
            return self._checked(plan, None, user)
        entity_id = without_nul(self._entity_id(plan, request))
        return self._checked(plan, await plan.route.entity.aget(entity_id), user)

    def _checked(self, plan: Plan, target: EntityAPI | None, user: Any) -> EntityAPI | None:
        if target is None and not plan.info.is_classmethod:
            raise self.not_found(plan.route)
        if plan.info.guard is not None:
            plan.info.guard.check_entity(user, target)
        return target

    def _invoke(self, plan: Plan, request: ActionRequest, target: Any) -> tuple[Any, Any]:
        """Bind the parameters and call the method; return the entity's state before the
        call (for change detection) and what the call returned (a value, an awaitable
        or a generator: the drivers finish it their own way)."""
        kwargs = plan.arguments(request)
        func = plan.info.func
        if target is None:  # a classmethod action
            method = func.__get__(plan.route.entity, plan.route.entity)
            return None, method(**kwargs)
        before = plan.tracker.snapshot(target)
        return before, func.__get__(target, type(target))(**kwargs)

    # -- sync driver ----------------------------------------------------------------

    def handle(self, route: ActionRoute, request: ActionRequest) -> ActionResponse:
        if self.middleware is not None:
            return self.middleware.run(route, request, self._handle, self._fail)
        return self._handle(route, request)

    def _handle(self, route: ActionRoute, request: ActionRequest) -> ActionResponse:
        caller = None
        try:
            self.check_request(request)
            plan = self.plan(route)
            info = plan.info
            user = self.identify(request)
            caller = self._enter(plan, user)
            self.check_caller(plan, user)
            if info.is_generator and request.is_datastar:
                target = self._load(plan, request, user)
                before, result = self._invoke(plan, request, target)
                wants = target is not None and plan.page_holds_entity(request)
                return stream_sync(route, plan.tracker, target, before, result, wants)
            with repository_for(route.entity).transaction():
                # read inside the transaction that writes it back (see _load)
                with for_update():
                    target = self._load(plan, request, user)
                with MemoryUnitOfWork() as unit:
                    before, result = self._invoke(plan, request, target)
                    if info.is_generator:
                        result = yielded(
                            asyncio.run(collect(result)) if inspect.isasyncgen(result) else result
                        )
                    elif result is not None and inspect.isawaitable(result):
                        result = asyncio.run(_await(result))
                    gone = route.method == "DELETE" and target is not None and not target.exists()
                    alive, save = self._settle(plan, target, before, unit, not gone)
                    if save and target is not None and (unit.has_writes() or unit.has_events()):
                        # joins the unit's other writes, and is stored before what
                        # waits for the commit (events, jobs) is sent
                        target.save()
                        save = False
                    unit.commit()
                if save and target is not None:
                    target.save()
            return self._answer(plan, request, target, result, alive)
        except Exception as error:  # every failure becomes a safe answer
            return self._fail(route, request, error)
        finally:
            if caller is not None:
                _user.reset(caller[0])
                _via.reset(caller[1])

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
    def _settle(plan: Plan, target: Any, before: Any, unit: Any, alive: bool) -> tuple[bool, bool]:
        """(whether the entity still exists, whether to save it). Saving sends
        ``post_save``, which is what brings the change to the live streams
        (:class:`~nitro.actions.app.ActionApp`), after the commit."""
        if target is None or not alive:
            return alive, False
        # (a unit with no writes of its own, not nested in another, saved nothing)
        saved = unit.pending_copy(target) if unit.has_writes() or unit.nested else None
        tracker = plan.tracker
        if saved is not None:  # the action saved it: again only if changed since
            return True, tracker.changed(target, tracker.snapshot(saved))
        return True, tracker.changed(target, before)

    # -- async driver ---------------------------------------------------------------

    async def ahandle(self, route: ActionRoute, request: ActionRequest) -> ActionResponse:
        chain = self.middleware
        if chain is None:
            return await self._ahandle(route, request)
        if chain.sole is None:
            # (MiddlewareChain.arun, written out: one coroutine per request, not two)
            response = chain.enter(route, request, self._fail)
            response = response or await self._ahandle(route, request)
            return chain.leave(route, request, response, self._fail)
        # One hook: what enter() and leave() do for it, without their two calls (each
        # costs a loaded server about half a microsecond per request).
        before, after = chain.sole
        try:
            response = before(route, request)
        except Exception as error:
            response = self._fail(route, request, error)
        if response is None:
            response = await self._ahandle(route, request)
        try:
            replaced = after(route, request, response)
        except Exception as error:
            middleware_logger.exception("action middleware %r failed after %s", after, route)
            return self._fail(route, request, error)
        return response if replaced is None else replaced

    async def _ahandle(self, route: ActionRoute, request: ActionRequest) -> ActionResponse:
        caller = None
        try:
            self.check_request(request)
            plan = self.plan(route)
            info = plan.info
            user = self.identify(request)
            caller = self._enter(plan, user)
            self.check_caller(plan, user)
            if info.is_generator and request.is_datastar:
                target = await self._aload(plan, request, user)
                before, result = self._invoke(plan, request, target)
                wants = target is not None and plan.page_holds_entity(request)
                return stream_async(route, plan.tracker, target, before, result, wants)
            async with repository_for(route.entity).atransaction():
                with for_update():  # (as in the sync driver)
                    target = await self._aload(plan, request, user)
                async with AsyncMemoryUnitOfWork() as unit:
                    before, result = self._invoke(plan, request, target)
                    if info.is_generator:
                        result = yielded(
                            await collect(result) if inspect.isasyncgen(result) else result
                        )
                    elif result is not None and inspect.isawaitable(result):
                        result = await result
                    gone = (
                        route.method == "DELETE"
                        and target is not None
                        and not await target.aexists()
                    )
                    alive, save = self._settle(plan, target, before, unit, not gone)
                    if save and target is not None and (unit.has_writes() or unit.has_events()):
                        await target.asave()  # (as in the sync driver)
                        save = False
                    await unit.commit()
                if save and target is not None:
                    await target.asave()
            return self._answer(plan, request, target, result, alive)
        except Exception as error:  # every failure becomes a safe answer
            return self._fail(route, request, error)
        finally:
            if caller is not None:
                _user.reset(caller[0])
                _via.reset(caller[1])


async def _await(awaitable: Any) -> Any:
    return await awaitable
