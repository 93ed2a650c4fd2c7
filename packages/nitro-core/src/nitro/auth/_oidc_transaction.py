"""The login in progress between "start" and "callback": a short-lived signed cookie.

It carries the ``state``, the ``nonce``, the PKCE ``code_verifier`` and where to go
afterwards, signed with HMAC-SHA256 (a forged or altered cookie is refused) and dated
(an old one is refused). ``HttpOnly`` (scripts never see the verifier),
``SameSite=Lax`` (it comes back on the provider's top-level redirect to the callback,
not on cross-site subrequests), ``Path`` the callback's, ``Secure`` on HTTPS.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from dataclasses import dataclass

__all__ = ["Transaction", "TransactionCookie"]


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class Transaction:
    state: str
    nonce: str
    code_verifier: str
    return_to: str
    expires: float


class TransactionCookie:
    """Signs and reads :class:`Transaction` cookies named *name*."""

    def __init__(
        self, key: bytes, *, name: str, path: str, secure: bool, max_age: int = 600
    ) -> None:
        # A key of its own, derived: the app's secret is never used as-is.
        self._key = hmac.new(key, b"nitro.auth.oidc:transaction", hashlib.sha256).digest()
        self.name = name
        self.path = path
        self.secure = secure
        self.max_age = max_age

    def _mac(self, payload: str) -> str:
        return _b64(hmac.new(self._key, payload.encode(), hashlib.sha256).digest())

    def dump(self, transaction: Transaction) -> str:
        """The ``Set-Cookie`` header value carrying *transaction*."""
        body = [
            transaction.state,
            transaction.nonce,
            transaction.code_verifier,
            transaction.return_to,
            int(transaction.expires),
        ]
        payload = _b64(json.dumps(body, separators=(",", ":")).encode())
        return self._header(f"{payload}.{self._mac(payload)}", self.max_age)

    def clear(self) -> str:
        """The ``Set-Cookie`` header value that deletes the cookie."""
        return self._header("", 0)

    def _header(self, value: str, max_age: int) -> str:
        parts = [f"{self.name}={value}", f"Path={self.path}", f"Max-Age={max_age}"]
        parts += ["HttpOnly", "SameSite=Lax"]
        if self.secure:
            parts.append("Secure")
        return "; ".join(parts)

    def load(self, value: str | None, now: float | None = None) -> Transaction | None:
        """The transaction of a cookie value; ``None`` when missing, forged or expired."""
        if not value or value.count(".") != 1:
            return None
        payload, mac = value.split(".")
        if not hmac.compare_digest(mac.encode(), self._mac(payload).encode()):
            return None
        try:
            state, nonce, verifier, return_to, expires = json.loads(_unb64(payload))
        except (ValueError, TypeError):
            return None
        if (now if now is not None else time.time()) >= expires:
            return None
        return Transaction(str(state), str(nonce), str(verifier), str(return_to), float(expires))
