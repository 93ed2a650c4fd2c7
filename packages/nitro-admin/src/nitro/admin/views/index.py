"""The index: one tile per entity the user may view, and one for the jobs dashboard."""

from __future__ import annotations

from nitro.actions import ActionResponse
from nitro.admin.requests import AdminRequest
from nitro.admin.templates.layout import layout, page_head
from nitro.web import html
from rusty_tags import H3, A, Div, P

__all__ = ["index_view"]


def index_view(request: AdminRequest) -> ActionResponse:
    """The admin's index: a tile per entity the user may see, with its browse and add links."""
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
    jobs_admin = request.site.jobs_admin
    if jobs_admin is not None and jobs_admin.has_view_permission(request):
        links = [
            A("Dashboard", href=request.url(jobs_admin.slug)),
            A("Dead letters", href=request.url(jobs_admin.slug, state="dead")),
        ]
        tiles.append(
            Div(
                H3(A(jobs_admin.label, href=request.url(jobs_admin.slug))),
                P(*links),
                cls="card tile",
                id="jobs-tile",
            )
        )
    body = Div(*tiles, cls="tiles") if tiles else P("Nothing to administer yet.", cls="empty")
    return html(layout(request, "Administration", page_head("Administration"), body))
