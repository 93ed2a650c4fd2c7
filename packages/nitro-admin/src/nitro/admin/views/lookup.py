"""The relation picker's search: matches of the related entity, as a Datastar patch."""

from __future__ import annotations

import re

from nitro.actions import ActionResponse
from nitro.actions.sse import SSE_HEADERS, patch_elements
from nitro.admin.options import EntityAdmin
from nitro.admin.relations import lookup_results
from nitro.admin.requests import AdminRequest
from nitro.admin.views.errors import datastar_signals, forbidden
from nitro.web import html

__all__ = ["lookup_view"]

_FIELD = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")


def lookup_view(request: AdminRequest, entity_admin: EntityAdmin) -> ActionResponse:
    """The relation picker's search: the matching related entities for a Datastar request, as a
    patch of the picker's list."""
    if not entity_admin.has_view_permission(request):
        return forbidden(request)
    field = request.query.get("field", "")
    if not _FIELD.fullmatch(field) or not request.raw.is_datastar:
        return html("Bad request", 400)
    data = datastar_signals(request)
    if isinstance(data, ActionResponse):
        return data
    signals = data.get(f"pk_{field}")
    q = signals.get("q", "") if isinstance(signals, dict) else ""
    q = q[:200] if isinstance(q, str) else ""
    event = patch_elements(str(lookup_results(request, entity_admin, field, q)))
    return ActionResponse(200, dict(SSE_HEADERS), body=event.encode())
