"""Allowed hosts: refuse state-changing requests sent to a host name the app does not own.

DNS rebinding lets a page on ``attacker.example`` re-point its own name at this server;
the browser then sends requests whose ``Host`` *and* ``Origin`` are the attacker's, so
an origin check alone lets them through. Checking ``Host`` against the names the app is
really served under closes that hole (Django's ``ALLOWED_HOSTS``).

Patterns, matched case-insensitively and ignoring ports:

- ``"example.com"`` -- exactly that name (an IPv6 address is written ``"[::1]"``);
- ``".example.com"`` -- ``example.com`` and every subdomain of it;
- ``"*"`` -- any host (say so explicitly, e.g. behind a proxy that checks ``Host``).

Settings, first found wins, read when the app is configured (never at import): the
``allowed_hosts=`` argument, then ``NITRO_ALLOWED_HOSTS`` (comma-separated), then the
development default :data:`LOOPBACK_HOSTS`. With that default, a request that reaches a
server bound to a non-loopback address means the app was deployed without the setting:
state-changing requests are then answered 500 (:class:`AllowedHostsRequired`) and one
error naming the setting is logged, instead of quietly trusting every ``Host``.
"""

from __future__ import annotations

import functools
import ipaddress
import logging
import os
import re
from collections.abc import Iterable, Mapping
from typing import Protocol

from nitro.actions.errors import AllowedHostsRequired, DisallowedHost

__all__ = [
    "ALLOWED_HOSTS_ENV",
    "LOOPBACK_HOSTS",
    "AllowedHosts",
    "is_loopback_address",
    "split_host",
]

#: The environment variable listing the allowed ``Host`` values (comma-separated) when
#: ``configure_app(allowed_hosts=)`` is not given.
ALLOWED_HOSTS_ENV = "NITRO_ALLOWED_HOSTS"

#: The default when nothing is configured: this machine's own names, plus
#: ``testserver``, the host of Starlette's ``TestClient`` (Django's test runner allows
#: it too; a single-label name cannot be registered in public DNS).
LOOPBACK_HOSTS: tuple[str, ...] = ("localhost", ".localhost", "127.0.0.1", "[::1]", "testserver")

logger = logging.getLogger("nitro.security")

# Django's host validation: a name or an IPv4 address, or a bracketed IPv6, then a port.
_HOST_RE = re.compile(r"^([a-z0-9.-]+|\[[a-f0-9]*:[a-f0-9.:]+\])(:[0-9]+)?$")

#: Distinct refused hosts logged per app; beyond that they are only counted.
_MAX_LOGGED = 1000


class _Request(Protocol):
    @property
    def headers(self) -> Mapping[str, str]: ...
    @property
    def is_safe(self) -> bool: ...
    @property
    def server(self) -> str | None: ...


def split_host(host: str) -> str | None:
    """The host name of a ``Host`` header, lower-case, without port or trailing dot;
    ``None`` when the header is not a valid host."""
    host = host.strip().lower()
    match = _HOST_RE.match(host)
    if match is None:
        return None
    name = match.group(1)
    return name[:-1] if name.endswith(".") else name


def _normalize_pattern(pattern: str) -> str:
    pattern = pattern.strip().lower()
    if pattern in ("*", ""):
        return pattern
    if pattern.startswith("["):
        return pattern.split("]", 1)[0] + "]"  # "[::1]:8000" -> "[::1]"
    if pattern.count(":") > 1:  # a bare IPv6 address
        return f"[{pattern}]"
    return pattern.split(":", 1)[0].rstrip(".")  # ports are ignored


#: How many allowed ``Host`` values an :class:`AllowedHosts` remembers.
_MAX_REMEMBERED = 256


@functools.lru_cache(maxsize=256)  # a server answers on few addresses: parse each once
def is_loopback_address(address: str) -> bool:
    """Whether a server address (ASGI ``scope["server"][0]``, WSGI ``SERVER_NAME``) is
    this machine only. A Unix socket path counts as loopback: only local processes (a
    reverse proxy) reach it."""
    address = address.strip().lower().strip("[]")
    if not address or address.startswith(("/", "unix:")):
        return True
    if address in ("localhost", "testserver") or address.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


class AllowedHosts:
    """The host names one app answers state-changing requests for.

    Build it with :meth:`from_settings` (what ``configure_app`` does) so the argument,
    ``NITRO_ALLOWED_HOSTS`` and the default are applied in that order.

    :param patterns: exact names, ``.domain`` wildcards or ``"*"``.
    :param configured: ``False`` for the loopback default, which is only valid while the
        app is served on loopback (see the module's docstring).
    """

    def __init__(self, patterns: Iterable[str], *, configured: bool = True) -> None:
        normalized = [_normalize_pattern(p) for p in patterns]
        self.patterns: tuple[str, ...] = tuple(dict.fromkeys(p for p in normalized if p))
        self.configured = configured
        self._any = "*" in self.patterns
        self._exact = frozenset(p for p in self.patterns if not p.startswith("."))
        self._suffixes = tuple(p for p in self.patterns if p.startswith("."))
        self._refused: set[str] = set()
        #: Host header values already found allowed (a server sees few: checked once).
        self._allowed: set[str] = set()
        self._unconfigured_reported = False

    @classmethod
    def from_settings(
        cls,
        allowed_hosts: Iterable[str] | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> AllowedHosts:
        """The argument if given (and not empty), else ``NITRO_ALLOWED_HOSTS``, else the
        loopback default."""
        if allowed_hosts is not None:
            if isinstance(allowed_hosts, str):
                raise TypeError(
                    f"allowed_hosts must be a list of host names, not the string "
                    f"{allowed_hosts!r}; write [{allowed_hosts!r}]"
                )
            patterns = [p for p in allowed_hosts if p.strip()]
            if patterns:
                return cls(patterns)
        raw = (os.environ if environ is None else environ).get(ALLOWED_HOSTS_ENV, "")
        patterns = [p for p in raw.split(",") if p.strip()]
        if patterns:
            return cls(patterns)
        return cls(LOOPBACK_HOSTS, configured=False)

    def __repr__(self) -> str:
        origin = "" if self.configured else " (loopback default)"
        return f"<AllowedHosts {list(self.patterns)}{origin}>"

    def allows(self, host: str) -> bool:
        """Whether a ``Host`` header value (port included or not) is allowed."""
        if host in self._allowed:
            return True
        if self._matches(host):
            if len(self._allowed) < _MAX_REMEMBERED:
                self._allowed.add(host)
            return True
        return False

    def _matches(self, host: str) -> bool:
        name = split_host(host)
        if name is None:
            return False
        if self._any or name in self._exact:
            return True
        return any(name.endswith(s) or name == s[1:] for s in self._suffixes)

    def check(self, request: _Request) -> None:
        """Refuse a state-changing request for a host this app does not serve.

        A request without ``Host`` is let through: every browser sends one, and DNS
        rebinding needs a browser.

        :raises DisallowedHost: (400) the ``Host`` matches no pattern.
        :raises AllowedHostsRequired: (500) nothing is configured and the request came in
            on a non-loopback server address.
        """
        server = request.server
        if not self.configured and server is not None and not is_loopback_address(server):
            self._report_unconfigured(server)
            if not request.is_safe:
                raise AllowedHostsRequired()
        if request.is_safe:
            return
        host = request.headers.get("host")
        if host is None or self.allows(host):
            return
        self._report_refused(host)
        raise DisallowedHost()

    def _report_refused(self, host: str) -> None:
        if host in self._refused or len(self._refused) >= _MAX_LOGGED:
            return
        self._refused.add(host)
        logger.warning(
            "Refused a state-changing request for Host %r: it is not in %s %s; if this app "
            "is served under that name, add it to %s (or pass allowed_hosts=[...])",
            host[:200],
            ALLOWED_HOSTS_ENV if self.configured else "the loopback default",
            list(self.patterns),
            ALLOWED_HOSTS_ENV,
        )

    def _report_unconfigured(self, server: str) -> None:
        if self._unconfigured_reported:
            return
        self._unconfigured_reported = True
        logger.error(
            "This app is served on %s, not on loopback, and no allowed hosts are set: "
            "state-changing requests are refused with 500 until you set %s=example.com "
            "(comma-separated names; '.example.com' for subdomains) or pass "
            "allowed_hosts=[...] to configure_app()/Admin()",
            server,
            ALLOWED_HOSTS_ENV,
        )
