"""What a route's action requests share, computed once per route for the dispatcher
(:mod:`nitro.actions.dispatcher`): the parameter binder, the signals namespace, the
messages a successful answer clears, the change tracker. Kept apart so the
dispatcher's module reads as the steps of a request."""

from __future__ import annotations

from typing import Any

from nitro.actions._changes import ChangeTracker
from nitro.actions.binding import NUL_MESSAGE, ParameterBinder
from nitro.actions.errors import InvalidParameters
from nitro.actions.registry import ActionRoute
from nitro.actions.request import ActionRequest
from nitro.signals import signals_namespace

__all__ = ["Plan", "without_nul"]


class Plan:
    """The per-route part of a request's work, computed once: the parameter binder,
    the signals namespace, the cleared ``_errors`` messages, the change tracker."""

    __slots__ = (
        "binder",
        "cleared",
        "entity",
        "info",
        "namespace",
        "parameter_names",
        "route",
        "tracker",
        "via",
    )

    def __init__(self, route: ActionRoute, binder: ParameterBinder):
        self.route = route
        self.info = route.info
        self.entity = route.entity
        self.binder = binder
        self.namespace = signals_namespace(route.entity)
        #: The parameters in declaration order (the order of ``_errors`` messages).
        self.parameter_names = tuple(p.name for p in binder.parameters)
        #: ``{parameter: ""}``: the messages a successful Datastar answer clears.
        self.cleared: dict[str, str] = dict.fromkeys(self.parameter_names, "")
        self.tracker = ChangeTracker(route.entity)
        #: What the audit log says the changes came through.
        self.via = f"action {route.entity.__name__}.{route.info.name}"

    def serves(self, route: ActionRoute) -> bool:
        """Whether this plan is still *route*'s (a class statement run twice replaces
        the entity and the action of its routes in place)."""
        return self.route is route and self.info is route.info and self.entity is route.entity

    def arguments(self, request: ActionRequest) -> dict[str, Any]:
        if not self.parameter_names:
            return {}
        # the body is parsed only when the path and query lack a parameter
        return self.binder.bind_request(request.path_params, request.query, lambda: request.data)

    def page_holds_entity(self, request: ActionRequest) -> bool:
        """Whether the page sent this entity's signals (so it wants them back).

        A row button of a list (``Todo.toggle.of(todo)``) sends none; patching the
        row's signals into such a page would add a ``$Todo`` signal it never had.
        """
        return isinstance(request.data.get(self.namespace), dict)


def without_nul(entity_id: str) -> str:
    """*entity_id*, refused as an invalid parameter when it holds a NUL character
    (drivers and stores truncate at it or refuse it, after the lookup had begun)."""
    if "\x00" in entity_id:
        raise InvalidParameters(
            f"Invalid parameter id: {NUL_MESSAGE}",
            errors=[{"parameter": "id", "message": NUL_MESSAGE, "type": "null_character"}],
        )
    return entity_id
