"""Password hashing: moved to :mod:`nitro.auth.passwords` (the app and its admin share
users); the names stay importable from here."""

from nitro.auth.passwords import hash_password as hash_password
from nitro.auth.passwords import verify_password as verify_password

__all__ = ["hash_password", "verify_password"]
