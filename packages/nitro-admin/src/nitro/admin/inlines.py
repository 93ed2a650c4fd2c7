"""Inline editing: the related rows of an entity, edited on the entity's own form.

``Inline(Book, fk="shelf_id", fields=["title", "year"])`` on the shelf's admin shows
the shelf's books as a small table under the shelf's fields, with blank rows to add
books and a delete box per row. The whole form is validated first (the entity and
every row); only when nothing has an error is anything saved, so a typo in one row
never leaves half a change behind.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from nitro.admin.fields import FieldSpec, describe_fields
from nitro.admin.forms import storage_errors, widget
from nitro.admin.params import check_text, has_nul, shown
from nitro.persistence import Query
from nitro.specification import FieldEquals
from rusty_tags import H2, Div, Input, Li, Table, Tbody, Td, Th, Thead, Tr, Ul

if TYPE_CHECKING:
    from nitro.admin.requests import AdminRequest

__all__ = ["Inline", "InlineForm", "bind_inline", "initial_inline", "render_inline"]


@dataclass(frozen=True)
class Inline:
    """Related rows edited on the parent's form.

    :param entity_cls: the related entity class (``Book``).
    :param fk: its field holding the parent's id (``"shelf_id"``).
    :param fields: the columns edited inline (default: every field but ``id`` and *fk*).
    :param extra: blank rows offered for new entities.
    :param max_rows: at most this many existing rows are shown (ordered by id).
    :param label: the section title (default: the class name, plural).
    """

    entity_cls: type[Any]
    fk: str
    fields: Sequence[str] | None = None
    extra: int = 1
    max_rows: int = 50
    label: str | None = None

    @property
    def slug(self) -> str:
        return self.entity_cls.__name__.lower()

    @property
    def title(self) -> str:
        return self.label or f"{self.entity_cls.__name__}s"

    def field_names(self) -> list[str]:
        if self.fields is not None:
            return list(self.fields)
        return [n for n in describe_fields(self.entity_cls) if n not in ("id", self.fk)]

    def existing(self, parent_id: str) -> list[Any]:
        query = Query(where=FieldEquals(self.fk, parent_id), order_by=("id",), limit=self.max_rows)
        found: list[Any] = self.entity_cls.repository().find(query)
        return found


@dataclass
class InlineRow:
    id: str = ""
    raw: dict[str, str] = field(default_factory=dict)
    errors: dict[str, list[str]] = field(default_factory=dict)
    delete: bool = False


@dataclass
class InlineForm:
    """The rows of one inline (related entities edited on the parent's form), as shown and as
    posted."""

    inline: Inline
    rows: list[InlineRow] = field(default_factory=list)
    #: Validated entities to save and ids to delete (only meaningful when valid).
    to_save: list[Any] = field(default_factory=list)
    to_delete: list[Any] = field(default_factory=list)

    @property
    def has_errors(self) -> bool:
        return any(row.errors for row in self.rows)

    def commit(self) -> None:
        for entity in self.to_save:
            entity.save()
        for entity in self.to_delete:
            entity.delete()


def _prefix(inline: Inline, index: int) -> str:
    return f"inline-{inline.slug}-{index}-"


def _text(spec: FieldSpec, value: Any) -> str:
    return ("on" if value else "") if spec.kind == "bool" else spec.to_text(value)


def initial_inline(inline: Inline, parent: Any) -> InlineForm:
    """The inline form for *parent*'s existing related rows (none when creating), plus its empty
    extra rows."""
    specs = describe_fields(inline.entity_cls)
    names = inline.field_names()
    form = InlineForm(inline)
    for entity in inline.existing(parent.id) if parent is not None else []:
        form.rows.append(
            InlineRow(entity.id, {n: _text(specs[n], getattr(entity, n)) for n in names})
        )
    form.rows.extend(InlineRow() for _ in range(inline.extra))
    return form


def bind_inline(inline: Inline, request: AdminRequest, parent_id: str) -> InlineForm:
    """Validate the posted rows for the parent *parent_id* (nothing is saved here)."""
    specs = describe_fields(inline.entity_cls)
    names = inline.field_names()
    form = InlineForm(inline)
    try:
        total = min(int(request.form_value(f"inline-{inline.slug}-TOTAL", "0")), 1000)
    except ValueError:
        total = 0
    for index in range(total):
        prefix = _prefix(inline, index)
        row = InlineRow(id=request.form_value(prefix + "id"))
        row.delete = bool(request.form_value(prefix + "DELETE"))
        posted: dict[str, str] = {}
        for name in names:
            if specs[name].kind == "bool":
                posted[name] = "on" if (prefix + name) in request.form else ""
            else:
                posted[name] = request.form_value(prefix + name)
            row.raw[name] = shown(posted[name])
        form.rows.append(row)
        existing = None
        if has_nul(row.id):
            row.id = ""
            row.errors["__all__"] = ["This row does not belong here any more."]
            continue
        if row.id:
            existing = inline.entity_cls.get(row.id)
            if existing is None or getattr(existing, inline.fk) != parent_id:
                row.errors["__all__"] = ["This row does not belong here any more."]
                continue
        elif not any(row.raw.values()) or row.delete:
            continue  # a blank extra row
        if row.delete:
            form.to_delete.append(existing)
            continue
        data: dict[str, Any] = existing.model_dump() if existing is not None else {}
        for name in names:
            try:
                check_text(posted[name])
                data[name] = (
                    posted[name] == "on"
                    if specs[name].kind == "bool"
                    else specs[name].from_text(posted[name])
                )
            except ValueError as exc:
                row.errors.setdefault(name, []).append(str(exc))
        data[inline.fk] = parent_id
        if row.errors:
            continue
        try:
            entity = inline.entity_cls.model_validate(data)
        except ValidationError as exc:
            for error in exc.errors(include_url=False):
                loc = error.get("loc") or ()
                key = str(loc[0]) if loc and str(loc[0]) in names else "__all__"
                row.errors.setdefault(key, []).append(str(error.get("msg", "Invalid value")))
            continue
        storage_errors(entity, names, row.errors)
        if not row.errors:
            form.to_save.append(entity)
    return form


def render_inline(form: InlineForm, readonly: bool) -> Any:
    """The HTML table of an inline form; *readonly* leaves out the inputs and the delete boxes."""
    inline = form.inline
    specs = describe_fields(inline.entity_cls)
    names = inline.field_names()
    head = [Th(specs[n].label) for n in names] + ([] if readonly else [Th("Delete")])
    body = []
    for index, row in enumerate(form.rows):
        prefix = _prefix(inline, index)
        cells = []
        for position, name in enumerate(names):
            cells.append(
                Td(
                    Input(type="hidden", name=prefix + "id", value=row.id)
                    if position == 0 and not readonly
                    else None,
                    _cell_widget(specs[name], prefix + name, row.raw.get(name, ""), readonly),
                    _errors(
                        row.errors.get(name, [])
                        + (row.errors.get("__all__", []) if position == 0 else [])
                    ),
                    cls="invalid" if name in row.errors else None,
                )
            )
        if not readonly:
            cells.append(
                Td(
                    Input(
                        type="checkbox",
                        name=prefix + "DELETE",
                        value="1",
                        checked=row.delete,
                        aria_label="Delete this row",
                    )
                    if row.id
                    else None
                )
            )
        body.append(Tr(*cells))
    return Div(
        H2(inline.title, cls="inline-title"),
        Input(type="hidden", name=f"inline-{inline.slug}-TOTAL", value=str(len(form.rows)))
        if not readonly
        else None,
        Div(Table(Thead(Tr(*head)), Tbody(*body)), cls="table-wrap"),
        cls="inline",
        id=f"inline-{inline.slug}",
    )


def _cell_widget(spec: FieldSpec, name: str, raw: str, readonly: bool) -> Any:
    if readonly:
        return raw or "—"
    return widget(spec, raw, name=name, element_id=name, aria_label=spec.label)


def _errors(messages: list[str]) -> Any:
    return Ul(*[Li(m) for m in messages], cls="errors") if messages else None
