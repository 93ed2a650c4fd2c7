"""The list page's state and query: what the URL asks for, turned into one page of rows.

Pagination never counts the whole table: it asks the repository for ``per_page + 1``
rows and knows from the extra row whether there is a next page. Counting the matching
rows is opt-in (``show_full_count``, or ``count_cap`` for a count that stops at a
bound and shows "10,000+"), because an unbounded ``COUNT(*)`` on a large table is what
makes list pages slow in other admins.

The list is sorted by its ordering and then by ``id`` *in the direction of the last
key* (``price, id`` or ``price DESC, id DESC``), so one index on ``(price, id)`` walks
the whole order both ways. "Next" and "Previous" seek from a row (keyset cursors); a
page number typed into the URL is an ``OFFSET``, which nitro-sql runs as a deferred
join (the ids of the page through the index, then those rows only).

What the URL asks for is checked before any query runs (:mod:`nitro.admin.params`):
a bad page number or filter value is reported, naming the parameter, and the page
answers 400; U+0000 in the search box is reported next to it with 422.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from nitro.admin.filters import apply_filters
from nitro.admin.params import NUL_MESSAGE, has_nul, page_number, query_value, shown
from nitro.admin.specs import FieldAfter, FieldBefore, FieldContains
from nitro.persistence import Query
from nitro.specification import AndSpecification, OrSpecification, Specification

if TYPE_CHECKING:
    from nitro.admin.options import EntityAdmin
    from nitro.admin.requests import AdminRequest

__all__ = ["ListPage", "ListState", "fetch_page", "iter_matching", "list_state", "sort_keys"]

MAX_SEARCH_LENGTH = 200
MAX_SEARCH_TERMS = 8


@dataclass
class ListState:
    """What the list page's query string asks for (search, order, page, filters), validated; bad
    values become messages, not errors."""

    q: str = ""
    order: str = ""
    page: int = 1
    filters: dict[str, str] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    #: The message shown under the search box (U+0000 in it), if any.
    search_error: str = ""
    #: 200, or the 4xx the page answers when the query string was refused.
    status: int = 200
    where: Specification[Any] | None = None
    ordering: tuple[str, ...] = ()
    #: Keyset cursor from a "Next" link: the rows after the previous page's last row.
    after: FieldAfter | None = None
    #: Keyset cursor from a "Previous" link: the rows before the next page's first row.
    before: FieldBefore | None = None

    def refuse(self, message: str | None, status: int = 400) -> None:
        """Report a refused parameter; the page answers *status* (400 wins over 422)."""
        if message:
            self.errors.append(message)
        self.status = status if self.status == 200 else min(self.status, status)

    def params(self, **changes: Any) -> dict[str, str]:
        """The query parameters of this state, with *changes* (``None`` drops a key)."""
        params: dict[str, Any] = {"q": self.q, "o": self.order, **self.filters}
        if self.page > 1:
            params["p"] = str(self.page)
        params.update(changes)
        return {key: str(value) for key, value in params.items() if value not in (None, "")}


@dataclass
class ListPage:
    """One page of rows for the list view, with what the pager needs (a next page, the total when
    it was counted)."""

    rows: list[Any]
    has_next: bool
    total: int | None
    #: Whether :attr:`total` is the count cap and more rows match ("10,000+").
    more: bool = False

    @property
    def total_text(self) -> str | None:
        """``"1,234"``, ``"10,000+"``, or ``None`` when not counted."""
        if self.total is None:
            return None
        return f"{self.total:,}+" if self.more else f"{self.total:,}"


def list_state(
    entity_admin: EntityAdmin, request: AdminRequest, query: Mapping[str, str], q: str | None = None
) -> ListState:
    """Read search, ordering, filters and page from *query*.

    Bad values are left out of the query and reported (:attr:`ListState.errors`,
    :attr:`ListState.search_error`) with the status the page answers
    (:attr:`ListState.status`).
    """
    specs = entity_admin.field_specs
    state = ListState(q=(query.get("q", "") if q is None else q).strip()[:MAX_SEARCH_LENGTH])
    search_fields = entity_admin.get_search_fields(request)
    if search_fields and has_nul(state.q):
        state.q = shown(state.q)
        state.search_error = f"Search (q): {NUL_MESSAGE}"
        state.refuse(None, 422)  # shown under the search box
        search_fields = []
    if query.get("p", "") != "":
        try:
            state.page = page_number(query["p"])
        except ValueError as exc:
            state.refuse(f"Page (p): {exc}")
    filter_specs = [specs[name] for name in entity_admin.get_list_filter(request)]
    result = apply_filters(filter_specs, query)
    state.filters = result.active
    for message in result.errors:
        state.refuse(message)
    parts: list[Specification[Any]] = []
    base = entity_admin.get_base_spec(request)
    if base is not None:
        parts.append(base)
    parts.extend(result.specs)
    search = _search_spec(search_fields, state.q)
    if search is not None:
        parts.append(search)
    state.where = None if not parts else parts[0] if len(parts) == 1 else AndSpecification(*parts)
    state.order = query.get("o", "")
    state.ordering = _ordering(entity_admin, request, state.order)
    if state.ordering and state.order and state.ordering[0] != state.order:
        state.order = ""  # an unknown sort key was dropped
    state.after = _cursor(entity_admin, state, query, "after")
    if state.after is None:
        state.before = _cursor(entity_admin, state, query, "before")  # type: ignore[assignment]
    return state


def _keyset_field(entity_admin: EntityAdmin, state: ListState) -> str | None:
    """The sort field if pages can seek on it: one key, never ``None``, ordered."""
    if len(state.ordering) != 1:
        return None
    name = state.ordering[0].removeprefix("-")
    if name == "id":
        return name
    spec = entity_admin.field_specs.get(name)
    if spec is None or spec.optional or not spec.sortable or spec.kind == "json":
        return None
    return name


def _cursor(
    entity_admin: EntityAdmin, state: ListState, query: Mapping[str, str], side: str
) -> FieldAfter | None:
    """The keyset cursor of a "Next" (*side* ``after``) or "Previous" (``before``) link;
    ``None`` when there is none or it does not fit the ordering (then OFFSET serves)."""
    row_id = query.get(f"{side}_id", "")
    name = _keyset_field(entity_admin, state)
    if not row_id or has_nul(row_id) or name is None:
        return None
    if side == "after" and state.page < 2:
        return None
    make = FieldAfter if side == "after" else FieldBefore
    descending = state.ordering[0].startswith("-")
    if name == "id":
        return make("id", row_id, row_id, descending=descending)
    try:
        value = query_value(entity_admin.field_specs[name], query.get(side, ""))
    except ValueError:
        return None  # a bad cursor: fall back to OFFSET
    if value is None:
        return None
    return make(name, value, row_id, descending=descending)


def cursor_params(
    entity_admin: EntityAdmin, state: ListState, row: Any, side: str = "after"
) -> dict[str, str]:
    """``after``/``after_id`` for the "Next" link (*row*: the page's last), or
    ``before``/``before_id`` for "Previous" (*row*: its first), when the ordering allows
    seeking."""
    name = _keyset_field(entity_admin, state)
    if name is None:
        return {}
    if name == "id":
        return {f"{side}_id": row.id}
    value = getattr(row, name)
    if value is None:
        return {}
    return {side: entity_admin.field_specs[name].to_text(value), f"{side}_id": row.id}


def sortable_columns(entity_admin: EntityAdmin, request: AdminRequest) -> set[str]:
    specs = entity_admin.field_specs
    return {
        column
        for column in entity_admin.get_list_display(request)
        if isinstance(column, str) and column in specs and specs[column].sortable
    }


def _ordering(entity_admin: EntityAdmin, request: AdminRequest, order: str) -> tuple[str, ...]:
    if order and order.removeprefix("-") in sortable_columns(entity_admin, request):
        return (order,)
    default = tuple(entity_admin.get_ordering(request))
    return default or ("-id",)


def _search_spec(fields: list[str], q: str) -> Specification[Any] | None:
    """Every word must occur in at least one search field (as Django does)."""
    if not fields or not q:
        return None
    terms = q.split()[:MAX_SEARCH_TERMS]
    per_term: list[Specification[Any]] = []
    for term in terms:
        options = [FieldContains(name, term) for name in fields]
        per_term.append(options[0] if len(options) == 1 else OrSpecification(*options))
    return per_term[0] if len(per_term) == 1 else AndSpecification(*per_term)


def fetch_page(entity_admin: EntityAdmin, request: AdminRequest, state: ListState) -> ListPage:
    """One page through the repository protocol (``find``/``count``), on any backend."""
    per_page = entity_admin.get_list_per_page(request)
    repository = entity_admin.entity_cls.repository()
    order = sort_keys(state.ordering)
    if state.after is not None:  # seek past the previous page instead of OFFSET
        where = state.after if state.where is None else state.where & state.after
        query = Query(where=where, order_by=order, limit=per_page + 1)
    elif state.before is not None:  # seek back from the next page's first row
        where = state.before if state.where is None else state.where & state.before
        backwards = Query(where=where, order_by=_reversed(order), limit=per_page)
        rows = list(reversed(repository.find(backwards)))
        return _counted(entity_admin, repository, state, ListPage(rows, True, None))
    else:  # a page number: OFFSET (a deferred join on SQL, see nitro.sql)
        query = Query(
            where=state.where,
            order_by=order,
            offset=(state.page - 1) * per_page,
            limit=per_page + 1,
        )
    rows = repository.find(query)
    page = ListPage(rows[:per_page], len(rows) > per_page, None)
    return _counted(entity_admin, repository, state, page)


def _counted(
    entity_admin: EntityAdmin, repository: Any, state: ListState, page: ListPage
) -> ListPage:
    """*page* with the count of the matching rows, when the admin asks for one:
    exact (``show_full_count``) or stopping at ``count_cap`` (then "10,000+")."""
    cap = entity_admin.count_cap
    if cap is not None:
        found = repository.count_at_most(state.where, cap + 1)
        page.total, page.more = min(found, cap), found > cap
    elif entity_admin.show_full_count:
        page.total = repository.count(state.where)
    return page


def sort_keys(ordering: tuple[str, ...]) -> tuple[str, ...]:
    """The list's whole order: *ordering*, then ``id`` in the direction of its last key
    (``("-price",)`` -> ``("-price", "-id")``), so that one index on ``(price, id)``
    serves the order both ways without a sort step."""
    if not ordering:
        return ("-id",)
    if any(key.lstrip("-") == "id" for key in ordering):
        return ordering
    return (*ordering, "-id" if ordering[-1].startswith("-") else "id")


def _reversed(order: tuple[str, ...]) -> tuple[str, ...]:
    """A whole order (from :func:`sort_keys`) backwards: ``("name", "id")`` ->
    ``("-name", "-id")``."""
    return tuple(key[1:] if key.startswith("-") else f"-{key}" for key in order)


def iter_matching(entity_admin: EntityAdmin, state: ListState, batch: int = 500) -> list[Any]:
    """Every entity matching *state* (for "all rows matching the filter" actions).

    Read in id order, page by page, before the action runs, so an action that changes
    or deletes rows cannot make the pages shift under it.
    """
    repository = entity_admin.entity_cls.repository()
    found: list[Any] = []
    offset = 0
    while True:
        query = Query(where=state.where, order_by=("id",), offset=offset, limit=batch)
        chunk = repository.find(query)
        found.extend(chunk)
        if len(chunk) < batch:
            return found
        offset += batch
