"""Who is asking, and over which scheme, when a reverse proxy may stand in between.

``X-Forwarded-For`` and ``X-Forwarded-Proto`` are only believed when the connection
comes from a configured trusted proxy (``SessionAuth(trusted_proxies=[...])``,
``Admin(trusted_proxies=[...])`` or the ``NITRO_TRUSTED_PROXIES`` environment
variable: addresses or networks, comma separated); anyone else could send them. The
client address is then the right-most ``X-Forwarded-For`` entry that is not itself a
trusted proxy. Login cookies need this to know when to be ``Secure``, and login
throttling to know whom to count.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Iterable

from nitro.auth.types import HttpRequest

__all__ = ["TRUSTED_PROXIES_ENV", "TrustedProxies"]

#: The environment variable listing the proxies (addresses or networks) whose forwarding headers
#: are believed.
TRUSTED_PROXIES_ENV = "NITRO_TRUSTED_PROXIES"

_Network = ipaddress.IPv4Network | ipaddress.IPv6Network
_FORWARDING_HEADERS = ("forwarded", "x-forwarded-for", "x-forwarded-proto", "x-forwarded-host")


def _address(text: str | None) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    if not text:
        return None
    text = text.strip()
    if text.startswith("[") and "]" in text:  # "[::1]:8000"
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:  # "10.0.0.1:8000"
        text = text.split(":", 1)[0]
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


class TrustedProxies:
    """The proxies whose forwarding headers are believed.

    :param proxies: IP addresses or networks (``"10.0.0.0/8"``, ``"127.0.0.1"``).
    """

    def __init__(self, proxies: Iterable[str] = ()) -> None:
        self.networks: tuple[_Network, ...] = tuple(
            ipaddress.ip_network(proxy.strip(), strict=False) for proxy in proxies if proxy.strip()
        )

    @classmethod
    def from_env(cls) -> TrustedProxies:
        return cls(os.environ.get(TRUSTED_PROXIES_ENV, "").split(","))

    def __bool__(self) -> bool:
        return bool(self.networks)

    def is_trusted(self, address: str | None) -> bool:
        ip = _address(address)
        return ip is not None and any(ip in network for network in self.networks)

    def forwarded(self, request: HttpRequest) -> bool:
        """Whether the connection comes from a trusted proxy."""
        return self.is_trusted(request.client)

    def client_address(self, request: HttpRequest) -> str | None:
        """The client's address, through trusted proxies only."""
        if not self.forwarded(request):
            return request.client
        chain = [hop.strip() for hop in request.headers.get("x-forwarded-for", "").split(",")]
        for hop in reversed([hop for hop in chain if hop]):
            if not self.is_trusted(hop):
                ip = _address(hop)
                return str(ip) if ip is not None else hop[:64]
        return request.client

    def scheme(self, request: HttpRequest) -> str:
        """``https`` or ``http``: the proxy's ``X-Forwarded-Proto`` when trusted."""
        return self._forwarded_proto(request) or request.scheme

    def _forwarded_proto(self, request: HttpRequest) -> str | None:
        if self.forwarded(request):
            proto = request.headers.get("x-forwarded-proto", "").split(",")[0].strip().lower()
            if proto in ("http", "https"):
                return proto
        return None

    def is_secure(self, request: HttpRequest) -> bool:
        """Whether cookies must be ``Secure``.

        A trusted proxy's ``X-Forwarded-Proto`` decides. Otherwise: yes over https,
        and over plain http too unless the connection is *direct* from this machine
        (loopback client, loopback ``Host``, no forwarding headers: local
        development), since anything else may be a TLS proxy talking http to the app.
        """
        proto = self._forwarded_proto(request)
        if proto is not None:
            return proto == "https"
        if request.scheme == "https":
            return True
        client = _address(request.client)
        if client is None or not client.is_loopback:
            return True
        if any(header in request.headers for header in _FORWARDING_HEADERS):
            return True
        host = request.headers.get("host", "")
        host_ip = _address(host)
        if host_ip is not None:
            return not host_ip.is_loopback
        return host.rsplit(":", 1)[0].lower() != "localhost"
