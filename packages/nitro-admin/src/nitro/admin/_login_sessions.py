"""The admin's login sessions: who is logged in, logging in and out, ending sessions.

They are one job apart from the site's setup and routes: every method hands over to
one :class:`nitro.auth.SessionAuth` (the app's, with ``Admin(auth=SessionAuth(...))``,
else one built from the site's settings), so the admin and the app's actions share one
idea of a login. :class:`~nitro.admin.Admin` gets them from :class:`LoginSessionsMixin`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from nitro.admin.auth import AdminUser, PasswordAuth
from nitro.admin.errors import AdminConfigurationError
from nitro.auth.login import SessionAuth
from nitro.auth.proxies import TrustedProxies

if TYPE_CHECKING:
    from nitro.admin.auth import AuthBackend
    from nitro.admin.checks import CheckMessage
    from nitro.admin.requests import AdminRequest
    from nitro.auth import User
    from nitro.auth.cookies import Session, SessionCookie
    from nitro.sessions import SessionStore
    from nitro.throttle import LoginThrottle

__all__ = ["LoginSessionsMixin"]


class LoginSessionsMixin:
    """The login-session methods of :class:`~nitro.admin.Admin`, which it is a base of."""

    if TYPE_CHECKING:  # what the Admin combined with it provides
        session_cookie_class: type[SessionCookie]
        prefix: str
        shared_login: SessionAuth | None
        auth: AuthBackend | None
        insecure_dev: bool
        secure_cookies: bool | None
        session_max_age: int
        session_cookie_path: str | None
        session_store: SessionStore[Any]
        login_throttle: LoginThrottle | None
        trusted_proxies: tuple[str, ...] | None

        def check(self) -> list[CheckMessage]: ...
        def resolve_secret_key(self) -> str | None: ...

    # -- sessions -----------------------------------------------------------------------

    @property
    def session_auth(self) -> SessionAuth:
        """The login the admin uses (:class:`nitro.auth.SessionAuth`): the one given as
        ``auth=``, else one built from the admin's settings (cookie
        ``nitro_admin_session`` below the prefix, records scoped to the prefix).

        :raises AdminConfigurationError: the admin has no secret key.
        """
        if self.shared_login is not None:
            return self.shared_login
        login: SessionAuth | None = self.__dict__.get("_session_auth")
        if login is None:
            key = self.resolve_secret_key()
            if key is None:
                raise AdminConfigurationError(self.check())  # admin.E102 among them
            login = self.__dict__["_session_auth"] = SessionAuth(
                secret_key=key,
                store=self.session_store,
                users=self.auth if self.auth is not None else PasswordAuth(),
                cookie_name="nitro_admin_session",
                cookie_path=self.session_cookie_path or self.prefix or "/",
                max_age=self.session_max_age,
                secure=self.secure_cookies,
                trusted_proxies=(
                    TrustedProxies.from_env()
                    if self.trusted_proxies is None
                    else TrustedProxies(self.trusted_proxies)
                ),
                scope=self.prefix,
                cookie_class=self.session_cookie_class,
                throttle=self.login_throttle or False,
            )
        return login

    def auth_hash(self, user: User) -> str:
        """A keyed hash of *user*'s password hash: it changes with the password, so a
        session opened before a password change no longer matches."""
        return self.session_auth.auth_hash(user)

    def start_session(self, request: AdminRequest, user: User) -> None:
        """Log *user* in on *request*: a new session record and a fresh nonce."""
        self.session_auth.start_session(request.session, user)
        request.user = user

    def end_session(self, request: AdminRequest) -> None:
        """Log out: the session record is deleted, so every copy of the cookie is dead."""
        self.session_auth.end_session(request.session)
        request.user = None

    def end_sessions(self, username: str, *, keep: AdminRequest | None = None) -> int:
        """End every session of *username* on this site (except *keep*'s); how many.

        Call it after removing a user or changing a password outside
        :meth:`change_password` (sessions also end by themselves at their next request
        once the user is gone or the password differs; this frees them at once).
        """
        return self.session_auth.end_sessions(
            username, keep=keep.session if keep is not None else None
        )

    def change_password(
        self, username: str, password: str, *, request: AdminRequest | None = None
    ) -> None:
        """Set a new password through the auth backend (it needs ``set_password``) and
        end *username*'s other sessions; the session of *request* (the user changing
        their own password) stays open."""
        if not callable(getattr(self.auth, "set_password", None)):
            raise TypeError(f"the auth backend {self.auth!r} has no set_password()")
        keep = None
        if request is not None and request.user is not None:
            keep = request.session if request.user.username == username else None
        self.session_auth.change_password(username, password, keep=keep)

    def _current_user(self, session: Session) -> User | None:
        if self.auth is None:
            return AdminUser("developer", is_superuser=True) if self.insecure_dev else None
        return self.session_auth.user(session)
