"""Per-result patch instructions, for when the decorator's selector is not enough.

``@action(selector=..., mode=...)`` fixes where every returned element goes. An action
that must target something that depends on the call -- remove one row by its id,
append to a list chosen at run time -- returns :class:`Patch` objects instead::

    @action(method="DELETE")
    def remove(self) -> Patch:
        self.delete()
        return Patch.remove(f"#todo-{self.id}")

An action may also return a list or tuple of elements and patches: each becomes one
``datastar-patch-elements`` event, in order.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from nitro.actions.metadata import PatchMode

__all__ = ["Patch"]


@dataclass(frozen=True)
class Patch:
    """Patch ``element`` (anything with ``__html__``) at ``selector`` with ``mode``."""

    element: Any
    selector: str | None = None
    mode: PatchMode = "outer"

    def __post_init__(self) -> None:
        if self.element is None and self.mode != "remove":
            raise ValueError("Patch needs an element unless mode='remove'")
        if self.element is not None and not hasattr(self.element, "__html__"):
            raise TypeError(f"Patch element must have __html__, not {type(self.element).__name__}")
        if self.mode == "remove" and not self.selector:
            raise ValueError("Patch.remove needs a selector")

    @classmethod
    def remove(cls, selector: str) -> Patch:
        """Remove the elements matching ``selector`` from the page."""
        return cls(None, selector, "remove")

    @property
    def html(self) -> str:
        return "" if self.element is None else str(self.element.__html__())
