"""Actions: entity methods served over HTTP, answering Datastar with SSE.

``@action`` marks a method; ``configure_app(app)`` from an adapter package
(``nitro.adapters.fastapi`` / ``flask`` / ``fasthtml``) serves every action; calling an
action through its class (``Counter.increment(1)``) gives the expression for a
``data-on:click`` attribute.
"""

import importlib
from typing import TYPE_CHECKING, Any

from nitro.actions.decorator import ActionDescriptor as ActionDescriptor
from nitro.actions.decorator import ActionInfo as ActionInfo
from nitro.actions.decorator import action as action
from nitro.actions.errors import ActionConfigurationError as ActionConfigurationError
from nitro.actions.errors import ActionError as ActionError
from nitro.actions.errors import ActionFailed as ActionFailed
from nitro.actions.errors import AllowedHostsRequired as AllowedHostsRequired
from nitro.actions.errors import AuthError as AuthError
from nitro.actions.errors import BadRequest as BadRequest
from nitro.actions.errors import Conflict as Conflict
from nitro.actions.errors import CrossOriginRequest as CrossOriginRequest
from nitro.actions.errors import DisallowedHost as DisallowedHost
from nitro.actions.errors import EntityNotFound as EntityNotFound
from nitro.actions.errors import InvalidParameters as InvalidParameters
from nitro.actions.errors import NotAuthenticated as NotAuthenticated
from nitro.actions.errors import PermissionDenied as PermissionDenied
from nitro.actions.errors import RequestTooLarge as RequestTooLarge
from nitro.actions.errors import ServiceUnavailable as ServiceUnavailable
from nitro.actions.expressions import ActionRef as ActionRef
from nitro.actions.live import afind_live_entity as afind_live_entity
from nitro.actions.live import alive_events as alive_events
from nitro.actions.live import find_live_entity as find_live_entity
from nitro.actions.live import live as live
from nitro.actions.live import live_events as live_events
from nitro.actions.live import publish_changes as publish_changes
from nitro.actions.live_list import LiveList as LiveList
from nitro.actions.patch import Patch as Patch
from nitro.actions.registry import ActionRegistry as ActionRegistry
from nitro.actions.registry import ActionRoute as ActionRoute
from nitro.actions.registry import default_registry as default_registry
from nitro.actions.topics import LiveTopic as LiveTopic
from nitro.actions.urls import url_prefix as url_prefix

if TYPE_CHECKING:  # served lazily (see __getattr__); listed here for type checkers
    from nitro.actions.app import ActionApp as ActionApp
    from nitro.actions.app import build_action_app as build_action_app
    from nitro.actions.dispatcher import ActionDispatcher as ActionDispatcher
    from nitro.actions.hosts import AllowedHosts as AllowedHosts
    from nitro.actions.request import ActionRequest as ActionRequest
    from nitro.actions.request import ActionResponse as ActionResponse

# The serving side (dispatcher, app, hosts) loads on first use, so that declaring
# entities and actions (``import nitro``) does not import it. (``live`` stays eager:
# the function shares its name with its module.)
_LAZY = {
    "ActionApp": "nitro.actions.app",
    "build_action_app": "nitro.actions.app",
    "ActionDispatcher": "nitro.actions.dispatcher",
    "AllowedHosts": "nitro.actions.hosts",
    "ActionRequest": "nitro.actions.request",
    "ActionResponse": "nitro.actions.request",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


__all__ = [
    "ActionApp",
    "ActionConfigurationError",
    "ActionDescriptor",
    "ActionDispatcher",
    "ActionError",
    "ActionFailed",
    "ActionInfo",
    "ActionRef",
    "ActionRegistry",
    "ActionRequest",
    "ActionResponse",
    "ActionRoute",
    "AllowedHosts",
    "AllowedHostsRequired",
    "BadRequest",
    "Conflict",
    "CrossOriginRequest",
    "DisallowedHost",
    "EntityNotFound",
    "InvalidParameters",
    "Patch",
    "RequestTooLarge",
    "ServiceUnavailable",
    "action",
    "afind_live_entity",
    "alive_events",
    "build_action_app",
    "default_registry",
    "find_live_entity",
    "live",
    "live_events",
    "publish_changes",
    "url_prefix",
]
