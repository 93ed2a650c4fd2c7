"""The check an action (or a command) makes before it runs.

``@action(permission="order.cancel")`` names a permission the caller must hold;
``@action(allow=rule)`` gives a rule of the caller and the entity (row level:
``lambda user, order: order.owner_id == user.id``); both may be given, and both must
pass. A rule with one parameter gets only the user (for classmethod actions and
commands). Either one means the caller must be logged in: nobody logged in is
:class:`~nitro.auth.errors.NotAuthenticated` (401), a refusal is
:class:`~nitro.auth.errors.PermissionDenied` (403). A superuser passes both.

A row rule that lists must honour too is a :class:`RowRule`: a specification of the
user (``RowRule(lambda user: FieldEquals("owner_id", user.id))``). It checks one
entity in Python before an action runs, and filters a list in the database
(``Order.filter(own_orders.spec(user))``, or ``EntityAdmin.row_rule`` in the admin),
so the rule is written once for both.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from nitro.auth.errors import NotAuthenticated, PermissionDenied
from nitro.auth.identity import AnonymousUser, User
from nitro.specification import Specification

__all__ = ["Guard", "RowRule", "Rule"]

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
        if isinstance(allowed, Specification):  # ``allow=lambda user: <spec>``
            allowed = entity is not None and allowed.is_satisfied_by(entity)
        if not allowed:
            raise PermissionDenied()


class RowRule:
    """A row-level rule written as a specification of the user.

    ``for_user(user)`` returns the :class:`~nitro.specification.Specification` the
    rows this user may touch satisfy. Structural specifications (``FieldEquals``,
    ``&``, ``|``, ``~``) are translated to SQL and Redis conditions, which is the point:
    a list is filtered where the rows live instead of loaded and checked one by one.
    The same object is a rule ``(user, entity) -> bool`` for ``@action(allow=...)``.
    A superuser is not restricted; nobody logged in is ``NotAuthenticated``.
    """

    __slots__ = ("for_user", "name")

    def __init__(
        self, for_user: Callable[[User], Specification[Any]], *, name: str | None = None
    ) -> None:
        if not callable(for_user):
            raise TypeError(f"RowRule() needs a callable user -> Specification, not {for_user!r}")
        self.for_user = for_user
        self.name = name or getattr(for_user, "__name__", "rule")

    def spec(self, user: User | AnonymousUser) -> Specification[Any] | None:
        """What *user* may see, ``None`` for everything (a superuser)."""
        if not user.is_authenticated:
            raise NotAuthenticated()
        if user.is_superuser:
            return None
        assert isinstance(user, User)
        spec = self.for_user(user)
        if not isinstance(spec, Specification):
            raise TypeError(
                f"row rule {self.name!r} returned {type(spec).__name__}, not a Specification"
            )
        return spec

    def __call__(self, user: User | AnonymousUser, entity: Any) -> bool:
        spec = self.spec(user)
        return spec is None or spec.is_satisfied_by(entity)

    def __repr__(self) -> str:
        return f"RowRule({self.name})"
