"""The refusals of :mod:`nitro.auth`, with the HTTP status each answers.

They live here, below the actions layer, so that identity and rules need nothing from
HTTP. The dispatcher answers them like any action error (``status``, ``detail``,
``to_json()``), and ``nitro.actions`` re-exports them.
"""

from __future__ import annotations

from typing import Any

__all__ = ["AuthError", "NotAuthenticated", "PermissionDenied", "TooManyAttempts"]


class AuthError(Exception):
    """A caller was refused; ``status`` and ``detail`` go to the client."""

    status: int = 403
    detail: str = "Permission denied"

    def __init__(self, detail: str | None = None, *, challenge: str | None = None):
        self.detail = detail or type(self).detail
        self.errors: list[dict[str, Any]] = []
        #: The ``WWW-Authenticate`` header value of a 401, when the app takes tokens.
        self.challenge = challenge
        super().__init__(self.detail)

    def to_json(self) -> dict[str, Any]:
        return {"error": self.detail}


class NotAuthenticated(AuthError):
    """The action needs a logged-in caller and there is none, or its credentials are
    invalid (an expired or forged token): 401."""

    status = 401
    detail = "Authentication required"


class PermissionDenied(AuthError):
    """The caller is known but may not do this: 403. The detail never says which rule
    refused (that would tell an attacker what to change)."""

    status = 403
    detail = "Permission denied"


class TooManyAttempts(AuthError):
    """Too many failed log-ins for this username or client address: 429, with the
    seconds to wait (``Retry-After``). Raised before the password is checked, so a
    flood of guesses costs no hashing."""

    status = 429
    detail = "Too many failed log-in attempts"

    def __init__(self, retry_after: int) -> None:
        unit = "second" if retry_after == 1 else "seconds"
        super().__init__(f"{type(self).detail}. Try again in {retry_after} {unit}.")
        #: Whole seconds before the next attempt is considered.
        self.retry_after = retry_after
