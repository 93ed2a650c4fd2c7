"""Verified OpenID Connect claims -> :class:`~nitro.auth.User`, by configuration.

Providers put the same facts under different names: Azure AD sends app roles as
``roles``, Keycloak as ``realm_access.roles`` (or ``resource_access.<client>.roles``),
Google sends none. :class:`ClaimMap` says where to look; dotted names reach into
nested objects.

.. code-block:: python

    ClaimMap(roles="realm_access.roles", role_permissions={"editor": {"post.*"}})
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from nitro.auth.errors import NotAuthenticated
from nitro.auth.identity import Role, User

__all__ = ["ClaimMap", "claim"]


def claim(claims: Mapping[str, Any], path: str) -> Any:
    """The value at *path* (``"realm_access.roles"``: nested objects), else ``None``."""
    value: Any = claims
    for part in path.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return None
        value = value[part]
    return value


def _names(value: Any) -> list[str]:
    """A list of strings from a list claim or a space-separated string (``scope``)."""
    if isinstance(value, str):
        return value.split()
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str) and v]
    return []


@dataclass(frozen=True)
class ClaimMap:
    """Where a provider keeps the facts a :class:`User` needs.

    :param id: the claim that identifies the user (``sub``: stable, unique per issuer).
    :param username: claims tried in order for the display name.
    :param roles: the claim listing role names (``None``: the provider sends none).
    :param permissions: the claim listing grants (``permissions``, ``scp``...).
    :param role_permissions: grants each role name carries in this app.
    :param superuser_roles: role names that make the user a superuser.
    """

    id: str = "sub"
    username: tuple[str, ...] = ("preferred_username", "email", "sub")
    roles: str | None = "roles"
    permissions: str | None = None
    role_permissions: Mapping[str, Iterable[str]] = field(default_factory=dict)
    superuser_roles: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        if isinstance(self.username, str):
            object.__setattr__(self, "username", (self.username,))
        object.__setattr__(self, "superuser_roles", frozenset(self.superuser_roles))

    def user(self, claims: Mapping[str, Any]) -> User:
        """The user the verified *claims* describe."""
        subject = claim(claims, self.id)
        if not isinstance(subject, str) or not subject:
            raise NotAuthenticated(f"Invalid ID token: no {self.id} claim")
        username = next(
            (v for name in self.username if isinstance(v := claim(claims, name), str) and v),
            subject,
        )
        role_names = _names(claim(claims, self.roles)) if self.roles else []
        granted = _names(claim(claims, self.permissions)) if self.permissions else []
        return User(
            id=subject,
            username=username,
            permissions=frozenset(granted),
            roles=tuple(Role(r, frozenset(self.role_permissions.get(r, ()))) for r in role_names),
            is_superuser=bool(self.superuser_roles.intersection(role_names)),
            claims=dict(claims),
        )
