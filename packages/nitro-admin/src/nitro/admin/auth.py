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
from typing import Any, Protocol, runtime_checkable

from nitro.admin.passwords import DUMMY_HASH, hash_password, verify_password
from nitro.auth import Role, User

__all__ = ["PERMISSIONS", "AdminSessionAuth", "AdminUser", "AuthBackend", "PasswordAuth"]

#: The four per-entity permissions, as in Django.
PERMISSIONS = ("view", "add", "change", "delete")


@dataclass(frozen=True, init=False)
class AdminUser(User):
    """An admin user: a :class:`nitro.auth.User` whose id is its username, with a
    password hash.

    :param permissions: grants as everywhere in Nitro (:mod:`nitro.auth`): the admin
        asks for ``"<slug>.<view|add|change|delete>"`` (``"product.view"``), so
        ``"product.*"`` grants all four and ``"*"`` everything; the same strings gate
        actions (``@action(permission="product.change")``).
    :param roles: :class:`nitro.auth.Role` objects whose grants the user also holds.
    :param is_superuser: every permission on every entity.
    """

    password_hash: str = field(default="", repr=False)

    def __init__(
        self,
        username: str,
        password_hash: str = "",
        permissions: Iterable[str] = frozenset(),
        is_superuser: bool = False,
        roles: Iterable[Role] = (),
        *,
        id: str | None = None,
        claims: dict[str, Any] | None = None,
    ) -> None:
        object.__setattr__(self, "password_hash", password_hash)
        User.__init__(
            self,
            id=id or username,
            username=username,
            permissions=frozenset(permissions),
            roles=tuple(roles),
            is_superuser=is_superuser,
            claims=claims or {},
        )

    def has_perm(self, permission: str, slug: str | None = None) -> bool:
        """Whether this user holds *permission*: ``has_perm("delete", "product")`` for
        the admin's per-entity permissions, ``has_perm("order.cancel")`` as in Nitro."""
        return super().has_perm(f"{slug}.{permission}" if slug is not None else permission)


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


class AdminSessionAuth:
    """An authenticator (:mod:`nitro.auth`) for the app's actions: the user logged in
    to the admin, from the admin's session cookie — one login for the app and its
    admin. Get it from :meth:`Admin.authenticator() <nitro.admin.Admin.authenticator>`.

    The browser sends the admin's cookie only below its path: mount the admin with
    ``Admin(session_cookie_path="/")`` for the app's actions to see it. An admin
    without an auth backend (``insecure_dev``) logs nobody in here.
    """

    def __init__(self, admin: Any) -> None:
        self.admin = admin

    def authenticate(self, request: Any) -> User | None:
        admin = self.admin
        sessions = getattr(admin, "sessions", None)
        if admin.auth is None or sessions is None:  # not mounted yet, or no real logins
            return None
        session = sessions.load(request)
        if not session.session_id:
            return None
        user: User | None = admin._current_user(session)
        return user
