"""Who may use the admin: users, the authentication backend and permissions.

An authentication backend is any object with ``authenticate(username, password)`` and
``load_user(username)`` (see :class:`AuthBackend`); the server-side session record
stores the username and a hash of the user's password hash, and the user is loaded
again on every request, so removing a user, a permission or changing a password takes
effect at once. :class:`PasswordAuth` is the built-in backend.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Protocol, runtime_checkable

from nitro.admin.passwords import DUMMY_HASH, hash_password, verify_password

__all__ = ["PERMISSIONS", "AdminUser", "AuthBackend", "PasswordAuth"]

#: The four per-entity permissions, as in Django.
PERMISSIONS = ("view", "add", "change", "delete")


@dataclass(frozen=True)
class AdminUser:
    """An admin user.

    :param permissions: ``"product.view"``, ``"product.delete"``... (the entity's admin
        slug, a dot and one of :data:`PERMISSIONS`); ``"product.*"`` grants all four.
    :param is_superuser: every permission on every entity.
    """

    username: str
    password_hash: str = field(default="", repr=False)
    permissions: frozenset[str] = frozenset()
    is_superuser: bool = False

    def __post_init__(self) -> None:
        # Accept any iterable of names (a list reads better in user code).
        object.__setattr__(self, "permissions", frozenset(self.permissions))

    def has_perm(self, permission: str, slug: str) -> bool:
        """Whether this user holds *permission* (``"delete"``) on the entity *slug*."""
        if self.is_superuser:
            return True
        return f"{slug}.{permission}" in self.permissions or f"{slug}.*" in self.permissions


@runtime_checkable
class AuthBackend(Protocol):
    """What ``Admin(auth=...)`` accepts."""

    def authenticate(self, username: str, password: str) -> AdminUser | None:
        """The user when the credentials are right, else ``None``."""
        ...

    def load_user(self, username: str) -> AdminUser | None:
        """The user of a logged-in session, or ``None`` once it no longer exists."""
        ...


class PasswordAuth:
    """Users with scrypt-hashed passwords, given in code or loaded from anywhere.

    .. code-block:: python

        auth = PasswordAuth([AdminUser("ann", hash_password("s3cret"), is_superuser=True)])
    """

    def __init__(self, users: Iterable[AdminUser]) -> None:
        self._users: dict[str, AdminUser] = {}
        for user in users:
            self.add_user(user)

    def add_user(self, user: AdminUser) -> None:
        """Add *user*, or replace the user of that name."""
        if not user.password_hash.startswith("scrypt$"):
            raise ValueError(
                f"AdminUser {user.username!r}: password_hash must come from "
                f"nitro.admin.hash_password(), never a plain password"
            )
        self._users[user.username] = user

    def remove_user(self, username: str) -> bool:
        """Remove the user; their sessions end at their next request."""
        return self._users.pop(username, None) is not None

    def set_password(self, username: str, password: str) -> None:
        """Give *username* a new password; sessions opened with the old one end.

        Prefer :meth:`Admin.change_password <nitro.admin.Admin.change_password>`,
        which also keeps the session of the user who made the change.

        :raises KeyError: no such user.
        """
        user = self._users[username]
        self._users[username] = replace(user, password_hash=hash_password(password))

    def authenticate(self, username: str, password: str) -> AdminUser | None:
        user = self._users.get(username)
        if user is None:
            verify_password(password, DUMMY_HASH)  # same cost as a wrong password
            return None
        return user if verify_password(password, user.password_hash) else None

    def load_user(self, username: str) -> AdminUser | None:
        return self._users.get(username)
