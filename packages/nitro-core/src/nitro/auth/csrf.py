"""CSRF protection for cookie logins: a per-session token on every form and
state-changing request.

A login cookie is sent by the browser on every request to the site, also on a form
posted from another site; the token proves the page came from here. It is an HMAC of
the session nonce (:class:`nitro.auth.cookies.Session`), so it needs no storage and
changes at login. A state-changing request must carry it (form field ``csrf_token`` or
header ``X-CSRF-Token``), and, when the browser says where it comes from (``Origin``),
that origin must be this host: SameSite=Lax cookies are the second line, not the only
one. (The admin adds an allowed-hosts check on top: ``nitro.admin.csrf``.)
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Collection, Iterable, Mapping, Sequence
from urllib.parse import urlsplit

from nitro.auth.types import HttpRequest

__all__ = ["FIELD_NAME", "HEADER_NAME", "CsrfProtection", "same_origin"]

#: The form field that carries the CSRF token.
FIELD_NAME = "csrf_token"
#: The request header that carries the CSRF token (for requests sent by scripts).
HEADER_NAME = "x-csrf-token"


class CsrfProtection:
    """Makes and checks CSRF tokens.

    :param trusted_origins: other origins allowed to post (behind a proxy that
        rewrites ``Host``).
    """

    def __init__(self, secret_key: str, trusted_origins: Iterable[str] = ()) -> None:
        self._key = hmac.new(secret_key.encode(), b"nitro.auth:csrf", hashlib.sha256).digest()
        self._trusted = {origin.rstrip("/").lower() for origin in trusted_origins}

    def token(self, nonce: str) -> str:
        """The token of the session with *nonce*, for a form field or header."""
        return hmac.new(self._key, nonce.encode(), hashlib.sha256).hexdigest()

    def is_valid(self, request: HttpRequest, nonce: str, form: Mapping[str, Sequence[str]]) -> bool:
        """Whether *request* comes from this site and carries the token of *nonce*
        (in the ``X-CSRF-Token`` header or the form's last ``csrf_token`` value)."""
        if not same_origin(request, self._trusted):
            return False
        sent = request.headers.get(HEADER_NAME) or (form.get(FIELD_NAME) or [""])[-1]
        return bool(sent) and hmac.compare_digest(sent.encode(), self.token(nonce).encode())


def same_origin(request: HttpRequest, trusted: Collection[str] = ()) -> bool:
    """``False`` when the browser says the request comes from another origin."""
    origin = request.headers.get("origin")
    if not origin or origin == "null":
        # No Origin (old browsers, some same-origin navigations): rely on the token.
        return origin is None
    if origin.rstrip("/").lower() in trusted:
        return True
    return urlsplit(origin).netloc.lower() == request.headers.get("host", "").lower()
