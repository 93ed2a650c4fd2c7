"""Password hashing with scrypt (a memory-hard KDF from the standard library).

Hashes are self-describing strings, ``scrypt$n$r$p$salt$hash`` (base64 parts), so the
cost parameters can be raised later while old hashes still verify. Used by
:class:`~nitro.auth.users.PasswordAuth`, which the app's logins and the admin share.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from functools import cache

__all__ = ["dummy_hash", "hash_password", "verify_password"]

_N, _R, _P = 2**14, 8, 1  # ~16 MiB and ~30-60 ms per hash on a current CPU
_DKLEN = 32
_MAXMEM = 64 * 1024 * 1024


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(
        password.encode("utf-8"), salt=salt, n=n, r=r, p=p, maxmem=_MAXMEM, dklen=_DKLEN
    )


def hash_password(password: str) -> str:
    """Hash *password* for storage: ``PasswordUser("ann", hash_password("s3cret"))``."""
    if not isinstance(password, str) or not password:
        raise ValueError("hash_password() needs a non-empty str")
    salt = secrets.token_bytes(16)
    digest = _scrypt(password, salt, _N, _R, _P)
    b64 = base64.b64encode
    return f"scrypt${_N}${_R}${_P}${b64(salt).decode()}${b64(digest).decode()}"


def verify_password(password: str, encoded: str) -> bool:
    """Whether *password* matches *encoded* (a :func:`hash_password` result).

    Compares in constant time; a malformed hash is a mismatch, not an error.
    """
    try:
        algorithm, n, r, p, salt, digest = encoded.split("$")
        if algorithm != "scrypt":
            return False
        expected = base64.b64decode(digest)
        actual = _scrypt(password, base64.b64decode(salt), int(n), int(r), int(p))
    except (ValueError, TypeError, AttributeError):
        return False
    return hmac.compare_digest(actual, expected)


@cache
def dummy_hash() -> str:
    """A hash to verify against when the user does not exist, so a login takes as long
    for an unknown user as for a wrong password (no user enumeration through timing).

    Made on first use, not at import: ``import nitro`` should not cost a scrypt run.
    """
    return hash_password(secrets.token_urlsafe(16))
