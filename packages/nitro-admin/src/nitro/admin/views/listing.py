"""The list page: search, filters, sortable columns, pages and bulk actions.

The results (table and pager) are one element, ``#results``, that the live search
replaces through a Datastar ``datastar-patch-elements`` event; everything else is
plain links and GET forms, so the page also works without JavaScript.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from nitro.actions import ActionResponse
from nitro.actions.sse import SSE_HEADERS, patch_elements
from nitro.admin.changelist import (
    ListState,
    cursor_params,
    fetch_page,
    list_state,
    sortable_columns,
)
from nitro.admin.fields import RELATION
from nitro.admin.filters import render_filters
from nitro.admin.options import EntityAdmin
from nitro.admin.relations import picker, titles
from nitro.admin.requests import AdminRequest
from nitro.admin.templates.layout import csrf_input, layout, page_head
from nitro.admin.views.errors import datastar_signals, forbidden
from nitro.web import html, redirect
from rusty_tags import (
    A,
    Button,
    Div,
    Form,
    Input,
    Label,
    Li,
    Option,
    P,
    Select,
    Span,
    Table,
    Tbody,
    Td,
    Th,
    Thead,
    Tr,
    Ul,
    js_string,
)

__all__ = ["list_view", "results_view"]


def list_view(request: AdminRequest, entity_admin: EntityAdmin) -> ActionResponse:
    """The list page of an entity: search, filters, ordering and pages, updated live through
    Datastar."""
    if not entity_admin.has_view_permission(request):
        return forbidden(request)
    state = list_state(entity_admin, request, request.query)
    slug = entity_admin.slug_value
    add = None
    if entity_admin.has_add_permission(request):
        add = A(
            f"Add {entity_admin.label_value.lower()}",
            href=request.url(slug, "new"),
            cls="btn btn-primary",
            id="add-link",
        )
    card = Div(
        _toolbar(request, entity_admin, state),
        _filters(request, entity_admin, state),
        results(request, entity_admin, state),
        cls="card",
    )
    content = Div(page_head(entity_admin.label_plural_value, add), card)
    title = entity_admin.label_plural_value
    return html(layout(request, title, content, active=slug), state.status)


def results_view(request: AdminRequest, entity_admin: EntityAdmin) -> ActionResponse:
    """The live search: the new ``#results`` as a Datastar SSE answer.

    Refused values (U+0000 in the search...) are shown in place of the results with a
    200 answer, since Datastar 1.0 drops the body of any answer that is not 2xx.
    """
    if not entity_admin.has_view_permission(request):
        return forbidden(request)
    query = {k: v for k, v in request.query.items() if k != "datastar"}
    if not request.raw.is_datastar:
        return redirect(request.url(entity_admin.slug_value, **query))
    signals = datastar_signals(request)
    if isinstance(signals, ActionResponse):
        return signals
    q = signals.get("q", "")
    state = list_state(entity_admin, request, query, q=q if isinstance(q, str) else "")
    if state.search_error:  # the search box is not replaced: say it with the results
        state.errors.insert(0, state.search_error)
    event = patch_elements(str(results(request, entity_admin, state)))
    return ActionResponse(200, dict(SSE_HEADERS), body=event.encode())


def _toolbar(request: AdminRequest, entity_admin: EntityAdmin, state: ListState) -> Any:
    slug = entity_admin.slug_value
    fields = entity_admin.get_search_fields(request)
    if not fields:
        return None
    labels = ", ".join(entity_admin.field_specs[name].label.lower() for name in fields)
    live_url = request.url(slug, "_results", **state.params(q=None, p=None))
    hidden = [
        Input(type="hidden", name=k, value=v) for k, v in state.params(q=None, p=None).items()
    ]
    invalid: dict[str, Any] = {}
    if state.search_error:
        invalid = {"aria_invalid": "true", "aria_describedby": "search-errors"}
    return Div(
        Form(
            *hidden,
            Input(
                type="search",
                name="q",
                id="search",
                value=state.q,
                placeholder=f"Search {labels}…",
                aria_label="Search",
                autocomplete="off",
                data_bind="q",
                data_indicator="searching",
                data_on_input__debounce_300ms=f"@get({js_string(live_url)})",
                **invalid,
            ),
            Ul(Li(state.search_error), cls="errors", id="search-errors")
            if state.search_error
            else None,
            method="get",
            action=request.url(slug),
            cls="search",
            data_signals={"q": state.q, "searching": False},
        ),
        # Hidden until Datastar runs (data-show then owns the display style).
        Span("Searching…", cls="indicator", style="display:none", data_show="$searching"),
        cls="toolbar",
    )


def _filters(request: AdminRequest, entity_admin: EntityAdmin, state: ListState) -> Any:
    names = entity_admin.get_list_filter(request)
    if not names:
        return None
    specs = [entity_admin.field_specs[name] for name in names]
    keep = {k: v for k, v in {"q": state.q, "o": state.order}.items() if v}
    return Form(
        *[Input(type="hidden", name=k, value=v) for k, v in keep.items()],
        *render_filters(
            specs,
            state.filters,
            lambda spec, value: picker(request, spec, value, f"filter-{spec.name}", clearable=True),
        ),
        Div(
            Button("Filter", type="submit", cls="btn", id="apply-filters"),
            A("Reset", href=request.url(entity_admin.slug_value, **keep), cls="btn")
            if state.filters
            else None,
        ),
        method="get",
        action=request.url(entity_admin.slug_value),
        cls="filters",
        id="filters",
    )


def results(request: AdminRequest, entity_admin: EntityAdmin, state: ListState) -> Any:
    page = fetch_page(entity_admin, request, state)
    slug = entity_admin.slug_value
    columns = entity_admin.get_list_display(request)
    actions = entity_admin.get_actions(request)
    sortable = sortable_columns(entity_admin, request)
    can_open = entity_admin.has_view_permission(request)

    head = [Th(_select_all(), cls="check")] if actions else []
    for column in columns:
        label = entity_admin.column_label(column)
        if isinstance(column, str) and column in sortable:
            current = state.order.removeprefix("-") == column
            descending = state.order.startswith("-")
            target = f"-{column}" if current and not descending else column
            arrow = (" ↓" if descending else " ↑") if current else ""
            href = request.url(slug, **state.params(o=target, p=None))
            head.append(Th(A(label + arrow, href=href), cls="sorted" if current else None))
        else:
            head.append(Th(label))

    related = _related_titles(request, entity_admin, columns, page.rows)
    body = []
    for entity in page.rows:
        cells = (
            [
                Td(
                    Input(type="checkbox", name="ids", value=entity.id, aria_label="Select row"),
                    cls="check",
                )
            ]
            if actions
            else []
        )
        for index, column in enumerate(columns):
            value = entity_admin.display_value(entity, column)
            content: Any = _cell(value)
            if isinstance(column, str) and column in related:
                content = _related_cell(request, entity_admin, column, value, related[column])
            if index == 0 and can_open:
                content = A(content, href=request.url(slug, entity.id, "edit"))
            numeric = isinstance(value, int | float) and not isinstance(value, bool)
            cells.append(Td(content, cls="num" if numeric else None))
        body.append(Tr(*cells))

    errors = [P(error, cls="flash error") for error in state.errors]
    if page.rows:
        table: Any = Div(Table(Thead(Tr(*head)), Tbody(*body)), cls="table-wrap")
    else:
        empty = "No results match." if (state.q or state.filters) else "Nothing here yet."
        table = P(empty, cls="empty")
    inner = [*errors, table, _pager(request, entity_admin, state, page)]
    if actions and page.rows:
        inner.insert(0, _actions_bar(request, actions, state))
        return Div(
            Form(
                csrf_input(request),
                Input(type="hidden", name="query", value=urlencode(state.params(p=None))),
                *inner,
                method="post",
                action=request.url(slug, "_action"),
                id="bulk",
            ),
            id="results",
        )
    return Div(*inner, id="results")


def _related_titles(
    request: AdminRequest, entity_admin: EntityAdmin, columns: list[Any], rows: list[Any]
) -> dict[str, dict[str, str]]:
    """Titles of the related entities on this page: one query per relation column."""
    found = {}
    for column in columns:
        spec = entity_admin.field_specs.get(column) if isinstance(column, str) else None
        if spec is not None and spec.kind == RELATION:
            target = request.site.registry[spec.related]
            found[column] = titles(target, (getattr(row, column) for row in rows))
    return found


def _related_cell(
    request: AdminRequest,
    entity_admin: EntityAdmin,
    column: str,
    value: Any,
    known: dict[str, str],
) -> Any:
    if not isinstance(value, str) or value not in known:
        return value
    target = request.site.registry[entity_admin.field_specs[column].related]
    if not target.has_view_permission(request):
        return known[value]
    return A(known[value], href=request.url(target.slug_value, value, "edit"))


def _cell(value: Any) -> Any:
    if value is True or value is False:
        return Span("Yes" if value else "No", cls="badge yes" if value else "badge")
    return value


def _select_all() -> Any:
    return Input(
        type="checkbox",
        aria_label="Select all rows on this page",
        data_on_change=(
            "el.closest('form').querySelectorAll('input[name=ids]')"
            ".forEach(box => box.checked = el.checked)"
        ),
    )


def _actions_bar(request: AdminRequest, actions: dict[str, Any], state: ListState) -> Any:
    options = [Option("Action…", value="")] + [
        Option(label, value=name) for name, (_, label) in actions.items()
    ]
    return Div(
        Select(*options, name="action", aria_label="Action", id="bulk-action"),
        Label(
            Input(type="checkbox", name="select_across", value="1", id="select-across"),
            " All rows matching the current search and filters",
        ),
        Button("Apply", type="submit", cls="btn", id="bulk-apply"),
        cls="actions-bar toolbar",
    )


def _pager(request: AdminRequest, entity_admin: EntityAdmin, state: ListState, page: Any) -> Any:
    per_page = entity_admin.get_list_per_page(request)
    slug = entity_admin.slug_value
    first = (state.page - 1) * per_page + 1
    last = first + len(page.rows) - 1
    if not page.rows:
        return None
    summary = f"Rows {first:,} to {last:,}"
    if page.total_text is not None:
        summary += f" of {page.total_text}"
    back = cursor_params(entity_admin, state, page.rows[0], "before")
    previous = (
        A(
            "← Previous",
            href=request.url(slug, **state.params(p=state.page - 1, **back)),
            cls="btn",
            id="prev-page",
        )
        if state.page > 1
        else None
    )
    cursor = cursor_params(entity_admin, state, page.rows[-1])
    following = (
        A(
            "Next →",
            href=request.url(slug, **state.params(p=state.page + 1, **cursor)),
            cls="btn",
            id="next-page",
        )
        if page.has_next
        else None
    )
    return Div(
        Span(summary, id="page-summary"), Span(cls="spacer"), previous, following, cls="pager"
    )
