"""The session cookie: moved to :mod:`nitro.auth.cookies` (one login for the app and
its admin); importable from here."""

from nitro.auth.cookies import Session as Session
from nitro.auth.cookies import SessionCookie as SessionCookie

__all__ = ["Session", "SessionCookie"]
