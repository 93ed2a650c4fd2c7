"""CSRF protection: a per-session token on every form and state-changing request.

The token is an HMAC of the session nonce, so it needs no storage and changes at
login. A state-changing request must carry it (form field ``csrf_token`` or header
``X-CSRF-Token``), and, when the browser says where it comes from (``Origin``), that
origin must be this host: SameSite=Lax cookies are the second line, not the only one.

Before all that, the ``Host`` of a state-changing request must be one of the allowed
hosts (nitro-core's :class:`~nitro.actions.AllowedHosts`: ``Admin(allowed_hosts=...)``,
else ``NITRO_ALLOWED_HOSTS``, else loopback names): under DNS rebinding, ``Origin`` and
``Host`` are both the attacker's and agree with each other.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Mapping
from urllib.parse import urlsplit

from nitro.actions import ActionRequest, AllowedHosts, DisallowedHost

__all__ = ["FIELD_NAME", "HEADER_NAME", "CsrfProtection"]

FIELD_NAME = "csrf_token"
HEADER_NAME = "x-csrf-token"


class CsrfProtection:
    def __init__(
        self,
        secret_key: str,
        trusted_origins: Iterable[str] = (),
        allowed_hosts: AllowedHosts | Iterable[str] | None = None,
    ) -> None:
        self._key = hmac.new(secret_key.encode(), b"nitro.admin:csrf", hashlib.sha256).digest()
        self._trusted = {origin.rstrip("/").lower() for origin in trusted_origins}
        if not isinstance(allowed_hosts, AllowedHosts):
            allowed_hosts = AllowedHosts.from_settings(allowed_hosts)
        self.allowed_hosts = allowed_hosts

    def host_allowed(self, request: ActionRequest) -> bool:
        """``False`` for a state-changing request to a host that is not allowed.

        :raises AllowedHostsRequired: no allowed hosts are set and the admin is served
            on a non-loopback address (logged once, with the setting to use).
        """
        try:
            self.allowed_hosts.check(request)
        except DisallowedHost:
            return False
        return True

    def token(self, nonce: str) -> str:
        return hmac.new(self._key, nonce.encode(), hashlib.sha256).hexdigest()

    def is_valid(self, request: ActionRequest, nonce: str, form: Mapping[str, list[str]]) -> bool:
        if not _same_origin(request, self._trusted):
            return False
        sent = request.headers.get(HEADER_NAME) or (form.get(FIELD_NAME) or [""])[-1]
        return bool(sent) and hmac.compare_digest(sent.encode(), self.token(nonce).encode())


def _same_origin(request: ActionRequest, trusted: set[str]) -> bool:
    origin = request.headers.get("origin")
    if not origin or origin == "null":
        # No Origin (old browsers, some same-origin navigations): rely on the token.
        return origin is None
    if origin.rstrip("/").lower() in trusted:
        return True
    return urlsplit(origin).netloc.lower() == request.headers.get("host", "").lower()
