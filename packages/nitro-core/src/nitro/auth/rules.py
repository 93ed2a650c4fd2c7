"""The check an action (or a command) makes before it runs.

``@action(permission="order.cancel")`` names a permission the caller must hold;
``@action(allow=rule)`` gives a rule of the caller and the entity (row level:
``lambda user, order: order.owner_id == user.id``); both may be given, and both must
pass. A rule with one parameter gets only the user (for classmethod actions and
commands). Either one means the caller must be logged in: nobody logged in is
:class:`~nitro.auth.errors.NotAuthenticated` (401), a refusal is
:class:`~nitro.auth.errors.PermissionDenied` (403). A superuser passes both.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from nitro.auth.errors import NotAuthenticated, PermissionDenied
from nitro.auth.identity import AnonymousUser, User

__all__ = ["Guard", "Rule"]

#: ``rule(user)`` or ``rule(user, entity)``: whether *user* may.
Rule = Callable[..., bool]


@dataclass(frozen=True)
class Guard:
    """What one action requires of its caller (see the module docs)."""

    permission: str | None = None
    allow: Rule | None = None
    _with_entity: bool = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.permission is not None and not (
            isinstance(self.permission, str) and self.permission.strip()
        ):
            raise ValueError(f"permission must be a non-empty string, not {self.permission!r}")
        if self.allow is not None and not callable(self.allow):
            raise TypeError(f"allow must be callable (user[, entity]) -> bool, not {self.allow!r}")
        object.__setattr__(self, "_with_entity", self._takes_entity(self.allow))

    @staticmethod
    def _takes_entity(rule: Rule | None) -> bool:
        if rule is None:
            return False
        try:
            params = inspect.signature(rule).parameters.values()
        except (TypeError, ValueError):
            return True
        positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
        return len(positional) >= 2 or any(p.kind is p.VAR_POSITIONAL for p in params)

    def check_caller(self, user: User | AnonymousUser, *, challenge: str | None = None) -> None:
        """What can be checked before the entity is loaded: logged in, the permission."""
        if not user.is_authenticated:
            raise NotAuthenticated(challenge=challenge)
        if self.permission is not None and not user.has_perm(self.permission):
            raise PermissionDenied()

    def check_entity(self, user: User | AnonymousUser, entity: Any) -> None:
        """The rule, once the entity is known (``None`` for classmethod actions)."""
        if self.allow is None or user.is_superuser:
            return
        allowed = self.allow(user, entity) if self._with_entity else self.allow(user)
        if not allowed:
            raise PermissionDenied()
