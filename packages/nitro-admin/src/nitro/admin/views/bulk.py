"""Bulk actions on selected rows or on every row matching the search and filters.

Nothing happens on the first post: it shows what will be affected and asks for
confirmation; the confirming post (with ``confirm=yes``) runs the action. For "all
matching rows" the selection is computed again from the filters at that moment.

A user who may not run the action named in the post gets 403, confirmed or not; a
search or filter the list page would refuse (U+0000, an out-of-range number) refuses
the action too, rather than widening "all matching rows" to every row.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

from nitro.actions import ActionResponse
from nitro.admin.changelist import iter_matching, list_state
from nitro.admin.options import EntityAdmin
from nitro.admin.requests import AdminRequest
from nitro.admin.templates.layout import csrf_input, layout, page_head
from nitro.admin.views.errors import error_page, forbidden
from nitro.admin.views.form import get_visible
from nitro.web import html, redirect
from rusty_tags import A, Button, Div, Form, Input, Li, P, Strong, Ul

__all__ = ["action_view"]

MAX_LISTED = 20
MAX_SELECTED_IDS = 1000


def action_view(request: AdminRequest, entity_admin: EntityAdmin) -> ActionResponse:
    """Run a bulk action on the selected rows, after a confirmation page; the list is shown again
    with the outcome."""
    if not entity_admin.has_view_permission(request):
        return forbidden(request)
    slug = entity_admin.slug_value
    query = dict(parse_qsl(request.form_value("query")))
    back = request.url(slug, **query)
    actions = entity_admin.get_actions(request)
    name = request.form_value("action")
    if name not in actions:
        if not actions or name in _action_names(entity_admin):
            return forbidden(request)  # whatever else the form says
        request.flash("Choose an action to apply.", "error")
        return redirect(back)
    function, label = actions[name]
    across = request.form_value("select_across") == "1"
    if across:
        state = list_state(entity_admin, request, query)
        if state.status != 200:
            problems = [state.search_error, *state.errors]
            refused = "Nothing was changed: " + " ".join(p for p in problems if p)
            return error_page(request, state.status, "Bad request", refused)
        entities = iter_matching(entity_admin, state)
    else:
        ids = list(dict.fromkeys(request.form.get("ids", [])))[:MAX_SELECTED_IDS]
        entities = [e for e in (get_visible(request, entity_admin, i) for i in ids) if e]
    if not entities:
        request.flash("No rows selected: tick some rows or “All rows matching”.", "error")
        return redirect(back)
    if request.form_value("confirm") != "yes":
        return _confirm(request, entity_admin, name, label, entities, across)
    message = function(request, entities)
    count = len(entities)
    request.flash(message or f"{label}: done for {count} item{'s' if count != 1 else ''}.")
    return redirect(back)


def _action_names(entity_admin: EntityAdmin) -> set[str]:
    """Every bulk action of *entity_admin*, whoever asks (to tell "not allowed" from
    "not chosen")."""
    names = {getattr(function, "__name__", repr(function)) for function in entity_admin.actions}
    return names | {"delete_selected"}


def _confirm(
    request: AdminRequest,
    entity_admin: EntityAdmin,
    name: str,
    label: str,
    entities: list[Any],
    across: bool,
) -> ActionResponse:
    slug = entity_admin.slug_value
    count = len(entities)
    noun = entity_admin.label_value.lower() if count == 1 else entity_admin.label_plural_value
    listed = [Li(entity_admin.entity_title(entity)) for entity in entities[:MAX_LISTED]]
    if count > MAX_LISTED:
        listed.append(Li(f"… and {count - MAX_LISTED} more"))
    keep: list[Any] = [
        Input(type="hidden", name="action", value=name),
        Input(type="hidden", name="query", value=request.form_value("query")),
        Input(type="hidden", name="confirm", value="yes"),
    ]
    if across:
        keep.append(Input(type="hidden", name="select_across", value="1"))
    else:
        keep += [Input(type="hidden", name="ids", value=entity.id) for entity in entities]
    scope = "every row matching the current search and filters" if across else "the selected rows"
    query = dict(parse_qsl(request.form_value("query")))
    body = Div(
        P(f"“{label}” will apply to ", Strong(f"{count} {noun.lower()}"), f" ({scope}):"),
        Ul(*listed),
        Form(
            csrf_input(request),
            *keep,
            Div(
                Button(
                    f"Yes, {label.lower()}",
                    type="submit",
                    id="confirm-action",
                    cls="btn btn-danger" if name == "delete_selected" else "btn btn-primary",
                ),
                A("No, go back", href=request.url(slug, **query), cls="btn"),
                cls="form-actions",
            ),
            method="post",
            action=request.url(slug, "_action"),
        ),
        cls="card confirm",
    )
    crumbs = ((entity_admin.label_plural_value, request.url(slug)),)
    content = Div(page_head(f"{label}?", crumbs=crumbs), body)
    return html(layout(request, label, content, active=slug))
