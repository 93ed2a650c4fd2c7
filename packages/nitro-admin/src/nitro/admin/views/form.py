"""Create and edit pages: a form generated from the entity's fields."""

from __future__ import annotations

import logging
from typing import Any

from nitro.actions import ActionResponse
from nitro.admin.forms import NON_FIELD, BoundForm, bind_form, initial_form, render_field
from nitro.admin.inlines import Inline, InlineForm, bind_inline, initial_inline, render_inline
from nitro.admin.options import EntityAdmin
from nitro.admin.params import has_nul
from nitro.admin.requests import AdminRequest
from nitro.admin.templates.layout import csrf_input, layout, page_head
from nitro.admin.views.errors import forbidden, not_found
from nitro.persistence import BackendUnavailable, ConcurrencyError
from nitro.persistence.versioning import VERSION_FIELD, is_versioned
from nitro.web import html, redirect
from rusty_tags import A, Button, Div, Form, Input, Li, Span, Ul

__all__ = ["create_view", "edit_view", "get_visible"]

logger = logging.getLogger("nitro.admin")

#: The hidden form field carrying the version of a versioned entity as it was opened.
VERSION_INPUT = "_version"


def get_visible(request: AdminRequest, entity_admin: EntityAdmin, entity_id: str) -> Any:
    """The entity if it exists and this user's base specification lets them see it."""
    if has_nul(entity_id):  # no stored id holds U+0000; PostgreSQL refuses to look
        return None
    entity = entity_admin.entity_cls.get(entity_id)
    base = entity_admin.get_base_spec(request)
    if entity is None or (base is not None and not base.is_satisfied_by(entity)):
        return None
    return entity


def create_view(request: AdminRequest, entity_admin: EntityAdmin) -> ActionResponse:
    """The form that creates an entity (with its inlines): shown on GET, validated and saved on
    POST."""
    if not entity_admin.has_add_permission(request):
        return forbidden(request)
    names = entity_admin.get_fields(request)
    readonly = _readonly(entity_admin, entity_admin.get_readonly_fields(request))
    editable = [name for name in names if name not in readonly]
    inlines = entity_admin.get_inlines(request)
    if request.method == "POST":
        form = bind_form(entity_admin, request, editable, None)
        parent_id = form.entity.id if form.entity is not None else ""
        inline_forms = _bind_inlines(request, inlines, parent_id, None)
        valid = form.is_valid and not any(f.has_errors for f, _ in inline_forms)
        status = _save_all(request, form, inline_forms) if valid else 422
        if status == 200:
            return _saved(request, entity_admin, form.entity, "added")
    else:
        form, status = initial_form(entity_admin, editable, None), 200
        inline_forms = [(initial_inline(inline, None), not ok) for inline, ok in inlines]
    title = f"Add {entity_admin.label_value.lower()}"
    return _render(request, entity_admin, title, form, names, readonly, None, status, inline_forms)


def edit_view(request: AdminRequest, entity_admin: EntityAdmin, id: str) -> ActionResponse:
    """The form of an existing entity: editable with the change permission, read-only with only
    the view permission."""
    if not entity_admin.has_view_permission(request):
        return forbidden(request)
    entity = get_visible(request, entity_admin, id)
    if entity is None:
        return not_found(request, f"{entity_admin.label_value} {id!r}")
    can_change = entity_admin.has_change_permission(request)
    names = entity_admin.get_fields(request, entity)
    readonly = _readonly(entity_admin, entity_admin.get_readonly_fields(request, entity))
    if not can_change:
        readonly = set(names)
    editable = [name for name in names if name not in readonly]
    inlines = entity_admin.get_inlines(request, entity)
    version = _version(entity)
    if request.method == "POST":
        if not can_change:
            return forbidden(request)
        form = bind_form(entity_admin, request, editable, entity)
        if version is not None:  # save as the copy the user opened
            version = _opened_version(request)
            if version >= 0 and form.entity is not None:
                setattr(form.entity, VERSION_FIELD, version)
        inline_forms = _bind_inlines(request, inlines, entity.id, entity)
        valid = form.is_valid and not any(f.has_errors for f, _ in inline_forms)
        if valid and version is not None and version < 0:
            status = _conflict(form)  # no version posted: never overwrite blindly
        else:
            status = _save_all(request, form, inline_forms) if valid else 422
        if status == 200:
            return _saved(request, entity_admin, form.entity, "changed")
        if status == 409:  # saving again now knowingly replaces the other change
            version = entity.version
        form.raw.update(initial_form(entity_admin, sorted(readonly), entity).raw)
    else:
        form, status = initial_form(entity_admin, names, entity), 200
        inline_forms = [(initial_inline(inline, entity), not ok) for inline, ok in inlines]
    title = entity_admin.entity_title(entity)
    return _render(
        request, entity_admin, title, form, names, readonly, entity, status, inline_forms, version
    )


def _readonly(entity_admin: EntityAdmin, names: list[str]) -> set[str]:
    """The read-only fields; a versioned entity's version is never edited by hand."""
    readonly = set(names)
    if is_versioned(entity_admin.entity_cls):
        readonly.add(VERSION_FIELD)
    return readonly


def _version(entity: Any) -> int | None:
    """The version of a versioned *entity* (``None`` for other entities)."""
    version: int | None = entity.version if is_versioned(type(entity)) else None
    return version


def _opened_version(request: AdminRequest) -> int:
    """The version posted in the hidden field; ``-1`` when missing or malformed."""
    raw = request.form_value(VERSION_INPUT)
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 19 else -1


def _conflict(form: BoundForm) -> int:
    """Report an optimistic-concurrency conflict on *form*; returns its status, 409."""
    form.errors.setdefault(NON_FIELD, []).append(
        "This was changed by someone else since you opened it; nothing was saved. "
        "The form keeps your values: saving again replaces the other change."
    )
    return 409


def _save_all(
    request: AdminRequest, form: BoundForm, inline_forms: list[tuple[InlineForm, bool]]
) -> int:
    """Save the entity and its inline rows; the status: 200 when saved, else (with a
    form error) 409 for a versioned entity changed since the form was opened, 422.

    With ``Admin(unit_of_work=...)`` everything goes through one unit, so a refusal by
    the database (a unique constraint...) leaves nothing saved.
    """
    factory = request.site.unit_of_work
    editable = [inline_form for inline_form, readonly in inline_forms if not readonly]
    try:
        if factory is None:
            form.entity.save()
            for inline_form in editable:
                inline_form.commit()
            return 200
        with factory() as unit:
            unit.repo(type(form.entity)).save(form.entity)
            for inline_form in editable:
                repository = unit.repo(inline_form.inline.entity_cls)
                for entity in inline_form.to_save:
                    repository.save(entity)
                for entity in inline_form.to_delete:
                    repository.delete(entity)
            unit.commit()
        return 200
    except BackendUnavailable:
        raise  # not the form's fault: the site answers 503
    except ConcurrencyError:
        return _conflict(form)
    except Exception:
        logger.exception("nitro.admin: saving %r failed", form.entity)
        atomic = "nothing was saved" if factory is not None else "part of it may be saved"
        form.errors.setdefault(NON_FIELD, []).append(
            f"The change was refused by the storage; {atomic}."
        )
        return 422


def _bind_inlines(
    request: AdminRequest, inlines: list[tuple[Inline, bool]], parent_id: str, parent: Any
) -> list[tuple[InlineForm, bool]]:
    """Editable inlines are bound to the post; read-only ones are shown as stored."""
    return [
        (bind_inline(inline, request, parent_id), False)
        if editable
        else (initial_inline(inline, parent), True)
        for inline, editable in inlines
    ]


def _saved(
    request: AdminRequest, entity_admin: EntityAdmin, entity: Any, verb: str
) -> ActionResponse:
    slug = entity_admin.slug_value
    request.flash(
        f"The {entity_admin.label_value.lower()} “{entity_admin.entity_title(entity)}” was {verb}."
    )
    if "_continue" in request.form:
        return redirect(request.url(slug, entity.id, "edit"))
    if "_addanother" in request.form:
        return redirect(request.url(slug, "new"))
    return redirect(request.url(slug))


def _render(
    request: AdminRequest,
    entity_admin: EntityAdmin,
    title: str,
    form: BoundForm,
    names: list[str],
    readonly: set[str],
    entity: Any,
    status: int,
    inline_forms: list[tuple[InlineForm, bool]],
    version: int | None = None,
) -> ActionResponse:
    slug = entity_admin.slug_value
    specs = entity_admin.field_specs
    fields = [
        render_field(
            request,
            specs[name],
            form.raw.get(name, ""),
            form.errors.get(name, []),
            name in readonly,
        )
        for name in names
    ]
    summary = None
    inline_errors = sum(
        len(messages)
        for inline_form, _ in inline_forms
        for row in inline_form.rows
        for messages in row.errors.values()
    )
    if form.errors or inline_errors:
        count = sum(len(messages) for messages in form.errors.values()) + inline_errors
        summary = Div(
            f"Please correct the error{'s' if count != 1 else ''} below; nothing was saved.",
            Ul(*[Li(m) for m in form.errors.get(NON_FIELD, [])])
            if NON_FIELD in form.errors
            else None,
            cls="flash error",
            role="alert",
            id="form-errors",
        )
    can_save = entity is None or entity_admin.has_change_permission(request)
    buttons = []
    if can_save:
        buttons = [
            Button("Save", type="submit", cls="btn btn-primary", id="save"),
            Button(
                "Save and continue editing", type="submit", name="_continue", value="1", cls="btn"
            ),
        ]
        if entity is None:
            buttons.append(
                Button(
                    "Save and add another", type="submit", name="_addanother", value="1", cls="btn"
                )
            )
    delete = None
    if entity is not None and entity_admin.has_delete_permission(request):
        delete = A(
            "Delete",
            href=request.url(slug, entity.id, "delete"),
            cls="btn btn-danger",
            id="delete-link",
        )
    action = request.url(slug, "new") if entity is None else request.url(slug, entity.id, "edit")
    body = Form(
        csrf_input(request),
        None if version is None else Input(type="hidden", name=VERSION_INPUT, value=str(version)),
        *fields,
        *[render_inline(inline_form, readonly) for inline_form, readonly in inline_forms],
        Div(*buttons, Span(cls="spacer"), delete, cls="form-actions"),
        method="post",
        action=action,
        cls="entity",
        novalidate=True,
    )
    crumbs = ((entity_admin.label_plural_value, request.url(slug)),)
    history = None
    if entity is not None:
        history = A(
            "History", href=request.url(slug, entity.id, "history"), cls="btn", id="history-link"
        )
    content = Div(page_head(title, history, crumbs=crumbs), summary, Div(body, cls="card"))
    return html(layout(request, title, content, active=slug), status)
