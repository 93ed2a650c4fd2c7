"""Error pages (400, 403, 404) in the admin's layout, without internal details."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from nitro.actions import ActionError, ActionResponse
from nitro.admin.requests import AdminRequest
from nitro.admin.templates.layout import layout, page_head
from nitro.web import html
from rusty_tags import A, Div, P

__all__ = ["bad_request", "datastar_signals", "error_page", "forbidden", "not_found"]


def error_page(request: AdminRequest, status: int, title: str, message: str) -> ActionResponse:
    """An admin page for an error *status*, in the admin's layout, with a link back to the index."""
    content = Div(
        page_head(title),
        Div(P(message), P(A("Back to the admin", href=request.url(""))), cls="card confirm"),
    )
    return html(layout(request, title, content, bare=request.user is None), status)


def forbidden(request: AdminRequest) -> ActionResponse:
    """The 403 page: the user is logged in but lacks the permission."""
    return error_page(request, 403, "Permission denied", "You do not have permission to do this.")


def not_found(request: AdminRequest, what: str) -> ActionResponse:
    """The 404 page for *what* (an entity or a job that does not exist or that the user may not
    see)."""
    return error_page(request, 404, "Not found", f"{what} does not exist (or was deleted).")


def bad_request(request: AdminRequest, message: str) -> ActionResponse:
    """The 400 page with *message*, for input that no form of the admin sends."""
    return error_page(request, 400, "Bad request", message)


def datastar_signals(request: AdminRequest) -> Mapping[str, Any] | ActionResponse:
    """The Datastar signals of a live request, or a 400 page when they are not a JSON
    object (``?datastar={``: no browser sends it, so there is nothing to show in place)."""
    try:
        return request.raw.data
    except ActionError as error:  # InvalidParameters: malformed JSON, not an object...
        return bad_request(request, f"Bad request: {error.detail}.")
