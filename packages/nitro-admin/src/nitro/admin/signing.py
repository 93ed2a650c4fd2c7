"""Signed cookie values: moved to :mod:`nitro.auth.signing`; importable from here."""

from nitro.auth.signing import BadSignature as BadSignature
from nitro.auth.signing import Signer as Signer

__all__ = ["BadSignature", "Signer"]
