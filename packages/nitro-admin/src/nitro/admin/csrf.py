"""The admin's CSRF protection: :mod:`nitro.auth.csrf`'s tokens and origin check, plus
the allowed-hosts check.

The ``Host`` of a state-changing request must be one of the allowed hosts
(nitro-core's :class:`~nitro.actions.AllowedHosts`: ``Admin(allowed_hosts=...)``,
else ``NITRO_ALLOWED_HOSTS``, else loopback names): under DNS rebinding, ``Origin`` and
``Host`` are both the attacker's and agree with each other. The check lives here, not
in :mod:`nitro.auth`, because allowed hosts belong to the HTTP layer above it.
"""

from __future__ import annotations

from collections.abc import Iterable

from nitro.actions import ActionRequest, AllowedHosts, DisallowedHost
from nitro.auth import csrf as _core
from nitro.auth.csrf import FIELD_NAME as FIELD_NAME
from nitro.auth.csrf import HEADER_NAME as HEADER_NAME

__all__ = ["FIELD_NAME", "HEADER_NAME", "CsrfProtection"]


class CsrfProtection(_core.CsrfProtection):
    """nitro.auth's CSRF tokens, plus the admin's host check: a request for a host outside
    *allowed_hosts* is refused before its token is looked at."""

    def __init__(
        self,
        secret_key: str,
        trusted_origins: Iterable[str] = (),
        allowed_hosts: AllowedHosts | Iterable[str] | None = None,
    ) -> None:
        super().__init__(secret_key, trusted_origins)
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
