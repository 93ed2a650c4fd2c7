"""What ``configure_app`` builds for one web app, whatever the framework.

Adapters call :func:`build_action_app` once and keep the result on the framework's
app object (``app.state.nitro``, ``app.extensions["nitro"]``), never in a module
global, so two apps in one process have their own routes, prefix and broadcaster.
"""

from __future__ import annotations

import logging
import os
import sys
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from nitro import plugins
from nitro.actions import topics
from nitro.actions._answers import MAPPED_ERRORS, exception_answer
from nitro.actions.datastar_js import DatastarJs, resolve_datastar_js
from nitro.actions.dispatcher import ActionDispatcher
from nitro.actions.errors import ActionConfigurationError
from nitro.actions.hosts import AllowedHosts
from nitro.actions.limits import DEFAULT_MAX_BODY_BYTES, resolve_max_body_bytes
from nitro.actions.live import KEEPALIVE_SECONDS
from nitro.actions.live_list import LIST_SEGMENT, live_list_entities
from nitro.actions.metadata import ActionInfo
from nitro.actions.middleware import MiddlewareChain
from nitro.actions.registry import (
    LIVE_SEGMENT,
    ActionRegistry,
    ActionRoute,
    clash_message,
    default_registry,
    live_path,
)
from nitro.actions.request import ActionResponse
from nitro.actions.streams import StreamRegistry
from nitro.actions.urls import action_path, normalize_prefix
from nitro.auth.authenticators import Authentication
from nitro.broadcast import Broadcaster, InProcessBroadcaster, publish_deletion, publish_entity
from nitro.events import post_delete, post_save

__all__ = ["ActionApp", "RegisterRoutes", "build_action_app", "mount_body_limit"]

logger = logging.getLogger("nitro.actions")

#: An adapter's route registration: ``register(routes, live_entities)`` adds the action
#: routes and the live streams of those entities to the framework's app.
RegisterRoutes = Callable[[list[ActionRoute], list[type]], None]


@dataclass
class ActionApp:
    """Everything ``configure_app`` built for one app: the routes, the dispatcher that runs them
    and the broadcaster for live streams. Adapters turn it into framework routes."""

    prefix: str
    routes: list[ActionRoute]
    dispatcher: ActionDispatcher
    broadcaster: Broadcaster
    entities: list[type] = field(default_factory=list)
    #: Bodies above this many bytes are refused with 413 (see :mod:`nitro.actions.limits`).
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES

    @property
    def allowed_hosts(self) -> AllowedHosts | None:
        """The host check of state-changing requests (see :mod:`nitro.actions.hosts`)."""
        return self.dispatcher.allowed_hosts

    #: Set by :func:`build_action_app` when the app serves every entity (no
    #: ``entities=[...]``): the registry it follows for classes defined later.
    registry: ActionRegistry | None = None
    _register: RegisterRoutes | None = field(default=None, repr=False)
    #: Schemas the routes' OpenAPI operations refer to (``components/schemas``).
    openapi_components: dict[str, Any] = field(default_factory=dict)
    #: Seconds between keep-alive comments on an idle live stream.
    keepalive: float = KEEPALIVE_SECONDS
    #: The open live streams: their count, limit and shutdown (:mod:`nitro.actions.streams`).
    streams: StreamRegistry = field(default_factory=StreamRegistry)
    #: The app's own Datastar client, when self-hosted (:mod:`nitro.actions.datastar_js`).
    datastar_js: DatastarJs | None = None

    def __post_init__(self) -> None:
        # Every stored change of an entity with a live stream reaches this app's
        # streams, whatever made it: an action, a plain save() in a script or a job, the
        # admin. post_save comes after the unit of work's commit (never on rollback);
        # the receiver is weak, so the app can be collected. Deletions likewise.
        post_save.connect(self._saved, weak=True)
        post_delete.connect(self._deleted, weak=True)
        topics.broadcasters.add(self.broadcaster)  # LiveTopic messages go through it

    def _live(self, sender: Any) -> bool:
        return sender in self.entities or sender in live_list_entities()

    def _saved(self, sender: Any, entity: Any = None, **_: Any) -> None:
        if entity is not None and self._live(sender):
            publish_entity(self.broadcaster, entity)

    def _deleted(self, sender: Any, entity: Any = None, **_: Any) -> None:
        if entity is not None and self._live(sender):
            publish_deletion(self.broadcaster, entity)

    def live_routes(self) -> list[tuple[type, str]]:
        """``(entity, path)`` of the live stream of each entity with instance actions."""
        return [(entity, live_path(entity, self.prefix)) for entity in self.entities]

    def live_list_path(self) -> str:
        """The path of every live list's stream: ``{prefix}/_live/_list/{name}``."""
        return f"{self.prefix}/{LIVE_SEGMENT}/{LIST_SEGMENT}/{{name}}"

    #: The endpoint name of the live lists' stream route.
    live_list_name = "nitro_live_list"

    def live_route_path(self, entity: type) -> str:
        """The path of ``entity``'s live stream: ``{prefix}/_live/{entity}/{id}``."""
        return live_path(entity, self.prefix)

    def serve(self, register: RegisterRoutes) -> None:
        """Register every route with ``register`` now, and the routes of entity classes
        defined later as their actions are declared (when the app serves every entity).

        A late route that clashes with a served one, or that the framework refuses (a
        Flask app that has started serving), is not routed; a warning says why.
        """
        register(self.routes, list(self.entities))
        if self.registry is not None:
            self._register = register
            self.registry.subscribe(self._declared_late)

    def _declared_late(self, owner: type, info: ActionInfo, replaces: type | None) -> None:
        if replaces is not None:  # the same class statement ran again (module imported twice)
            self._redefined(replaces, owner, info)
            return
        variants = [False] if info.is_classmethod else [False, True]
        routes = []
        for with_id in variants:
            path = action_path(owner, info.path or info.name, with_id=with_id, prefix=self.prefix)
            routes.append(ActionRoute(owner, info, info.method, path, with_id))
        try:
            for route in routes:
                for served in self.routes:
                    if served.method == route.method and _shape(served.path) == _shape(route.path):
                        raise ActionConfigurationError(clash_message(served, route))
            live = [owner] if not info.is_classmethod and owner not in self.entities else []
            if self._register is not None:
                self._register(routes, live)
        except ActionConfigurationError as error:
            logger.warning("%s.%s is not routed: %s", owner.__qualname__, info.name, error)
            return
        self.routes.extend(routes)
        self.entities.extend(live)

    #: The exceptions ``configure_app`` answers in the app's own routes as in actions
    #: (``NotFound`` 404, ``ConcurrencyError`` 409, ``BackendUnavailable`` 503, every
    #: ``ActionError`` and auth refusal its own status).
    mapped_errors = MAPPED_ERRORS

    @staticmethod
    def error_answer(error: BaseException) -> ActionResponse | None:
        """The answer to *error* raised in one of the app's own routes: the status and
        ``{"error": ...}`` body an action would get, or ``None`` when it is not one of
        :attr:`mapped_errors` (the framework's own 500 then, without details)."""
        return exception_answer(error)

    @staticmethod
    def live_name(entity: type) -> str:
        """The endpoint name of ``entity``'s live stream (every adapter uses this one)."""
        return f"nitro_{entity.__name__.lower()}_live"

    def describe(self) -> list[str]:
        """One ``METHOD path -> Entity.action`` line per route (for logs and tests)."""
        return [str(route) for route in self.routes]

    def _redefined(self, earlier: type, later: type, info: ActionInfo) -> None:
        """Serve the later copy of a class whose module was imported twice (a script run
        as ``__main__`` that a server imports again by name): the app being served is
        usually the one configured in the second import, before that copy existed."""
        for route in self.routes:
            if route.entity is earlier and route.info.name == info.name:
                object.__setattr__(route, "entity", later)  # endpoints hold the route
                object.__setattr__(route, "info", info)
        self.entities[:] = [later if entity is earlier else entity for entity in self.entities]


def _warn_unattached() -> None:
    from nitro.actions.decorator import unattached_actions

    stray = unattached_actions()
    if not stray:
        return
    # point at the app's configure_app call: the first frame outside nitro
    level, frame = 1, sys._getframe(0)
    while frame.f_back is not None and frame.f_globals.get("__name__", "").startswith("nitro."):
        level, frame = level + 1, frame.f_back
    for name in stray:
        warnings.warn(
            f"@action on {name}, which is not a method of an entity class: no route "
            "serves it. Define it inside the class (class Counter(Entity): ...).",
            UserWarning,
            stacklevel=level,
        )


def build_action_app(
    *,
    prefix: str = "",
    entities: Sequence[type] | None = None,
    broadcaster: Broadcaster | None = None,
    trusted_origins: Sequence[str] = (),
    allowed_hosts: Sequence[str] | None = None,
    max_body_bytes: int | None = None,
    registry: ActionRegistry = default_registry,
    auth: Any = None,
    middleware: Sequence[Any] = (),
    datastar_js: str | os.PathLike[str] | None = None,
) -> ActionApp:
    """Everything ``configure_app`` needs; settings are resolved here, once per app.

    :param allowed_hosts: host names for state-changing requests; default
        ``NITRO_ALLOWED_HOSTS``, else loopback names (:mod:`nitro.actions.hosts`).
    :param max_body_bytes: the body limit; default ``NITRO_MAX_BODY_BYTES``, else 1 MiB.
    :param auth: an authenticator or a list of them (:mod:`nitro.auth`): who is calling.
    :param middleware: hooks around every action request
        (:mod:`nitro.actions.middleware`); installed plugins' hooks follow them.
    :param datastar_js: a Datastar client file to serve and load pages from instead
        of the CDN; default ``NITRO_DATASTAR_JS`` (:mod:`nitro.actions.datastar_js`).
    """
    prefix = normalize_prefix(prefix)
    _warn_unattached()
    own_datastar = resolve_datastar_js(datastar_js, prefix)
    limit = resolve_max_body_bytes(max_body_bytes)
    hosts = AllowedHosts.from_settings(allowed_hosts)
    routes = registry.routes(list(entities) if entities is not None else None, prefix)
    broadcaster = broadcaster or InProcessBroadcaster()
    hooks = [*middleware, *plugins.with_hooks("before_action", "after_action")]
    dispatcher = ActionDispatcher(
        broadcaster,
        trusted_origins,
        hosts,
        Authentication(auth) if auth is not None else None,
        MiddlewareChain(hooks),
    )
    with_instances = list(dict.fromkeys(r.entity for r in routes if r.with_id))
    follows = registry if entities is None else None
    nitro = ActionApp(prefix, routes, dispatcher, broadcaster, with_instances, limit, follows)
    nitro.datastar_js = own_datastar
    return nitro


def mount_body_limit(nitro: ActionApp | None, max_body_bytes: int | None = None) -> int:
    """The body limit of a mounted extension: the argument, else the one of the app's
    ``configure_app`` (``nitro``), else ``NITRO_MAX_BODY_BYTES``, else 1 MiB."""
    if max_body_bytes is None and nitro is not None:
        return int(nitro.max_body_bytes)
    return resolve_max_body_bytes(max_body_bytes)


def _shape(path: str) -> str:
    return path.replace("{id}", "{}")
