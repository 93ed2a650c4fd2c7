"""The checks of one registered entity's options: one ``_check_<option>`` per option.

Separate from the site-wide checks (:mod:`nitro.admin._checks_site`) because they
read only one :class:`~nitro.admin.EntityAdmin` each, and
:data:`ENTITY_CHECKS` runs them in order for every registered entity.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from nitro.admin._checks_base import (
    _SLUG,
    CheckMessage,
    _field_list,
    _is_sequence,
    must_be,
    refer_to_missing_field,
)
from nitro.admin.fields import CHOICE_KINDS, RANGE_KINDS, RELATION, TEXT_KINDS
from nitro.auth.rules import RowRule

if TYPE_CHECKING:
    from nitro.admin.options import EntityAdmin

#: Query-string keys the list page uses itself; a filter on such a field would clash.
RESERVED_QUERY_KEYS = frozenset({"q", "o", "p", "msg", "datastar", "after", "after_id"})
WIDGET_KINDS = frozenset(
    {"text", "textarea", "int", "float", "decimal", "bool", "date", "datetime", "time", "json"}
)


# -- one function per option ------------------------------------------------------------


def _check_list_display(admin: EntityAdmin) -> list[CheckMessage]:
    value = admin.list_display
    entity = admin.entity_cls
    if value is None:
        return []
    if not _is_sequence(value):
        return [must_be("a list or tuple", "list_display", entity.__name__, "admin.E001")]
    return [
        refer_to_missing_field(item, f"list_display[{index}]", entity, "admin.E002")
        for index, item in enumerate(value)
        if not callable(item) and item not in admin.field_specs
    ]


def _check_search_fields(admin: EntityAdmin) -> list[CheckMessage]:
    errors, valid = _field_list(admin, "search_fields", "admin.E005", "admin.E003")
    for index, name in valid:
        if admin.field_specs[name].kind not in TEXT_KINDS:
            errors.append(
                CheckMessage(
                    "admin.E004",
                    f"The value of 'search_fields[{index}]' refers to {name!r}, which is "
                    f"not a text field of '{admin.entity_cls.__name__}'.",
                    "search only str fields; filter other fields with list_filter.",
                )
            )
    return errors


def _check_list_filter(admin: EntityAdmin) -> list[CheckMessage]:
    errors, valid = _field_list(admin, "list_filter", "admin.E006", "admin.E007")
    for index, name in valid:
        kind = admin.field_specs[name].kind
        if kind not in CHOICE_KINDS | RANGE_KINDS | {RELATION}:
            errors.append(
                CheckMessage(
                    "admin.E008",
                    f"The value of 'list_filter[{index}]' refers to {name!r}, whose type "
                    f"({kind}) cannot be filtered.",
                    "filter bool, Enum, Literal, number and date fields; search text fields.",
                )
            )
        if name in RESERVED_QUERY_KEYS:
            errors.append(
                CheckMessage(
                    "admin.E009",
                    f"The value of 'list_filter[{index}]' refers to {name!r}, a name the "
                    f"list page uses in its URL ({', '.join(sorted(RESERVED_QUERY_KEYS))}).",
                )
            )
    return errors


def _check_ordering(admin: EntityAdmin) -> list[CheckMessage]:
    value = admin.ordering
    entity = admin.entity_cls
    if not _is_sequence(value):
        return [must_be("a list or tuple", "ordering", entity.__name__, "admin.E010")]
    return [
        refer_to_missing_field(name, f"ordering[{index}]", entity, "admin.E011")
        for index, name in enumerate(value)
        if not isinstance(name, str) or name.removeprefix("-") not in admin.field_specs
    ]


def _check_list_per_page(admin: EntityAdmin) -> list[CheckMessage]:
    value = admin.list_per_page
    if type(value) is not int or not 1 <= value <= 1000:
        name = admin.entity_cls.__name__
        return [must_be("an int between 1 and 1000", "list_per_page", name, "admin.E012")]
    return []


def _check_readonly_fields(admin: EntityAdmin) -> list[CheckMessage]:
    return _field_list(admin, "readonly_fields", "admin.E013", "admin.E014")[0]


def _check_fields(admin: EntityAdmin) -> list[CheckMessage]:
    if admin.fields is None:
        return []
    return _field_list(admin, "fields", "admin.E015", "admin.E016")[0]


def _check_exclude(admin: EntityAdmin) -> list[CheckMessage]:
    return _field_list(admin, "exclude", "admin.E017", "admin.E018")[0]


def _check_actions(admin: EntityAdmin) -> list[CheckMessage]:
    value = admin.actions
    name = admin.entity_cls.__name__
    if not _is_sequence(value):
        return [must_be("a list or tuple", "actions", name, "admin.E019")]
    return [
        CheckMessage(
            "admin.E020",
            f"The value of 'actions[{index}]' of {name}Admin must be a function "
            f"(request, entities) -> message, got {item!r}.",
        )
        for index, item in enumerate(value)
        if not callable(item)
    ]


def _check_mapping(
    admin: EntityAdmin, option: str, ids: tuple[str, str, str], valid: Callable[[Any], bool]
) -> list[CheckMessage]:
    value = getattr(admin, option)
    entity = admin.entity_cls
    if not isinstance(value, Mapping):
        return [must_be("a dict", option, entity.__name__, ids[0])]
    errors = []
    for key, item in value.items():
        if key not in admin.field_specs:
            errors.append(refer_to_missing_field(key, f"{option}[{key!r}]", entity, ids[1]))
        elif not valid(item):
            errors.append(
                CheckMessage(ids[2], f"The value of '{option}[{key!r}]' is not valid: {item!r}.")
            )
    return errors


def _check_formatters(admin: EntityAdmin) -> list[CheckMessage]:
    return _check_mapping(admin, "formatters", ("admin.E021", "admin.E022", "admin.E023"), callable)


def _check_widgets(admin: EntityAdmin) -> list[CheckMessage]:
    return _check_mapping(
        admin,
        "widgets",
        ("admin.E024", "admin.E025", "admin.E026"),
        lambda kind: kind in WIDGET_KINDS,
    )


def _check_relations(admin: EntityAdmin) -> list[CheckMessage]:
    value = admin.relations
    entity = admin.entity_cls
    if not isinstance(value, Mapping):
        return [must_be("a dict", "relations", entity.__name__, "admin.E031")]
    errors = []
    for key, target in value.items():
        if key not in admin.field_specs:
            errors.append(refer_to_missing_field(key, f"relations[{key!r}]", entity, "admin.E032"))
        elif not isinstance(target, type) or target not in admin.site.registry:
            errors.append(
                CheckMessage(
                    "admin.E033",
                    f"The value of 'relations[{key!r}]' must be an entity class registered "
                    f"on the same admin site, got {target!r}.",
                    "register the related entity too (before mounting).",
                )
            )
        elif not admin.site.registry[target].search_fields:
            errors.append(
                CheckMessage(
                    "admin.E034",
                    f"The value of 'relations[{key!r}]' refers to {target.__name__}, whose "
                    f"admin has no search_fields, so its picker could not search.",
                    f"give {target.__name__} search_fields when registering it.",
                )
            )
    return errors


def _check_inlines(admin: EntityAdmin) -> list[CheckMessage]:
    from nitro.admin.fields import describe_fields
    from nitro.admin.inlines import Inline

    value = admin.inlines
    name = admin.entity_cls.__name__
    if not _is_sequence(value):
        return [must_be("a list or tuple", "inlines", name, "admin.E035")]
    errors: list[CheckMessage] = []
    for index, inline in enumerate(value):
        option = f"inlines[{index}]"
        if not isinstance(inline, Inline) or not hasattr(inline.entity_cls, "model_fields"):
            errors.append(
                CheckMessage(
                    "admin.E035",
                    f"The value of '{option}' of {name}Admin must be "
                    f"Inline(EntityClass, fk=...), got {inline!r}.",
                )
            )
            continue
        related = inline.entity_cls
        fields = describe_fields(related)
        if inline.fk not in fields:
            errors.append(refer_to_missing_field(inline.fk, f"{option}.fk", related, "admin.E036"))
        names = list(inline.fields) if inline.fields is not None else inline.field_names()
        errors.extend(
            refer_to_missing_field(field, f"{option}.fields[{i}]", related, "admin.E037")
            for i, field in enumerate(names)
            if field not in fields
        )
        missing = [
            field
            for field, spec in fields.items()
            if spec.required and field not in (*names, inline.fk, "id")
        ]
        if missing and inline.extra:
            errors.append(
                CheckMessage(
                    "admin.E038",
                    f"The value of '{option}' cannot create {related.__name__} rows: the "
                    f"required field(s) {', '.join(map(repr, missing))} are not in its fields.",
                    "add them to Inline(fields=...) or set extra=0.",
                )
            )
    return errors


def _check_slug(admin: EntityAdmin) -> list[CheckMessage]:
    if not _SLUG.match(admin.slug_value):
        return [
            CheckMessage(
                "admin.E027",
                f"The slug {admin.slug_value!r} of {admin.entity_cls.__name__}Admin must be "
                f"lower-case letters, digits, '-' and '_'.",
            )
        ]
    return []


def _check_count_cap(admin: EntityAdmin) -> list[CheckMessage]:
    value = admin.count_cap
    if value is not None and (type(value) is not int or value < 1):
        name = admin.entity_cls.__name__
        return [must_be("None or an int of at least 1", "count_cap", name, "admin.E044")]
    return []


def _check_flags(admin: EntityAdmin) -> list[CheckMessage]:
    name = admin.entity_cls.__name__
    return [
        must_be("True or False", flag, name, "admin.E030")
        for flag in ("can_create", "can_edit", "can_delete", "show_full_count")
        if not isinstance(getattr(admin, flag), bool)
    ]


def _check_required_on_form(admin: EntityAdmin) -> list[CheckMessage]:
    """A required field left off the form makes "Add" fail on every submit."""
    if admin.can_create is not True or not _is_sequence(admin.exclude):
        return []
    if admin.fields is not None and not _is_sequence(admin.fields):
        return []
    if not _is_sequence(admin.readonly_fields):
        return []
    on_form = set(admin.fields if admin.fields is not None else admin.field_specs)
    on_form -= set(admin.exclude) | set(admin.readonly_fields)
    return [
        CheckMessage(
            "admin.E029",
            f"The field {name!r} of '{admin.entity_cls.__name__}' is required but not "
            f"editable on the form, so new entities could never be saved.",
            "add it to 'fields', give it a default, or set can_create=False.",
        )
        for name, spec in admin.field_specs.items()
        if spec.required and name != "id" and name not in on_form
    ]


def _check_row_rule(admin: EntityAdmin) -> list[CheckMessage]:
    if admin.row_rule is None or isinstance(admin.row_rule, RowRule):
        return []
    return [
        CheckMessage(
            "admin.E043",
            f"The value of 'row_rule' of '{admin.entity_cls.__name__}' must be a "
            f"nitro.auth.RowRule, not {type(admin.row_rule).__name__}.",
            "wrap the rule: RowRule(lambda user: FieldEquals('owner_id', user.id)).",
        )
    ]


ENTITY_CHECKS: tuple[Callable[[EntityAdmin], list[CheckMessage]], ...] = (
    _check_list_display,
    _check_search_fields,
    _check_list_filter,
    _check_ordering,
    _check_list_per_page,
    _check_count_cap,
    _check_readonly_fields,
    _check_fields,
    _check_exclude,
    _check_actions,
    _check_formatters,
    _check_widgets,
    _check_relations,
    _check_inlines,
    _check_row_rule,
    _check_slug,
    _check_flags,
    _check_required_on_form,
)
