"""``EntityAdmin``: how one entity class appears in the admin, as class attributes.

Options are plain class attributes, as in Django's ``ModelAdmin``; each has a
``get_<option>(request)`` hook to change it per request (per user, for instance).
``admin.register(Product, list_display=[...])`` builds a subclass from keywords.
Options are validated by :mod:`nitro.admin.checks` when the admin is mounted.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from functools import cached_property
from typing import TYPE_CHECKING, Any, ClassVar

from nitro.admin.fields import RELATION, FieldSpec, describe_fields
from nitro.admin.inlines import Inline
from nitro.auth.rules import RowRule
from nitro.specification import Specification

if TYPE_CHECKING:
    from nitro.admin.requests import AdminRequest
    from nitro.admin.site import Admin

__all__ = ["OPTION_NAMES", "EntityAdmin"]

#: What an action receives: the request and the entities to act on; it may return a
#: message shown to the user.
AdminAction = Callable[["AdminRequest", list[Any]], str | None]


class EntityAdmin:
    """Options for one registered entity class. Subclass it or pass keywords to
    :meth:`Admin.register <nitro.admin.Admin.register>`.
    """

    #: Columns of the list page: field names, or callables ``entity -> value``
    #: (``None``: up to seven non-JSON fields besides ``id``).
    list_display: ClassVar[Sequence[str | Callable[[Any], Any]] | None] = None
    #: Fields with a filter: choices for bool/Enum/Literal, ranges for numbers and dates.
    list_filter: ClassVar[Sequence[str]] = ()
    #: Text fields searched (case-insensitive "contains"; every word must match).
    search_fields: ClassVar[Sequence[str]] = ()
    #: Default sort (``"-price"`` for descending).
    ordering: ClassVar[Sequence[str]] = ()
    list_per_page: ClassVar[int] = 50
    #: Count the matching rows to show "of N" and the last page. Off by default:
    #: an unbounded ``COUNT(*)`` is what makes other admins slow on big tables.
    show_full_count: ClassVar[bool] = False
    #: Count the matching rows up to this many and show "of 10,000+" beyond
    #: (``None``: no capped count). The count stops reading at the cap.
    count_cap: ClassVar[int | None] = None
    #: Shown on the form but never taken from it.
    readonly_fields: ClassVar[Sequence[str]] = ()
    #: The form's fields, in order (``None``: every field except ``id``).
    fields: ClassVar[Sequence[str] | None] = None
    exclude: ClassVar[Sequence[str]] = ()
    #: Bulk actions besides "Delete selected": functions ``(request, entities) -> message``.
    #: Each needs the change permission unless it has a ``permission`` attribute
    #: (``"view"``, ``"add"``, ``"change"`` or ``"delete"``); ``short_description`` labels it.
    actions: ClassVar[Sequence[AdminAction]] = ()
    can_create: ClassVar[bool] = True
    can_edit: ClassVar[bool] = True
    can_delete: ClassVar[bool] = True
    #: ``{"price": lambda value: f"{value:.2f} €"}``: how list cells show a field.
    formatters: ClassVar[Mapping[str, Callable[[Any], Any]]] = {}
    #: ``{"summary": "textarea"}``: override the widget chosen from the annotation.
    widgets: ClassVar[Mapping[str, str]] = {}
    #: ``{"category_id": Category}``: fields holding the id of another registered
    #: entity; they get a searchable picker, a filter and the related title in lists.
    relations: ClassVar[Mapping[str, type[Any]]] = {}
    #: Related rows edited on this entity's form: ``[Inline(Book, fk="shelf_id")]``.
    inlines: ClassVar[Sequence[Inline]] = ()
    #: A :class:`nitro.auth.RowRule`: the rows a (non-super) user sees, edits and
    #: deletes here; the same object can guard the entity's actions (``allow=``).
    row_rule: ClassVar[RowRule | None] = None
    #: Names in the UI and the URL (default: from the class name).
    label: ClassVar[str | None] = None
    label_plural: ClassVar[str | None] = None
    slug: ClassVar[str | None] = None

    def __init__(self, entity_cls: type[Any], site: Admin) -> None:
        self.entity_cls = entity_cls
        self.site = site
        name = entity_cls.__name__
        self.slug_value: str = self.slug or name.lower()
        self.label_value: str = self.label or _words(name)
        self.label_plural_value: str = self.label_plural or self.label_value + "s"

    def __repr__(self) -> str:
        return f"<{type(self).__name__} for {self.entity_cls.__name__}>"

    # -- field metadata ----------------------------------------------------------------

    @cached_property
    def field_specs(self) -> dict[str, FieldSpec]:
        """The entity's fields, with ``widgets`` and ``relations`` applied."""
        specs = dict(describe_fields(self.entity_cls))
        widgets = self.widgets if isinstance(self.widgets, Mapping) else {}
        relations = self.relations if isinstance(self.relations, Mapping) else {}
        for name, spec in specs.items():
            if name in relations and isinstance(relations[name], type):
                specs[name] = replace(spec, kind=RELATION, related=relations[name])
            elif name in widgets:
                specs[name] = replace(spec, kind=widgets[name])
        return specs

    # -- per-request hooks (override to vary by user) --------------------------------

    def get_list_display(self, request: AdminRequest) -> list[str | Callable[[Any], Any]]:
        if self.list_display is not None:
            return list(self.list_display)
        shown: list[str | Callable[[Any], Any]] = [
            name for name, spec in self.field_specs.items() if spec.kind != "json" and name != "id"
        ]
        return shown[:7] or ["id"]

    def get_list_filter(self, request: AdminRequest) -> list[str]:
        return list(self.list_filter)

    def get_search_fields(self, request: AdminRequest) -> list[str]:
        return list(self.search_fields)

    def get_ordering(self, request: AdminRequest) -> list[str]:
        return list(self.ordering)

    def get_list_per_page(self, request: AdminRequest) -> int:
        return self.list_per_page

    def get_readonly_fields(self, request: AdminRequest, entity: Any = None) -> list[str]:
        return list(self.readonly_fields)

    def get_fields(self, request: AdminRequest, entity: Any = None) -> list[str]:
        names = (
            list(self.fields)
            if self.fields is not None
            else [name for name in self.field_specs if name != "id"]
        )
        return [name for name in names if name not in self.exclude]

    def get_actions(self, request: AdminRequest) -> dict[str, tuple[AdminAction, str]]:
        """Available bulk actions: ``{name: (function, label)}``."""
        found: dict[str, tuple[AdminAction, str]] = {}
        if self.has_delete_permission(request):
            found["delete_selected"] = (_delete_selected, "Delete selected")
        allowed = {
            "view": self.has_view_permission,
            "add": self.has_add_permission,
            "change": self.has_change_permission,
            "delete": self.has_delete_permission,
        }
        for function in self.actions:
            # An action changes data unless it says otherwise (``export.permission = "view"``).
            check = allowed.get(getattr(function, "permission", "change"))
            if check is None or not check(request):
                continue
            name = getattr(function, "__name__", repr(function))
            label = getattr(function, "short_description", None) or _words(name).capitalize()
            found[name] = (function, label)
        return found

    def get_inlines(self, request: AdminRequest, entity: Any = None) -> list[tuple[Inline, bool]]:
        """``(inline, editable)`` pairs. An inline is read-only unless the user may
        change this entity and, when the related class is registered on the site,
        add, change and delete it there too."""
        found = []
        for inline in self.inlines:
            editable = self.has_change_permission(request) if entity is not None else True
            related = self.site.registry.get(inline.entity_cls)
            if related is not None:
                editable = editable and all(
                    check(request)
                    for check in (
                        related.has_add_permission,
                        related.has_change_permission,
                        related.has_delete_permission,
                    )
                )
            found.append((inline, editable))
        return found

    def get_base_spec(self, request: AdminRequest) -> Specification[Any] | None:
        """Restrict what this user sees (row-level permissions); ``None``: everything.

        The default applies :attr:`row_rule`, so the rule that guards the entity's
        actions filters its admin lists (in the database) and hides its other rows."""
        if self.row_rule is None or request.user is None:
            return None
        return self.row_rule.spec(request.user)

    # -- permissions: the site's hook, narrowed by can_create/can_edit/can_delete ---

    def has_view_permission(self, request: AdminRequest) -> bool:
        return request.has_perm("view", self)

    def has_add_permission(self, request: AdminRequest) -> bool:
        return self.can_create and request.has_perm("add", self)

    def has_change_permission(self, request: AdminRequest) -> bool:
        return self.can_edit and request.has_perm("change", self)

    def has_delete_permission(self, request: AdminRequest) -> bool:
        return self.can_delete and request.has_perm("delete", self)

    # -- display -------------------------------------------------------------------------

    def column_label(self, column: str | Callable[[Any], Any]) -> str:
        if callable(column):
            return (
                getattr(column, "short_description", None)
                or _words(getattr(column, "__name__", "value")).capitalize()
            )
        spec = self.field_specs.get(column)
        return spec.label if spec else column

    def display_value(self, entity: Any, column: str | Callable[[Any], Any]) -> Any:
        if callable(column):
            return column(entity)
        value = getattr(entity, column)
        formatter = self.formatters.get(column)
        if formatter is not None:
            return formatter(value)
        spec = self.field_specs.get(column)
        if value is None:
            return "—"
        if spec is not None and spec.kind == "bool":
            return bool(value)  # shown as a Yes/No badge
        if spec is not None and spec.kind == "choice":
            return spec.choice_label(value)
        return value if isinstance(value, int | float | str) else str(value)

    def entity_title(self, entity: Any) -> str:
        for name in ("name", "title", "label", "username", "email"):
            value = getattr(entity, name, None)
            if isinstance(value, str) and value:
                return value
        return f"{self.label_value} {entity.id}"


def _delete_selected(request: AdminRequest, entities: list[Any]) -> str:
    for entity in entities:
        entity.delete()
    count = len(entities)
    return f"Deleted {count} item{'s' if count != 1 else ''}."


def _words(name: str) -> str:
    """``"OrderLine"`` -> ``"Order line"``, ``"in_stock"`` -> ``"In stock"``."""
    out: list[str] = []
    for index, char in enumerate(name.replace("_", " ")):
        if char.isupper() and index and name[index - 1].islower():
            out.append(" ")
            out.append(char.lower())
        else:
            out.append(char)
    text = "".join(out).strip()
    return text[:1].upper() + text[1:]


#: Every option ``register(**options)`` accepts.
OPTION_NAMES = frozenset(
    {
        "list_display",
        "list_filter",
        "search_fields",
        "ordering",
        "list_per_page",
        "show_full_count",
        "count_cap",
        "readonly_fields",
        "fields",
        "exclude",
        "actions",
        "can_create",
        "can_edit",
        "can_delete",
        "formatters",
        "widgets",
        "relations",
        "inlines",
        "row_rule",
        "label",
        "label_plural",
        "slug",
    }
)
