"""Tamper-proof, expiring values for cookies: ``payload.signature`` with HMAC-SHA256.

Session cookies (:mod:`nitro.auth.cookies`) and the admin's flash messages are signed
so that the browser can carry them but not change them. The payload is JSON (not
pickle: a leaked key must not become code execution) and carries its own expiry,
checked after the signature.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any

__all__ = ["BadSignature", "Signer"]


class BadSignature(Exception):
    """The value was not signed with this key, was altered, or has expired."""


def _b64encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Signer:
    """Signs JSON-able values for one *purpose* (a salt: a session value is not a flash)."""

    def __init__(self, secret_key: str | bytes, purpose: str) -> None:
        key = secret_key.encode() if isinstance(secret_key, str) else secret_key
        # Derive one key per purpose so a value signed for one use fails for another.
        self._key = hmac.new(key, b"nitro.auth:" + purpose.encode(), hashlib.sha256).digest()

    def _signature(self, payload: str) -> str:
        return _b64encode(hmac.new(self._key, payload.encode("ascii"), hashlib.sha256).digest())

    def sign(self, value: Any, max_age: float) -> str:
        body = json.dumps({"v": value, "e": int(time.time() + max_age)}, separators=(",", ":"))
        payload = _b64encode(body.encode())
        return f"{payload}.{self._signature(payload)}"

    def unsign(self, token: str) -> Any:
        payload, _, signature = token.partition(".")
        if not payload or not signature:
            raise BadSignature("malformed value")
        try:
            expected = self._signature(payload)
        except UnicodeEncodeError:
            raise BadSignature("malformed value") from None
        if not hmac.compare_digest(expected, signature):
            raise BadSignature("bad signature")
        try:
            data = json.loads(_b64decode(payload))
            expires = data["e"]
            value = data["v"]
        except (ValueError, KeyError, TypeError):
            raise BadSignature("malformed payload") from None
        if not isinstance(expires, int) or expires < time.time():
            raise BadSignature("expired")
        return value
