"""Users who log in with a password, and where they are kept.

A user store is any object with ``authenticate(username, password)`` and
``load_user(username)`` (:class:`UserStore`): :class:`~nitro.auth.login.SessionAuth`
checks the password once, at login, and loads the user again on every request (from
the username in the session record), so removing a user, a permission or changing a
password takes effect at once. :class:`PasswordAuth` is the built-in store: users given
in code, with scrypt hashes. The admin uses the same stores (``Admin(auth=...)``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any, Protocol, runtime_checkable

from nitro.auth.identity import Role, User
from nitro.auth.passwords import dummy_hash, hash_password, verify_password

__all__ = ["PasswordAuth", "PasswordUser", "UserStore"]


@dataclass(frozen=True, init=False)
class PasswordUser(User):
    """A :class:`~nitro.auth.User` whose id is its username, with a password hash.

    .. code-block:: python

        PasswordUser("ann", hash_password("s3cret"), permissions=["order.*"])

    :param password_hash: from :func:`~nitro.auth.passwords.hash_password`; never
        shown by ``repr``. Sessions remember a keyed hash of it, so changing it ends
        the sessions opened with the old password.
    :param permissions: grants (``"order.cancel"``, ``"order.*"``, ``"*"``).
    :param roles: :class:`~nitro.auth.Role` objects whose grants the user also holds.
    :param is_superuser: every permission.
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


@runtime_checkable
class UserStore(Protocol):
    """Where users who log in with a password come from (``SessionAuth(users=...)``,
    ``Admin(auth=...)``). Add ``set_password(username, password)`` to let
    ``change_password()`` work."""

    def authenticate(self, username: str, password: str) -> User | None:
        """The user when the credentials are right, else ``None``."""
        ...

    def load_user(self, username: str) -> User | None:
        """The user of a logged-in session, or ``None`` once it no longer exists."""
        ...


class PasswordAuth:
    """Users with scrypt-hashed passwords, given in code or loaded from anywhere.

    .. code-block:: python

        users = PasswordAuth([PasswordUser("ann", hash_password("s3cret"), is_superuser=True)])
    """

    def __init__(self, users: Iterable[PasswordUser] = ()) -> None:
        self._users: dict[str, PasswordUser] = {}
        for user in users:
            self.add_user(user)

    def add_user(self, user: PasswordUser) -> None:
        """Add *user*, or replace the user of that name."""
        if not user.password_hash.startswith("scrypt$"):
            raise ValueError(
                f"{type(user).__name__} {user.username!r}: password_hash must come from "
                f"nitro.auth.hash_password(), never a plain password"
            )
        self._users[user.username] = user

    def remove_user(self, username: str) -> bool:
        """Remove the user; their sessions end at their next request."""
        return self._users.pop(username, None) is not None

    def set_password(self, username: str, password: str) -> None:
        """Give *username* a new password; sessions opened with the old one end.

        Prefer :meth:`SessionAuth.change_password
        <nitro.auth.login.SessionAuth.change_password>` (or the admin's), which also
        keeps the session of the user who made the change.

        :raises KeyError: no such user.
        """
        user = self._users[username]
        self._users[username] = replace(user, password_hash=hash_password(password))

    def authenticate(self, username: str, password: str) -> PasswordUser | None:
        user = self._users.get(username)
        if user is None:
            verify_password(password, dummy_hash())  # same cost as a wrong password
            return None
        return user if verify_password(password, user.password_hash) else None

    def load_user(self, username: str) -> PasswordUser | None:
        return self._users.get(username)
