"""Which actions exist, and the routes they become.

Declaring an action records it here (``ActionDescriptor.__set_name__``). This is
class-level metadata, like a model registry: routes are computed from it by
``configure_app`` and stored on the app, so two apps may serve different entities or
prefixes from the same classes.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from nitro.actions.errors import ActionConfigurationError
from nitro.actions.metadata import ActionInfo
from nitro.actions.urls import action_path, entity_segment

__all__ = ["LIVE_SEGMENT", "ActionRegistry", "ActionRoute", "default_registry", "live_path"]

#: Path segment of the live-update streams: ``{prefix}/_live/{entity}/{id}``.
LIVE_SEGMENT = "_live"


def live_path(entity: type, prefix: str = "") -> str:
    return f"{prefix}/{LIVE_SEGMENT}/{entity_segment(entity)}/{{id}}"


@dataclass(frozen=True)
class ActionRoute:
    """One HTTP route: ``method path`` runs ``entity.info``."""

    entity: type[Any]  # an entity class (Entity, SQLEntity) declaring the action
    info: ActionInfo
    method: str
    path: str
    with_id: bool

    @property
    def endpoint(self) -> str:
        """A unique, stable endpoint name (Flask needs one per route)."""
        suffix = "_by_id" if self.with_id else ""
        return f"nitro_{entity_segment(self.entity)}_{self.info.name}{suffix}"

    def __str__(self) -> str:
        return f"{self.method} {self.path} -> {self.entity.__name__}.{self.info.name}"


class ActionRegistry:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._declared: dict[type, dict[str, ActionInfo]] = {}

    def add(self, owner: type, info: ActionInfo) -> None:
        with self._lock:
            self._declared.setdefault(owner, {})[info.name] = info

    def forget(self, entity: type) -> None:
        """Drop the actions ``entity`` declared (for tests that define throwaway classes)."""
        with self._lock:
            self._declared.pop(entity, None)

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
                        raise ActionConfigurationError(
                            f"two actions want the same route {route.method} {path}: "
                            f"{_qualified(owners[key])} and {_qualified(route)}; "
                            "rename one or give it @action(path=...)"
                        )
                    owners[key] = route
                    routes.append(route)
        return routes


def _qualified(route: ActionRoute) -> str:
    entity = route.entity
    return f"{entity.__module__}.{entity.__qualname__}.{route.info.name}"


def _shape(path: str) -> str:
    return path.replace("{id}", "{}")


default_registry = ActionRegistry()
