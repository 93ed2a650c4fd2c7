"""The admin session: a signed, HttpOnly, SameSite=Lax cookie.

It holds a random nonce (the CSRF token is derived from it) and, once logged in, the
username. Anonymous visitors get a session too, so the login form itself is protected
against CSRF; logging in rotates the nonce, so a planted session is worth nothing.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

from nitro.actions import ActionRequest
from nitro.admin.signing import BadSignature, Signer

__all__ = ["Session", "SessionStore"]

_LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "[::1]")


@dataclass
class Session:
    nonce: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    username: str | None = None
    #: Whether the response must (re)send the cookie.
    changed: bool = True

    def login(self, username: str) -> None:
        self.nonce = secrets.token_urlsafe(24)
        self.username = username
        self.changed = True


class SessionStore:
    """Reads and writes :class:`Session` cookies for one admin site."""

    def __init__(
        self,
        secret_key: str,
        *,
        cookie_name: str,
        path: str,
        max_age: int,
        secure: bool | None,
    ) -> None:
        self._signer = Signer(secret_key, "session")
        self.cookie_name = cookie_name
        self.path = path or "/"
        self.max_age = max_age
        self.secure = secure

    def load(self, request: ActionRequest) -> Session:
        raw = request.cookies.get(self.cookie_name)
        if raw:
            try:
                value = self._signer.unsign(raw)
                nonce, username = value["n"], value["u"]
                if isinstance(nonce, str) and (username is None or isinstance(username, str)):
                    return Session(nonce, username, changed=False)
            except (BadSignature, KeyError, TypeError):
                pass
        return Session()

    def is_secure(self, request: ActionRequest) -> bool:
        """``Secure`` cookies unless told otherwise or served plainly on a loopback host.

        Browsers refuse ``Secure`` cookies over http except on localhost, so the
        automatic choice keeps local development working and production safe.
        """
        if self.secure is not None:
            return self.secure
        if request.headers.get("x-forwarded-proto", "").lower() == "https":
            return True
        host = request.headers.get("host", "").rsplit(":", 1)[0].lower()
        if request.headers.get("host", "").startswith("[::1]"):
            host = "[::1]"
        return host not in _LOOPBACK_HOSTS

    def set_cookie(self, session: Session, request: ActionRequest) -> str:
        value = self._signer.sign({"n": session.nonce, "u": session.username}, self.max_age)
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
