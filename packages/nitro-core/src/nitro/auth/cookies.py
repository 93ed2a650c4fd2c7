"""The login cookie: signed, HttpOnly, SameSite=Lax, ``Secure`` when it must be.

It holds a random nonce (CSRF tokens are derived from it, :mod:`nitro.auth.csrf`) and,
once logged in, the id of a server-side session record (:mod:`nitro.sessions`). Who is
logged in is only known from that record, so logging out (which deletes it) ends the
session for every copy of the cookie. Anonymous visitors get a cookie too, so a login
form itself can be protected against CSRF; logging in rotates the nonce, so a planted
session is worth nothing.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

from nitro.auth.proxies import TrustedProxies
from nitro.auth.signing import BadSignature, Signer
from nitro.auth.types import HttpRequest

__all__ = ["Session", "SessionCookie"]


def _nonce() -> str:
    return secrets.token_urlsafe(24)


@dataclass
class Session:
    """What one browser's cookie says: its nonce and, once logged in, its record id."""

    nonce: str = field(default_factory=_nonce)
    #: The id of the server-side session record, once logged in.
    session_id: str | None = None
    #: Whether the response must (re)send the cookie.
    changed: bool = True

    def login(self, session_id: str) -> None:
        self.nonce = _nonce()
        self.session_id = session_id
        self.changed = True

    def logout(self) -> None:
        self.nonce = _nonce()
        self.session_id = None
        self.changed = True


class SessionCookie:
    """Reads and writes :class:`Session` cookies.

    :param secure: ``True``/``False`` forces the ``Secure`` flag; ``None`` decides per
        request (see :meth:`TrustedProxies.is_secure
        <nitro.auth.proxies.TrustedProxies.is_secure>`).
    """

    def __init__(
        self,
        secret_key: str,
        *,
        cookie_name: str,
        path: str,
        max_age: int,
        secure: bool | None,
        proxies: TrustedProxies | None = None,
    ) -> None:
        self._signer = Signer(secret_key, "session")
        self.cookie_name = cookie_name
        self.path = path or "/"
        self.max_age = max_age
        self.secure = secure
        self.proxies = proxies if proxies is not None else TrustedProxies()

    def load(self, request: HttpRequest) -> Session:
        """The request's session; a new anonymous one when the cookie is missing,
        forged, expired or malformed."""
        raw = request.cookies.get(self.cookie_name)
        if raw:
            try:
                value = self._signer.unsign(raw)
                nonce, session_id = value["n"], value.get("s")
                if isinstance(nonce, str) and (session_id is None or isinstance(session_id, str)):
                    return Session(nonce, session_id, changed=False)
            except (BadSignature, KeyError, TypeError, AttributeError):
                pass
        return Session()

    def is_secure(self, request: HttpRequest) -> bool:
        """Whether cookies sent in answer to *request* carry ``Secure``."""
        if self.secure is not None:
            return self.secure
        return self.proxies.is_secure(request)

    def set_cookie(self, session: Session, request: HttpRequest) -> str:
        """The ``Set-Cookie`` value that stores *session* in the browser."""
        value = self._signer.sign({"n": session.nonce, "s": session.session_id}, self.max_age)
        return self._cookie(value, self.max_age, request)

    def clear_cookie(self, request: HttpRequest) -> str:
        """The ``Set-Cookie`` value that removes the cookie."""
        return self._cookie("", 0, request)

    def _cookie(self, value: str, max_age: int, request: HttpRequest) -> str:
        parts = [
            f"{self.cookie_name}={value}",
            f"Path={self.path}",
            f"Max-Age={max_age}",
            "HttpOnly",
            "SameSite=Lax",
        ]
        if self.is_secure(request):
            parts.append("Secure")
        return "; ".join(parts)
