"""Trusted reverse proxies: moved to :mod:`nitro.auth.proxies`; importable from here."""

from nitro.auth.proxies import TRUSTED_PROXIES_ENV as TRUSTED_PROXIES_ENV
from nitro.auth.proxies import TrustedProxies as TrustedProxies

__all__ = ["TRUSTED_PROXIES_ENV", "TrustedProxies"]
