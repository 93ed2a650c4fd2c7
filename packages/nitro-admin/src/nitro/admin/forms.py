"""Entity forms: widgets from field kinds, and submitted strings to a validated entity.

Validation is the entity's own Pydantic validation, so the admin accepts exactly what
the domain model accepts; errors are mapped back to the field they belong to and
nothing is saved. Before and after it, :mod:`nitro.admin.params` refuses what no
backend can store: U+0000 in any submitted value, integers beyond 64 bits.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from nitro.admin.fields import RELATION, FieldSpec
from nitro.admin.params import check_storable, check_text, shown
from nitro.admin.relations import picker, related_admin, titles
from rusty_tags import Div, Input, Label, Li, Option, Select, Textarea, Ul

if TYPE_CHECKING:
    from nitro.admin.options import EntityAdmin
    from nitro.admin.requests import AdminRequest

__all__ = ["BoundForm", "bind_form", "render_field"]

NON_FIELD = "__all__"
_INPUT_TYPES = {
    "text": "text",
    "int": "number",
    "float": "number",
    "decimal": "number",
    "date": "date",
    "datetime": "datetime-local",
    "time": "time",
}


@dataclass
class BoundForm:
    """A submitted (or initial) form: raw strings to show again, errors per field."""

    raw: dict[str, str] = field(default_factory=dict)
    errors: dict[str, list[str]] = field(default_factory=dict)
    entity: Any = None

    @property
    def is_valid(self) -> bool:
        return not self.errors and self.entity is not None


def initial_form(entity_admin: EntityAdmin, names: list[str], entity: Any) -> BoundForm:
    specs = entity_admin.field_specs
    raw: dict[str, str] = {}
    for name in names:
        spec = specs[name]
        if entity is not None:
            value = getattr(entity, name)
        else:
            info = entity_admin.entity_cls.model_fields[name]
            value = None if info.is_required() else info.get_default(call_default_factory=True)
        raw[name] = ("on" if value else "") if spec.kind == "bool" else spec.to_text(value)
    return BoundForm(raw=raw)


def bind_form(
    entity_admin: EntityAdmin, request: AdminRequest, names: list[str], entity: Any
) -> BoundForm:
    """Validate the posted *names* on top of *entity* (``None``: a new entity)."""
    specs = entity_admin.field_specs
    form = BoundForm()
    data: dict[str, Any] = entity.model_dump() if entity is not None else {}
    for name in names:
        spec = specs[name]
        if spec.kind == "bool":
            checked = name in request.form
            form.raw[name] = "on" if checked else ""
            data[name] = checked
            continue
        raw = request.form_value(name)
        form.raw[name] = shown(raw)
        try:
            check_text(raw)
            data[name] = spec.from_text(raw)
        except ValueError as exc:
            form.errors.setdefault(name, []).append(str(exc))
            continue
        if spec.kind == RELATION and data[name] is not None:
            target = related_admin(request, spec)
            if not titles(target, [data[name]]):
                form.errors.setdefault(name, []).append(
                    f"There is no {target.label_value.lower()} with id {raw!r}."
                )
    if form.errors:
        return form
    try:
        form.entity = entity_admin.entity_cls.model_validate(data)
    except ValidationError as exc:
        for error in exc.errors(include_url=False):
            loc = error.get("loc") or ()
            key = str(loc[0]) if loc and str(loc[0]) in names else NON_FIELD
            form.errors.setdefault(key, []).append(_message(error, loc, key))
        return form
    storage_errors(form.entity, names, form.errors)
    return form


def storage_errors(entity: Any, names: list[str], errors: dict[str, list[str]]) -> None:
    """Add an error for each of *names* whose validated value no backend can store."""
    for name in names:
        try:
            check_storable(getattr(entity, name))
        except ValueError as exc:
            errors.setdefault(name, []).append(str(exc))


def _message(error: Any, loc: tuple[Any, ...], key: str) -> str:
    message = str(error.get("msg", "Invalid value"))
    if key == NON_FIELD and loc:
        return f"{'.'.join(map(str, loc))}: {message}"
    return message


def render_field(
    request: AdminRequest, spec: FieldSpec, raw: str, errors: list[str], readonly: bool
) -> Any:
    """A labelled widget with its errors right below it."""
    field_id = f"field-{spec.name}"
    if readonly:
        shown = raw
        if spec.kind == RELATION and raw:
            shown = titles(related_admin(request, spec), [raw]).get(raw, raw)
        widget: Any = Div(shown or "—", cls="readonly", id=field_id)
    elif spec.kind == RELATION:
        widget = picker(request, spec, raw, field_id)
    else:
        widget = _widget_for(spec, raw, field_id, bool(errors))
    describedby = f"{field_id}-errors" if errors else None
    return Div(
        Label(spec.label, for_=field_id + ("-search" if spec.kind == RELATION else ""))
        if spec.kind != "bool" or readonly
        else None,
        widget,
        Div(spec.help_text, cls="help") if spec.help_text else None,
        Ul(*[Li(message) for message in errors], cls="errors", id=describedby) if errors else None,
        cls="field invalid" if errors else "field",
    )


def _widget_for(spec: FieldSpec, raw: str, field_id: str, invalid: bool) -> Any:
    return widget(spec, raw, name=spec.name, element_id=field_id, invalid=invalid)


def widget(
    spec: FieldSpec,
    raw: str,
    *,
    name: str,
    element_id: str | None = None,
    invalid: bool = False,
    aria_label: str | None = None,
) -> Any:
    """The input for one value of *spec*, posted as *name*."""
    common: dict[str, Any] = {"name": name, "id": element_id, "aria_label": aria_label}
    if invalid and element_id:
        common["aria_invalid"] = "true"
        common["aria_describedby"] = f"{element_id}-errors"
    if spec.kind == "bool":
        box = Input(type="checkbox", checked=raw == "on", **common)
        return Label(box, " ", spec.label) if aria_label is None else box
    if spec.kind == "choice":
        options = [Option("---------", value="")] if spec.optional or raw == "" else []
        options += [
            Option(spec.choice_label(value), value=key, selected=key == raw)
            for key, value in spec.choices
        ]
        return Select(*options, **common)
    if spec.kind in ("textarea", "json"):
        rows = 8 if spec.kind == "json" else 5
        return Textarea(raw, rows=rows if aria_label is None else 2, **common)
    input_type = _INPUT_TYPES.get(spec.kind, "text")
    step = {"int": "1", "float": "any", "decimal": "any", "datetime": "1"}.get(spec.kind)
    return Input(type=input_type, value=raw, step=step, **common)
