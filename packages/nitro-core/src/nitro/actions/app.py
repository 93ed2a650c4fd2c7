"""What ``configure_app`` builds for one web app, whatever the framework.

Adapters call :func:`build_action_app` once and keep the result on the framework's
app object (``app.state.nitro``, ``app.extensions["nitro"]``), never in a module
global, so two apps in one process have their own routes, prefix and broadcaster.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from nitro.actions.dispatcher import ActionDispatcher
from nitro.actions.hosts import AllowedHosts
from nitro.actions.limits import DEFAULT_MAX_BODY_BYTES, resolve_max_body_bytes
from nitro.actions.registry import ActionRegistry, ActionRoute, default_registry, live_path
from nitro.actions.urls import normalize_prefix
from nitro.broadcast import Broadcaster, InProcessBroadcaster

__all__ = ["ActionApp", "build_action_app", "mount_body_limit"]


@dataclass
class ActionApp:
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

    def live_routes(self) -> list[tuple[type, str]]:
        """``(entity, path)`` of the live stream of each entity with instance actions."""
        return [(entity, live_path(entity, self.prefix)) for entity in self.entities]

    @staticmethod
    def live_name(entity: type) -> str:
        """The endpoint name of ``entity``'s live stream (every adapter uses this one)."""
        return f"nitro_{entity.__name__.lower()}_live"

    def describe(self) -> list[str]:
        """One ``METHOD path -> Entity.action`` line per route (for logs and tests)."""
        return [str(route) for route in self.routes]


def build_action_app(
    *,
    prefix: str = "",
    entities: Sequence[type] | None = None,
    broadcaster: Broadcaster | None = None,
    trusted_origins: Sequence[str] = (),
    allowed_hosts: Sequence[str] | None = None,
    max_body_bytes: int | None = None,
    registry: ActionRegistry = default_registry,
) -> ActionApp:
    """Everything ``configure_app`` needs; settings are resolved here, once per app.

    :param allowed_hosts: host names for state-changing requests; default
        ``NITRO_ALLOWED_HOSTS``, else loopback names (:mod:`nitro.actions.hosts`).
    :param max_body_bytes: the body limit; default ``NITRO_MAX_BODY_BYTES``, else 1 MiB.
    """
    prefix = normalize_prefix(prefix)
    limit = resolve_max_body_bytes(max_body_bytes)
    hosts = AllowedHosts.from_settings(allowed_hosts)
    routes = registry.routes(list(entities) if entities is not None else None, prefix)
    broadcaster = broadcaster or InProcessBroadcaster()
    dispatcher = ActionDispatcher(broadcaster, trusted_origins, hosts)
    with_instances = list(dict.fromkeys(r.entity for r in routes if r.with_id))
    return ActionApp(prefix, routes, dispatcher, broadcaster, with_instances, limit)


def mount_body_limit(nitro: ActionApp | None, max_body_bytes: int | None = None) -> int:
    """The body limit of a mounted extension: the argument, else the one of the app's
    ``configure_app`` (``nitro``), else ``NITRO_MAX_BODY_BYTES``, else 1 MiB."""
    if max_body_bytes is None and nitro is not None:
        return int(nitro.max_body_bytes)
    return resolve_max_body_bytes(max_body_bytes)
