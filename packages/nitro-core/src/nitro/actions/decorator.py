"""The ``@action`` decorator: metadata on an entity method, nothing else.

``@action`` wraps the function in an :class:`ActionDescriptor`. When the entity class
is created, Python calls the descriptor's ``__set_name__``, which records the action in
the registry, so ``configure_app`` finds every action without import-time side effects
beyond class definition. Accessed through an instance the descriptor gives the plain
bound method (``counter.increment(2)`` runs it); accessed through the class it gives an
:class:`~nitro.actions.expressions.ActionRef`, whose call builds the Datastar expression
(``Counter.increment(2)`` -> ``"@post('/counter/increment?amount=2')"``).
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Any, TypeVar, overload

from nitro.actions.errors import ActionConfigurationError
from nitro.actions.expressions import ActionRef
from nitro.actions.metadata import HTTP_METHODS, ActionInfo, PatchMode
from nitro.actions.registry import default_registry
from nitro.auth.rules import Guard
from nitro.entity import EntityDescriptor

__all__ = ["HTTP_METHODS", "ActionDescriptor", "ActionInfo", "PatchMode", "action"]

F = TypeVar("F", bound=Callable[..., Any])

#: Descriptors no class body has taken (``@action`` on a module-level function): never
#: routed, which ``configure_app`` warns about (:func:`unattached_actions`).
_unattached: weakref.WeakSet[ActionDescriptor] = weakref.WeakSet()


def unattached_actions() -> list[str]:
    """``module.function`` of every ``@action`` that is not in a class: no route serves
    it (it would be a silent 404)."""
    return sorted(f"{d.info.func.__module__}.{d.info.func.__qualname__}" for d in list(_unattached))


class ActionDescriptor(EntityDescriptor):
    """Class attribute standing for an action; see the module docstring. An
    :class:`~nitro.entity.EntityDescriptor`, so entity classes keep it out of their
    fields."""

    def __init__(self, info: ActionInfo):
        self.info = info
        self.__doc__ = info.func.__doc__
        self.__wrapped__ = info.func
        _unattached.add(self)

    def __set_name__(self, owner: type, name: str) -> None:
        _unattached.discard(self)
        self.info = self.info.with_owner(name, owner)
        default_registry.add(owner, self.info)

    @overload
    def __get__(self, instance: None, owner: type) -> Any: ...
    @overload
    def __get__(self, instance: object, owner: type | None = None) -> Any: ...
    def __get__(self, instance: object | None, owner: type | None = None) -> Any:
        if owner is None:
            owner = type(instance)
        if self.info.is_classmethod:
            if instance is None:
                return ActionRef(owner, self.info)
            return self.info.func.__get__(owner, owner)
        if instance is None:
            return ActionRef(owner, self.info)
        return self.info.func.__get__(instance, owner)

    def __repr__(self) -> str:
        return f"<action {self.info.method} {self.info.func.__qualname__}>"


@overload
def action(func: F, /) -> F: ...
@overload
def action(
    *,
    method: str = "POST",
    path: str | None = None,
    selector: str | None = None,
    mode: PatchMode = "outer",
    permission: str | None = None,
    allow: Callable[..., bool] | None = None,
) -> Callable[[F], F]: ...
def action(
    func: Any = None,
    /,
    *,
    method: str = "POST",
    path: str | None = None,
    selector: str | None = None,
    mode: PatchMode = "outer",
    permission: str | None = None,
    allow: Callable[..., bool] | None = None,
) -> Any:
    """Mark an entity method as an action reachable over HTTP.

    :param method: the HTTP method of the route (``GET``, ``POST``, ``PUT``, ``PATCH``,
        ``DELETE``). Use a state-changing method for anything that changes state.
    :param path: the route path below the entity's, default the method's name.
    :param selector: for actions that return an element, the CSS selector Datastar
        patches (default: the element's own ``id``).
    :param mode: how Datastar patches a returned element (``outer``, ``inner``,
        ``append``, ...).
    :param permission: a permission the caller must hold (``"order.cancel"``); see
        :mod:`nitro.auth`. Nobody logged in gets 401, a caller without it 403.
    :param allow: a rule ``(user, entity) -> bool`` (or ``(user) -> bool``) checked
        once the entity is loaded, before the method runs: 403 when it says no.

    Works on sync and async methods, generators (each yield is streamed as one event)
    and on classmethods (put ``@action`` above ``@classmethod``) for actions without
    an instance.
    """
    verb = method.upper()
    if verb not in HTTP_METHODS:
        raise ActionConfigurationError(
            f"@action(method={method!r}) is not one of {', '.join(HTTP_METHODS)}"
        )
    if path is not None and (not path or "/" in path.strip("/") or "{" in path):
        raise ActionConfigurationError(
            f"@action(path={path!r}) must be one non-empty path segment such as 'bump'"
        )

    guard = None
    if permission is not None or allow is not None:
        try:
            guard = Guard(permission, allow)
        except (TypeError, ValueError) as exc:
            raise ActionConfigurationError(f"@action: {exc}") from None

    def decorate(target: Any) -> Any:
        is_cm = isinstance(target, classmethod)
        fn = target.__func__ if is_cm else target
        if isinstance(target, staticmethod) or not callable(fn):
            raise ActionConfigurationError(
                f"@action decorates methods and classmethods, not {type(target).__name__}"
            )
        info = ActionInfo(
            func=fn,
            method=verb,
            path=path.strip("/") if path else None,
            selector=selector,
            mode=mode,
            is_classmethod=is_cm,
            guard=guard,
        )
        return ActionDescriptor(info)

    if func is not None:
        return decorate(func)
    return decorate
