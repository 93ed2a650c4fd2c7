"""Errors raised while dispatching an action, each with the HTTP status it maps to.

Adapters turn these into responses without knowing the cases: ``status`` is the code,
``detail`` is the safe, client-facing message (never an exception's text or a
traceback), and ``errors`` lists per-parameter problems for 422 answers.
"""

from __future__ import annotations

from typing import Any

from nitro.auth.errors import AuthError, NotAuthenticated, PermissionDenied

__all__ = [
    "ActionConfigurationError",
    "ActionError",
    "ActionFailed",
    "AllowedHostsRequired",
    "AuthError",
    "BadRequest",
    "Conflict",
    "CrossOriginRequest",
    "DisallowedHost",
    "EntityNotFound",
    "InvalidParameters",
    "NotAuthenticated",
    "PermissionDenied",
    "RequestTooLarge",
    "ServiceUnavailable",
]


class ActionConfigurationError(Exception):
    """An action or a set of routes is declared wrongly; raised at definition or configure time."""


class ActionError(Exception):
    """A request could not be served; ``status`` and ``detail`` go to the client."""

    status: int = 400
    detail: str = "Bad request"

    def __init__(self, detail: str | None = None, *, errors: list[dict[str, Any]] | None = None):
        self.detail = detail or type(self).detail
        self.errors = errors or []
        super().__init__(self.detail)

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"error": self.detail}
        if self.errors:
            body["errors"] = self.errors
        return body


class BadRequest(ActionError):
    """The request itself is unusable (JSON nested too deeply, ...): 400."""


class DisallowedHost(BadRequest):
    """A state-changing request whose ``Host`` is not an allowed host (DNS rebinding)."""

    detail = "Invalid Host header: add this host name to NITRO_ALLOWED_HOSTS (allowed_hosts=)"


class RequestTooLarge(ActionError):
    """The body is above the app's limit; raised before the body is read whole."""

    status = 413
    detail = "Request body too large"


class AllowedHostsRequired(ActionError):
    """The app is served on a non-loopback address and no allowed hosts are set."""

    status = 500
    detail = (
        "Server misconfigured: set NITRO_ALLOWED_HOSTS (or allowed_hosts=) to the host "
        "names this app is served under"
    )


class EntityNotFound(ActionError):
    """The action's entity id matches no entity (404)."""

    status = 404
    detail = "Not found"


class InvalidParameters(ActionError):
    """The action's arguments or signals failed validation (422)."""

    status = 422
    detail = "Invalid parameters"


class CrossOriginRequest(ActionError):
    """A state-changing request from another origin (403): the CSRF defence of the actions."""

    status = 403
    detail = "Cross-origin request refused"


class Conflict(ActionError):
    """A versioned entity was changed by someone else between the action's read and
    its save (:class:`~nitro.persistence.ConcurrencyError`); nothing was saved."""

    status = 409
    detail = "Changed by someone else since it was loaded; nothing was saved. Try again."


class ServiceUnavailable(ActionError):
    """Storage (a database, Redis) cannot be reached; retrying later may work."""

    status = 503
    detail = "Service temporarily unavailable"


class ActionFailed(ActionError):
    """The action raised; the original exception is logged, never sent."""

    status = 500
    detail = "Internal server error"
