"""What ``@action`` records about a method: :class:`ActionInfo`.

The bottom of the actions layer: the registry, the expressions and the dispatcher all
read it, and it imports nothing from them, so the decorator can use both the registry
and the expressions at module level without a cycle.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, Literal

__all__ = ["HTTP_METHODS", "ActionInfo", "PatchMode"]

#: The HTTP methods ``@action(method=)`` accepts.
HTTP_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
#: How Datastar patches an action's HTML into the page (``outer`` morphs the element with the same
#: id).
PatchMode = Literal["outer", "inner", "replace", "prepend", "append", "before", "after", "remove"]


@dataclass(frozen=True)
class ActionInfo:
    """What ``@action`` recorded about one method."""

    func: Callable[..., Any]
    method: str = "POST"
    path: str | None = None
    selector: str | None = None
    mode: PatchMode = "outer"
    is_classmethod: bool = False
    #: Who may call it (``@action(permission=..., allow=...)``); ``None``: anyone.
    guard: Any = None
    name: str = ""
    owner: type | None = field(default=None, compare=False)

    # Computed once: the dispatcher asks on every request.
    is_async: bool = field(init=False, compare=False)
    is_generator: bool = field(init=False, compare=False)
    parameters: tuple[inspect.Parameter, ...] = field(init=False, compare=False)

    def __post_init__(self) -> None:
        func = self.func
        is_async = inspect.iscoroutinefunction(func) or inspect.isasyncgenfunction(func)
        is_gen = inspect.isgeneratorfunction(func) or inspect.isasyncgenfunction(func)
        params = list(inspect.signature(func).parameters.values())[1:]  # self / cls
        declared = tuple(p for p in params if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD))
        object.__setattr__(self, "is_async", is_async)
        object.__setattr__(self, "is_generator", is_gen)
        object.__setattr__(self, "parameters", declared)

    def with_owner(self, name: str, owner: type) -> ActionInfo:
        return replace(self, name=name, owner=owner)
