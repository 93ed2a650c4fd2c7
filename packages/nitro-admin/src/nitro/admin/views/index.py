"""The index: one tile per entity the user may view."""

from __future__ import annotations

from nitro.actions import ActionResponse
from nitro.admin.requests import AdminRequest
from nitro.admin.templates.layout import layout, page_head
from nitro.web import html
from rusty_tags import H3, A, Div, P

__all__ = ["index_view"]


def index_view(request: AdminRequest) -> ActionResponse:
    tiles = []
    for entity_admin in request.site.visible_admins(request):
        slug = entity_admin.slug_value
        links = [A("Browse", href=request.url(slug))]
        if entity_admin.has_add_permission(request):
            links.append(A("Add", href=request.url(slug, "new")))
        tiles.append(
            Div(
                H3(A(entity_admin.label_plural_value, href=request.url(slug))),
                P(*links),
                cls="card tile",
            )
        )
    body = Div(*tiles, cls="tiles") if tiles else P("Nothing to administer yet.", cls="empty")
    return html(layout(request, "Administration", page_head("Administration"), body))
