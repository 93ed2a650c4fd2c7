"""Relations: fields holding the id of another registered entity.

Pickers search instead of listing: a relation may point into a table of millions of
rows, so the picker is a search box that asks the related entity's admin for at most
:data:`LOOKUP_LIMIT` matches (live, through Datastar), and the chosen id goes into a
hidden input. List pages show the related entities' titles, fetched in one query per
relation column for the whole page.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from nitro.admin.fields import FieldSpec
from nitro.admin.params import has_nul
from nitro.persistence import Query
from nitro.specification import FieldEquals, OrSpecification
from rusty_tags import Button, Div, Input, Span, js_string

if TYPE_CHECKING:
    from nitro.admin.options import EntityAdmin
    from nitro.admin.requests import AdminRequest

__all__ = ["LOOKUP_LIMIT", "picker", "titles"]

#: The most matches a relation picker's search returns at once, so a lookup stays one small query.
LOOKUP_LIMIT = 20


def related_admin(request: AdminRequest, spec: FieldSpec) -> EntityAdmin:
    return request.site.registry[spec.related]


def titles(entity_admin: EntityAdmin, ids: Iterable[str]) -> dict[str, str]:
    """``{id: title}`` of the given ids that exist, in one repository query."""
    wanted = sorted({i for i in ids if isinstance(i, str) and i and not has_nul(i)})
    if not wanted:
        return {}
    specs = [FieldEquals("id", i) for i in wanted]
    where = specs[0] if len(specs) == 1 else OrSpecification(*specs)
    found = entity_admin.entity_cls.repository().find(Query(where=where, limit=len(wanted)))
    return {entity.id: entity_admin.entity_title(entity) for entity in found}


def signal_name(spec: FieldSpec) -> str:
    return f"pk_{spec.name}"


def picker(
    request: AdminRequest,
    spec: FieldSpec,
    value: str,
    element_id: str,
    *,
    clearable: bool | None = None,
) -> Any:
    """A search box, the chosen title and a hidden input carrying the chosen id.

    A "Clear" button empties the choice when *clearable*; by default only an optional
    relation (``shelf_id: str | None``) can be cleared: a required one has no "none".
    A filter's picker is always clearable (no filter).
    """
    if clearable is None:
        clearable = spec.optional
    target = related_admin(request, spec)
    label = titles(target, [value]).get(value, value) if value else ""
    sig = signal_name(spec)
    lookup = request.url(target.slug_value, "_lookup", field=spec.name)
    return Div(
        Input(type="hidden", name=spec.name, id=element_id, value=value, data_bind=f"{sig}.id"),
        Div(
            Input(
                type="search",
                id=f"{element_id}-search",
                placeholder=f"Search {target.label_plural_value.lower()}…",
                aria_label=f"Search {target.label_plural_value.lower()}",
                autocomplete="off",
                data_bind=f"{sig}.q",
                data_on_input__debounce_300ms=f"@get({js_string(lookup)})",
            ),
            Span(
                label or "(none)",
                cls="badge picked",
                id=f"{element_id}-label",
                data_text=f"${sig}.label || '(none)'",
            ),
            Button(
                "Clear",
                type="button",
                cls="btn",
                id=f"{element_id}-clear",
                data_on_click=f"${sig}.id = ''; ${sig}.label = ''",
            )
            if clearable
            else None,
            cls="picker-row",
        ),
        Div(id=f"picker-{spec.name}-results", cls="picker-results"),
        data_signals={sig: {"q": "", "id": value, "label": label}},
        cls="picker",
    )


def lookup_results(request: AdminRequest, target: EntityAdmin, field: str, q: str) -> Any:
    """The buttons a picker shows for *q* (the first :data:`LOOKUP_LIMIT` matches)."""
    from nitro.admin.changelist import list_state

    state = list_state(target, request, {}, q=q)
    if state.search_error:
        message = Span(state.search_error, cls="indicator error", role="alert")
        return Div(message, id=f"picker-{field}-results", cls="picker-results")
    query = Query(where=state.where, order_by=state.ordering, limit=LOOKUP_LIMIT)
    found = target.entity_cls.repository().find(query) if q.strip() else []
    sig = f"pk_{field}"
    choose = (
        f"${sig}.id = el.dataset.id; ${sig}.label = el.dataset.label; ${sig}.q = ''; "
        f"el.parentElement.replaceChildren()"
    )
    buttons = [
        Button(
            target.entity_title(entity),
            type="button",
            cls="picker-option",
            data_id=entity.id,
            data_label=target.entity_title(entity),
            data_on_click=choose,
        )
        for entity in found
    ]
    if q.strip() and not buttons:
        buttons = [Span("No match.", cls="indicator")]
    return Div(*buttons, id=f"picker-{field}-results", cls="picker-results")
