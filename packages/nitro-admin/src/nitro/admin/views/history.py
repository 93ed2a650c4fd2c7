"""One entity's history: every recorded change, as Django's "History" page shows it.

The entries come from :mod:`nitro.audit` (``audit.enable(...)``); without it the page
says so. Values are shown as the log stored them: secrets only as ``***``.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from nitro import audit
from nitro.actions import ActionResponse
from nitro.admin.options import EntityAdmin
from nitro.admin.requests import AdminRequest
from nitro.admin.templates.layout import layout, page_head
from nitro.admin.views.errors import forbidden
from nitro.web import html
from rusty_tags import Code, Div, Li, P, Table, Tbody, Td, Th, Thead, Tr, Ul

__all__ = ["history_view"]


def _value(value: Any) -> str:
    return "—" if value is None else json.dumps(value, ensure_ascii=False, default=str)


def history_view(request: AdminRequest, entity_admin: EntityAdmin, id: str) -> ActionResponse:
    """The History page of one entity: its audit log entries (nitro.audit), newest first."""
    if not entity_admin.has_view_permission(request):
        return forbidden(request)
    slug = entity_admin.slug_value
    entries = list(reversed(audit.history((entity_admin.entity_cls, id))))
    rows = [
        Tr(
            Td(dt.datetime.fromtimestamp(entry.at, dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")),
            Td(entry.actor_name or "anonymous"),
            Td(entry.action),
            Td(entry.via),
            Td(
                Ul(
                    *[
                        Li(Code(name), ": ", _value(old), " → ", _value(new))
                        for name, (old, new) in entry.changes.items()
                    ]
                )
            ),
            cls="history-entry",
        )
        for entry in entries
    ]
    if rows:
        head = Tr(*[Th(t) for t in ("When", "Who", "Action", "Through", "Changes")])
        body: Any = Div(Table(Thead(head), Tbody(*rows)), cls="table-wrap")
    else:
        body = P(
            "No recorded changes. Changes are recorded once the app calls "
            "nitro.audit.enable() for this class.",
            cls="empty",
        )
    crumbs = (
        (entity_admin.label_plural_value, request.url(slug)),
        (id, request.url(slug, id, "edit")),
    )
    content = Div(page_head(f"History of {entity_admin.label_value} {id}", crumbs=crumbs), body)
    return html(layout(request, f"History of {id}", content, active=slug))
