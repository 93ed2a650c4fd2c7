"""Who is calling: :class:`User`, :data:`ANONYMOUS`, :class:`Role` and permission names.

A permission is a dotted string, ``"order.cancel"``; a grant may end in ``.*``
(``"order.*"``: every permission of orders) or be ``"*"`` (everything). Roles group
grants under a name. A superuser holds every permission. The same strings gate actions
(``@action(permission="order.cancel")``), commands and the admin (whose per-entity
permissions are ``"<slug>.view"``, ``.add``, ``.change``, ``.delete``).

Users are values: an app loads them from wherever it keeps them (a table, an identity
provider's claims) on each request, so a revoked permission takes effect at once.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

__all__ = ["ANONYMOUS", "AnonymousUser", "Role", "User", "grants"]


def grants(granted: str, wanted: str) -> bool:
    """Whether the grant *granted* (``"order.cancel"``, ``"order.*"``, ``"*"``) covers
    the permission *wanted*."""
    if granted == wanted or granted == "*":
        return True
    return granted.endswith(".*") and wanted.startswith(granted[:-1])


@dataclass(frozen=True)
class Role:
    """A named group of grants: ``Role("support", {"order.view", "order.cancel"})``."""

    name: str
    permissions: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        object.__setattr__(self, "permissions", frozenset(self.permissions))


@dataclass(frozen=True)
class User:
    """An authenticated caller.

    :param id: what the app's data refers to (``order.owner_id == user.id``).
    :param permissions: grants held directly (see the module docs).
    :param roles: :class:`Role` objects whose grants the user also holds.
    :param claims: what the authenticator knew (a token's claims, ...), for rules.
    """

    id: str
    username: str = ""
    permissions: frozenset[str] = frozenset()
    roles: tuple[Role, ...] = ()
    is_superuser: bool = False
    claims: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)
    #: Every grant, direct and from roles (worked out once: checked on every request).
    _grants: frozenset[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Accept any iterable (a list reads better in user code).
        object.__setattr__(self, "permissions", frozenset(self.permissions))
        object.__setattr__(self, "roles", tuple(self.roles))
        if not self.username:
            object.__setattr__(self, "username", self.id)
        found = set(self.permissions)
        for role in self.roles:
            found |= role.permissions
        object.__setattr__(self, "_grants", frozenset(found))

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def role_names(self) -> frozenset[str]:
        return frozenset(role.name for role in self.roles)

    def all_permissions(self) -> frozenset[str]:
        """The direct grants and those of the roles."""
        return self._grants

    def has_perm(self, permission: str) -> bool:
        """Whether this user holds *permission* (``"order.cancel"``)."""
        held = self._grants
        if self.is_superuser or permission in held or "*" in held:
            return True
        # the wildcards that would cover it: "order.*" for "order.cancel", ...
        dot = permission.find(".")
        while dot != -1:
            if permission[: dot + 1] + "*" in held:
                return True
            dot = permission.find(".", dot + 1)
        return False

    def has_perms(self, permissions: Iterable[str]) -> bool:
        return all(self.has_perm(p) for p in permissions)


class AnonymousUser:
    """Nobody logged in: no id, no permissions. Use the :data:`ANONYMOUS` instance."""

    id: None = None
    username = ""
    permissions: frozenset[str] = frozenset()
    roles: tuple[Role, ...] = ()
    is_superuser = False
    claims: dict[str, Any] = {}

    @property
    def is_authenticated(self) -> bool:
        return False

    @property
    def role_names(self) -> frozenset[str]:
        return frozenset()

    def all_permissions(self) -> frozenset[str]:
        return frozenset()

    def has_perm(self, permission: str) -> bool:
        return False

    def has_perms(self, permissions: Iterable[str]) -> bool:
        return False

    def __repr__(self) -> str:
        return "ANONYMOUS"


#: The caller when nobody is logged in.
ANONYMOUS = AnonymousUser()
