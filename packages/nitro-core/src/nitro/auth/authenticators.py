"""How a request says who sent it: authenticators, tried in order.

An authenticator looks at one kind of credential: it returns a :class:`User` when the
request carries a valid one, ``None`` when it carries none of its kind (the next one
is asked), and raises :class:`~nitro.auth.errors.NotAuthenticated` when it carries
one that is invalid (an expired or forged token is an error, not an anonymous visit).
:class:`Authentication` runs them and answers :data:`ANONYMOUS` when none knows the
caller. ``configure_app(app, auth=...)`` takes either one authenticator or a list.

Two kinds ship: :class:`~nitro.auth.jwt.JWTAuth` (``Authorization: Bearer``) and
:class:`~nitro.auth.login.SessionAuth` (a password login's cookie, shared with the
admin: ``Admin(auth=session_auth)``; ``Admin.authenticator()`` for an admin configured
on its own). Anything with an ``authenticate(request)`` method works.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable

from nitro.auth.identity import ANONYMOUS, AnonymousUser, User

__all__ = ["Authentication", "Authenticator", "bearer_token"]


@runtime_checkable
class Authenticator(Protocol):
    """What ``configure_app(auth=...)`` takes: one way to find the caller of a request (a session
    cookie, a bearer token...)."""

    def authenticate(self, request: Any) -> User | None:
        """The caller, ``None`` without credentials of this kind; raises
        ``NotAuthenticated`` for invalid ones."""
        ...


class Authentication:
    """Authenticators tried in order (see the module docs)."""

    def __init__(self, authenticators: Authenticator | Sequence[Authenticator] = ()) -> None:
        if isinstance(authenticators, Authentication):
            authenticators = authenticators.authenticators
        elif not isinstance(authenticators, Sequence):
            authenticators = [authenticators]
        for item in authenticators:
            if not callable(getattr(item, "authenticate", None)):
                raise TypeError(f"{item!r} is not an authenticator (no authenticate(request))")
        self.authenticators: tuple[Authenticator, ...] = tuple(authenticators)
        #: The ``WWW-Authenticate`` value of a 401 (the first authenticator's that has one).
        self.challenge: str | None = next(
            (c for a in self.authenticators if (c := getattr(a, "challenge", None))), None
        )

    def __bool__(self) -> bool:
        return bool(self.authenticators)

    def identify(self, request: Any) -> User | AnonymousUser:
        for authenticator in self.authenticators:
            user = authenticator.authenticate(request)
            if user is not None:
                return user
        return ANONYMOUS


def bearer_token(request: Any) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header, else ``None``."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer":
        return None
    return token.strip() or None
