"""Who may use the admin: users, the authentication backend and permissions.

Users, password hashing and sessions live in :mod:`nitro.auth`, so that an app and its
admin share one login (``Admin(auth=SessionAuth(...))``); this module keeps the admin's
names for them. An authentication backend is any :class:`nitro.auth.UserStore`
(``authenticate(username, password)`` and ``load_user(username)``): the server-side
session record stores the username and a hash of the user's password hash, and the
user is loaded again on every request, so removing a user, a permission or changing a
password takes effect at once. :class:`PasswordAuth` is the built-in backend.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from nitro.auth import User
from nitro.auth.types import HttpRequest
from nitro.auth.users import PasswordAuth as PasswordAuth
from nitro.auth.users import PasswordUser
from nitro.auth.users import UserStore as AuthBackend

if TYPE_CHECKING:
    from nitro.admin.site import Admin

__all__ = ["PERMISSIONS", "AdminSessionAuth", "AdminUser", "AuthBackend", "PasswordAuth"]

#: The four per-entity permissions, as in Django.
PERMISSIONS = ("view", "add", "change", "delete")


@dataclass(frozen=True, init=False)
class AdminUser(PasswordUser):
    """An admin user: a :class:`nitro.auth.PasswordUser` (id = username, a password
    hash) that also answers the admin's two-argument permission question.

    :param permissions: grants as everywhere in Nitro (:mod:`nitro.auth`): the admin
        asks for ``"<slug>.<view|add|change|delete>"`` (``"product.view"``), so
        ``"product.*"`` grants all four and ``"*"`` everything; the same strings gate
        actions (``@action(permission="product.change")``).
    :param roles: :class:`nitro.auth.Role` objects whose grants the user also holds.
    :param is_superuser: every permission on every entity.
    """

    def has_perm(self, permission: str, slug: str | None = None) -> bool:
        """Whether this user holds *permission*: ``has_perm("delete", "product")`` for
        the admin's per-entity permissions, ``has_perm("order.cancel")`` as in Nitro."""
        return super().has_perm(f"{slug}.{permission}" if slug is not None else permission)


class AdminSessionAuth:
    """An authenticator (:mod:`nitro.auth`) for the app's actions: the user logged in
    to the admin, from the admin's session cookie — one login for the app and its
    admin. Get it from :meth:`Admin.authenticator() <nitro.admin.Admin.authenticator>`.

    It asks the admin's :class:`nitro.auth.SessionAuth` once the admin is mounted (the
    admin builds it then, from its settings). The browser sends the admin's cookie
    only below its path: mount the admin with ``Admin(session_cookie_path="/")`` for
    the app's actions to see it, or give both one ``SessionAuth``. An admin without an
    auth backend (``insecure_dev``) logs nobody in here.
    """

    def __init__(self, admin: Admin) -> None:
        self.admin = admin

    def authenticate(self, request: HttpRequest) -> User | None:
        admin = self.admin
        if admin.auth is None or not admin.mounted:  # no real logins (yet)
            return None
        return admin.session_auth.authenticate(request)
