"""The admin session cookie: signed, HttpOnly, SameSite=Lax, ``Secure`` when it must be.

It holds a random nonce (the CSRF token is derived from it) and, once logged in, the
id of a server-side :class:`~nitro.sessions.SessionRecord`; who is logged in is only
known from that record, so logging out (which deletes it) ends the session for every
copy of the cookie. Anonymous visitors get a cookie too, so the login form itself is
protected against CSRF; logging in rotates the nonce, so a planted session is worth
nothing.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

from nitro.actions import ActionRequest
from nitro.admin.proxies import TrustedProxies
from nitro.admin.signing import BadSignature, Signer

__all__ = ["Session", "SessionCookie"]


def _nonce() -> str:
    return secrets.token_urlsafe(24)


@dataclass
class Session:
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
    """Reads and writes :class:`Session` cookies for one admin site.

    :param secure: ``True``/``False`` forces the ``Secure`` flag; ``None`` decides per
        request (see :meth:`TrustedProxies.is_secure
        <nitro.admin.proxies.TrustedProxies.is_secure>`).
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

    def load(self, request: ActionRequest) -> Session:
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

    def is_secure(self, request: ActionRequest) -> bool:
        """Whether cookies sent in answer to *request* carry ``Secure``."""
        if self.secure is not None:
            return self.secure
        return self.proxies.is_secure(request)

    def set_cookie(self, session: Session, request: ActionRequest) -> str:
        value = self._signer.sign({"n": session.nonce, "s": session.session_id}, self.max_age)
        return self._cookie(value, self.max_age, request)

    def clear_cookie(self, request: ActionRequest) -> str:
        return self._cookie("", 0, request)

    def _cookie(self, value: str, max_age: int, request: ActionRequest) -> str:
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
