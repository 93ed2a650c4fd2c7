"""Delete one entity, after a confirmation page."""

from __future__ import annotations

from nitro.actions import ActionResponse
from nitro.admin.options import EntityAdmin
from nitro.admin.requests import AdminRequest
from nitro.admin.templates.layout import csrf_input, layout, page_head
from nitro.admin.views.errors import forbidden, not_found
from nitro.admin.views.form import get_visible
from nitro.web import html, redirect
from rusty_tags import A, Button, Div, Form, P, Strong

__all__ = ["delete_view"]


def delete_view(request: AdminRequest, entity_admin: EntityAdmin, id: str) -> ActionResponse:
    """Confirm, then delete one entity the user may see and delete; 403 or 404 otherwise."""
    if not entity_admin.has_delete_permission(request):
        return forbidden(request)
    entity = get_visible(request, entity_admin, id)
    if entity is None:
        return not_found(request, f"{entity_admin.label_value} {id!r}")
    slug = entity_admin.slug_value
    name = entity_admin.entity_title(entity)
    if request.method == "POST":
        entity.delete()
        request.flash(f"The {entity_admin.label_value.lower()} “{name}” was deleted.")
        return redirect(request.url(slug))
    body = Div(
        P(
            "Are you sure you want to delete the ",
            entity_admin.label_value.lower(),
            " ",
            Strong(name),
            "? This cannot be undone.",
        ),
        Form(
            csrf_input(request),
            Div(
                Button("Yes, delete", type="submit", cls="btn btn-danger", id="confirm-delete"),
                A("No, go back", href=request.url(slug, entity.id, "edit"), cls="btn"),
                cls="form-actions",
            ),
            method="post",
            action=request.url(slug, entity.id, "delete"),
        ),
        cls="card confirm",
    )
    crumbs = ((entity_admin.label_plural_value, request.url(slug)),)
    content = Div(page_head(f"Delete {name}?", crumbs=crumbs), body)
    return html(layout(request, f"Delete {name}", content, active=slug))
