"""Password logins kept in server-side sessions: one login for an app and its admin.

:class:`SessionAuth` is an authenticator (``configure_app(app, auth=...)``: actions
see the logged-in user) and the login/logout API of the same login:

.. code-block:: python

    from nitro.auth import PasswordAuth, PasswordUser, SessionAuth, hash_password
    from nitro.sessions import MemorySessionStore

    auth = SessionAuth(
        secret_key=SECRET_KEY,  # at least 32 characters
        store=MemorySessionStore(),  # RepositorySessionStore(...) for many processes
        users=PasswordAuth([PasswordUser("ann", hash_password("s3cret"))]),
    )
    configure_app(app, auth=auth)  # actions: current_user() is ann
    admin = Admin(auth=auth)  # the admin's login form logs in here too

    user = auth.check_password(username, password)
    set_cookie = auth.login(request, user)  # a Set-Cookie header value
    set_cookie = auth.logout(request)  # ends the session for every copy

The browser keeps only a signed cookie (:mod:`nitro.auth.cookies`) naming a record
in the *store* (:mod:`nitro.sessions`); the user is loaded from *users* on every
request. That is what makes a session revocable: logging out deletes the record, so a
copy of the cookie taken earlier opens nothing; the record also holds a keyed hash of
the user's password hash, so a changed password ends the sessions opened with the old
one, in every process that shares the store.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable
from typing import Any

from nitro.auth.cookies import Session, SessionCookie
from nitro.auth.csrf import CsrfProtection
from nitro.auth.errors import TooManyAttempts
from nitro.auth.identity import User
from nitro.auth.proxies import TrustedProxies
from nitro.auth.types import HttpRequest, SessionStore
from nitro.auth.users import UserStore
from nitro.throttle import LoginThrottle

__all__ = ["MIN_SECRET_LENGTH", "SessionAuth"]

#: Shortest secret key accepted (the admin's ``admin.E103`` asks the same).
MIN_SECRET_LENGTH = 32


class SessionAuth:
    """Logins with a password, kept in server-side sessions (see the module docs).

    :param secret_key: signs the cookie and keys the CSRF tokens and the sessions'
        auth hashes; at least 32 characters. Changing it logs everyone out.
    :param store: where session records live (:mod:`nitro.sessions`):
        ``MemorySessionStore()`` for one process, ``RepositorySessionStore(...)`` over
        SQL or Redis when several processes serve the app. There is no default: where
        logins live decides whether a logout counts everywhere.
    :param users: who may log in (:class:`~nitro.auth.users.PasswordAuth` or any
        :class:`~nitro.auth.users.UserStore`).
    :param cookie_name: the cookie's name.
    :param cookie_path: where the browser sends it; ``"/"`` (default) covers the app's
        actions and an admin mounted below it.
    :param max_age: seconds a login lasts (8 hours by default).
    :param secure: ``True``/``False`` forces the cookie's ``Secure`` flag; ``None``
        (default) sets it except over plain http on a direct connection from this
        machine (local development).
    :param trusted_proxies: reverse proxies whose ``X-Forwarded-Proto`` and
        ``X-Forwarded-For`` are believed; default: ``NITRO_TRUSTED_PROXIES``.
    :param trusted_origins: other origins allowed to post forms (CSRF check).
    :param scope: a name for this login; records of another scope in the same store
        are not accepted (two apps sharing one Redis keep separate logins).
    :param throttle: slows down password guessing in :meth:`check_password`, per
        username and per client address (:class:`nitro.throttle.LoginThrottle`; pass
        one with ``store=RedisCounterStore(...)`` when several processes serve the
        app). ``True`` (default): one with its defaults in this process; ``False``: none.
    """

    #: Swap the cookie or the CSRF tokens without subclassing.
    cookie_class: type[SessionCookie] = SessionCookie
    csrf_class: type[CsrfProtection] = CsrfProtection
    #: No ``WWW-Authenticate`` challenge: browsers are sent to a login page instead.
    challenge: str | None = None

    def __init__(
        self,
        *,
        secret_key: str,
        store: SessionStore[Any],
        users: UserStore,
        cookie_name: str = "nitro_session",
        cookie_path: str = "/",
        max_age: int = 8 * 3600,
        secure: bool | None = None,
        trusted_proxies: TrustedProxies | Iterable[str] | None = None,
        trusted_origins: Iterable[str] = (),
        scope: str = "",
        cookie_class: type[SessionCookie] | None = None,
        throttle: LoginThrottle | bool = True,
    ) -> None:
        if not isinstance(secret_key, str) or len(secret_key) < MIN_SECRET_LENGTH:
            raise ValueError(
                f"SessionAuth(secret_key=...) needs at least {MIN_SECRET_LENGTH} characters, "
                f"e.g. from python -c 'import secrets; print(secrets.token_urlsafe(32))'"
            )
        for name in ("create", "get", "update", "delete", "delete_user"):
            if not callable(getattr(store, name, None)):
                raise TypeError(f"SessionAuth(store=...) must be a SessionStore, got {store!r}")
        for name in ("authenticate", "load_user"):
            if not callable(getattr(users, name, None)):
                raise TypeError(f"SessionAuth(users=...) must be a UserStore, got {users!r}")
        self.secret_key = secret_key
        self.store = store
        self.users = users
        self.max_age = max_age
        self.scope = scope
        if not isinstance(trusted_proxies, TrustedProxies):
            trusted_proxies = (
                TrustedProxies.from_env()
                if trusted_proxies is None
                else TrustedProxies(trusted_proxies)
            )
        self.proxies = trusted_proxies
        self.cookie = (cookie_class or self.cookie_class)(
            secret_key,
            cookie_name=cookie_name,
            path=cookie_path,
            max_age=max_age,
            secure=secure,
            proxies=trusted_proxies,
        )
        self.csrf = self.csrf_class(secret_key, trusted_origins)
        if not isinstance(throttle, LoginThrottle | bool):
            raise TypeError(f"throttle must be a LoginThrottle or a bool, got {throttle!r}")
        #: The login throttle (``None``: guesses are not slowed down).
        if throttle is True:
            throttle = LoginThrottle()
        self.throttle: LoginThrottle | None = throttle or None
        self._auth_key = hmac.new(
            secret_key.encode(), b"nitro.auth:auth-hash", hashlib.sha256
        ).digest()

    def __repr__(self) -> str:
        return f"<SessionAuth {self.cookie.cookie_name} in {self.store!r}>"

    # -- the authenticator -------------------------------------------------------------

    def authenticate(self, request: HttpRequest) -> User | None:
        """The user logged in on *request*, ``None`` without a live session."""
        session = self.session(request)
        return self.user(session) if session.session_id else None

    # -- one call each, for an app's own login and logout handlers ---------------------

    def check_password(
        self, username: str, password: str, request: HttpRequest | None = None
    ) -> User | None:
        """The user when the password is right (as slow for an unknown user), else
        ``None``. Give the *request* so failures count per client address too.

        :raises TooManyAttempts: (429) this username or address failed too often
            lately; the password is not checked, so guessing costs no hashing.
        """
        throttle = self.throttle
        address = self.proxies.client_address(request) if request is not None else None
        if throttle is not None:
            wait = throttle.retry_after(username, address)
            if wait > 0:
                raise TooManyAttempts(throttle.seconds(wait))
        user = self.users.authenticate(username, password)
        if throttle is not None:
            if user is None:
                throttle.failed(username, address)
            else:
                throttle.succeeded(username, address)
        return user

    def login(self, request: HttpRequest, user: User) -> str:
        """Log *user* in (checked already: :meth:`check_password`, or another way);
        the ``Set-Cookie`` value to send. A session the request had is ended first."""
        session = self.session(request)
        self.start_session(session, user)
        return self.cookie.set_cookie(session, request)

    def logout(self, request: HttpRequest) -> str:
        """End the request's session, for every copy of its cookie; the
        ``Set-Cookie`` value that removes the cookie."""
        self.end_session(self.session(request))
        return self.cookie.clear_cookie(request)

    # -- sessions, for a site that sends its own cookie (the admin) --------------------

    def session(self, request: HttpRequest) -> Session:
        """What the request's cookie says (a new anonymous session without one)."""
        return self.cookie.load(request)

    def user(self, session: Session) -> User | None:
        """The user of *session*, or ``None``: no record (logged out, expired), another
        scope's record, a user who is gone or whose password changed. A dead session is
        logged out (its record deleted, ``session.changed`` set)."""
        if not session.session_id:
            return None
        record = self.store.get(session.session_id)
        user = None
        if record is not None and record.scope == self.scope:
            user = self.users.load_user(record.username)
            if user is not None and not hmac.compare_digest(record.auth_hash, self.auth_hash(user)):
                user = None  # the password changed since this login
        if user is None:
            if record is not None:
                self.store.delete(record.id)
            session.logout()
        return user

    def start_session(self, session: Session, user: User) -> None:
        """A new record for *user* and a fresh nonce (no session fixation)."""
        if session.session_id:
            self.store.delete(session.session_id)
        record = self.store.create(
            user.username, auth_hash=self.auth_hash(user), max_age=self.max_age, scope=self.scope
        )
        session.login(record.id)

    def end_session(self, session: Session) -> None:
        """Log out: the record is deleted, so every copy of the cookie is dead."""
        if session.session_id:
            self.store.delete(session.session_id)
        session.logout()

    def end_sessions(self, username: str, *, keep: Session | None = None) -> int:
        """End every session of *username* (except *keep*'s); how many.

        Sessions also end by themselves at their next request once the user is gone
        or the password differs; this frees them at once (a forced logout).
        """
        keep_id = keep.session_id if keep is not None else None
        return self.store.delete_user(username, scope=self.scope, keep=keep_id)

    def change_password(self, username: str, password: str, *, keep: Session | None = None) -> None:
        """Set a new password through *users* (it needs ``set_password``) and end
        *username*'s sessions, except *keep* when it is that user's own session (the
        user changing their own password stays logged in).

        :raises TypeError: the user store cannot set passwords.
        """
        set_password = getattr(self.users, "set_password", None)
        if set_password is None:
            raise TypeError(f"the user store {self.users!r} has no set_password()")
        set_password(username, password)
        record = self.store.get(keep.session_id) if keep is not None and keep.session_id else None
        if record is not None and (record.username != username or record.scope != self.scope):
            record = None
        self.store.delete_user(username, scope=self.scope, keep=record.id if record else None)
        user = self.users.load_user(username) if record is not None else None
        if record is not None and user is not None:
            record.auth_hash = self.auth_hash(user)
            self.store.update(record)

    def auth_hash(self, user: User) -> str:
        """A keyed hash of *user*'s password hash (empty for users without one): it
        changes with the password, so a session opened before no longer matches."""
        password_hash: str = getattr(user, "password_hash", "")
        return hmac.new(self._auth_key, password_hash.encode(), hashlib.sha256).hexdigest()

    def csrf_token(self, session: Session) -> str:
        """The CSRF token for forms of *session* (field ``csrf_token``)."""
        return self.csrf.token(session.nonce)
