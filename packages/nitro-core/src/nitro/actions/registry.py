"""Which actions exist, and the routes they become.

Declaring an action records it here (``ActionDescriptor.__set_name__``). This is
class-level metadata, like a model registry: routes are computed from it by
``configure_app`` and stored on the app, so two apps may serve different entities or
prefixes from the same classes. An app configured for every entity also follows the
registry (:meth:`ActionRegistry.subscribe`), so classes defined after ``configure_app``
are routed too.

One class statement may run twice in a process when its module is imported under two
names: a script run as ``__main__`` that a server then imports by name (FastHTML's
``serve()``, ``uvicorn main:app``). The later class replaces the earlier one here
instead of clashing with it.
"""

from __future__ import annotations

import os
import sys
import threading
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from nitro.actions.errors import ActionConfigurationError
from nitro.actions.metadata import ActionInfo
from nitro.actions.urls import action_path, entity_segment

__all__ = ["LIVE_SEGMENT", "ActionRegistry", "ActionRoute", "default_registry", "live_path"]

#: Path segment of the live-update streams: ``{prefix}/_live/{entity}/{id}``.
LIVE_SEGMENT = "_live"


def live_path(entity: type, prefix: str = "") -> str:
    """The route pattern of *entity*'s live stream, under *prefix*."""
    return f"{prefix}/{LIVE_SEGMENT}/{entity_segment(entity)}/{{id}}"


@dataclass(frozen=True)
class ActionRoute:
    """One HTTP route: ``method path`` runs ``entity.info``."""

    entity: type[Any]  # an entity class (Entity, SQLEntity) declaring the action
    info: ActionInfo
    method: str
    path: str
    with_id: bool

    @cached_property
    def action_name(self) -> str:
        """``Entity.action``: how logs, metrics and traces name the action (made once:
        they ask on every request)."""
        return f"{self.entity.__name__}.{self.info.name}"

    @property
    def endpoint(self) -> str:
        """A unique, stable endpoint name (Flask needs one per route)."""
        suffix = "_by_id" if self.with_id else ""
        return f"nitro_{entity_segment(self.entity)}_{self.info.name}{suffix}"

    def __str__(self) -> str:
        return f"{self.method} {self.path} -> {self.entity.__name__}.{self.info.name}"


#: Called with ``(owner, info, replaces)`` for each action declared after it subscribed;
#: ``replaces`` is the earlier copy of ``owner`` when its class statement ran again.
Listener = Callable[[type, ActionInfo, "type | None"], None]


class ActionRegistry:
    """Every ``@action`` declared so far, per entity class. ``configure_app`` reads it; listeners
    hear of actions declared later (a reloaded module)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._declared: dict[type, dict[str, ActionInfo]] = {}
        self._listeners: list[weakref.WeakMethod[Listener]] = []
        self._redefinitions: weakref.WeakKeyDictionary[type, type] = weakref.WeakKeyDictionary()

    def add(self, owner: type, info: ActionInfo) -> None:
        with self._lock:
            if owner not in self._declared:
                for earlier in [c for c in self._declared if _same_definition(c, owner)]:
                    del self._declared[earlier]  # the same class statement, run again
                    self._redefinitions[owner] = earlier
            self._declared.setdefault(owner, {})[info.name] = info
            listeners = [ref() for ref in self._listeners]
            replaces = self._redefinitions.get(owner)
        for listener in listeners:
            if listener is not None:
                listener(owner, info, replaces)

    def subscribe(self, listener: Listener) -> None:
        """Call ``listener(owner, info, replaces)`` (a bound method, held weakly) for
        every action declared from now on."""
        with self._lock:
            self._listeners = [ref for ref in self._listeners if ref() is not None]
            self._listeners.append(weakref.WeakMethod(listener))

    def forget(self, entity: type) -> None:
        """Drop the actions ``entity`` declared (for tests that define throwaway classes)."""
        with self._lock:
            self._declared.pop(entity, None)

    @contextmanager
    def isolated(self) -> Iterator[None]:
        """Hide every class declared so far until the block ends, like Django's
        ``isolate_apps``: for tests that build an app serving *every* entity in a
        process whose other tests defined classes of the same names. Classes declared
        inside the block stay declared afterwards (``forget`` them if they are
        throwaway)."""
        with self._lock:
            saved = self._declared
            self._declared = {}
        try:
            yield
        finally:
            with self._lock:
                self._declared = {**saved, **self._declared}

    def actions_of(self, entity: type) -> dict[str, ActionInfo]:
        """Actions of ``entity``, inherited ones included (subclasses override by name)."""
        merged: dict[str, ActionInfo] = {}
        for klass in reversed(entity.__mro__):
            merged.update(self._declared.get(klass, {}))
        return merged

    def entities(self) -> list[type]:
        """Every class that declares or inherits an action, in definition order."""
        found: dict[type, None] = {}
        pending = list(self._declared)
        while pending:
            klass = pending.pop(0)
            if klass not in found:
                found[klass] = None
                pending.extend(klass.__subclasses__())
        return list(found)

    def routes(self, entities: list[type] | None = None, prefix: str = "") -> list[ActionRoute]:
        """The routes for ``entities`` (default: all); raises on any clash."""
        chosen = self.entities() if entities is None else list(entities)
        routes: list[ActionRoute] = []
        owners: dict[tuple[str, str], ActionRoute] = {}
        for entity in chosen:
            actions = self.actions_of(entity)
            if entities is not None and not actions:
                raise ActionConfigurationError(
                    f"configure_app(entities=[...]) lists {entity.__name__}, which has no @action"
                )
            for info in actions.values():
                segment = info.path or info.name
                variants = [False] if info.is_classmethod else [False, True]
                for with_id in variants:
                    path = action_path(entity, segment, with_id=with_id, prefix=prefix)
                    route = ActionRoute(entity, info, info.method, path, with_id)
                    key = (route.method, _shape(path))
                    if key in owners:
                        raise ActionConfigurationError(clash_message(owners[key], route))
                    owners[key] = route
                    routes.append(route)
        return routes


def clash_message(first: ActionRoute, second: ActionRoute) -> str:
    """Why two routes cannot both be served, and what to do about it."""
    message = (
        f"two actions want the same route {second.method} {second.path}: "
        f"{_qualified(first)} and {_qualified(second)}; "
    )
    if _same_file(first.entity, second.entity):
        return message + (
            f"{second.entity.__qualname__} is defined twice because its module was imported "
            f"twice, as {first.entity.__module__!r} and as {second.entity.__module__!r} (a "
            "script that a server imports again by name); configure the app in the module "
            "the server imports, or pass configure_app(entities=[...])"
        )
    return message + "rename one or give it @action(path=...)"


def _module_file(cls: type) -> str | None:
    file = getattr(sys.modules.get(cls.__module__), "__file__", None)
    return os.path.realpath(file) if file else None


def _same_file(first: type, second: type) -> bool:
    return first.__module__ != second.__module__ and (
        _module_file(first) is not None and _module_file(first) == _module_file(second)
    )


def _same_definition(earlier: type, later: type) -> bool:
    """One class statement run twice: its module imported under two names."""
    return earlier.__qualname__ == later.__qualname__ and _same_file(earlier, later)


def _qualified(route: ActionRoute) -> str:
    entity = route.entity
    return f"{entity.__module__}.{entity.__qualname__}.{route.info.name}"


def _shape(path: str) -> str:
    return path.replace("{id}", "{}")


#: The registry ``@action`` records into.
default_registry = ActionRegistry()
