"""The vocabulary every admin check speaks: the message type and its shared wording.

Kept apart from the checks themselves so that the per-entity checks
(:mod:`nitro.admin._checks_entity`) and the site-wide ones
(:mod:`nitro.admin._checks_site`) word the same problem the same way, and
:mod:`nitro.admin.checks` can import both without a cycle.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from nitro.admin.options import EntityAdmin

_SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


@dataclass(frozen=True)
class CheckMessage:
    """One problem found by the start-up checks: a stable ``id`` (``admin.E003``), the message,
    and an optional hint naming the fix."""

    id: str
    msg: str
    hint: str | None = None

    def __str__(self) -> str:
        return f"{self.id}: {self.msg}" + (f" HINT: {self.hint}" if self.hint else "")


# A public name keeps its public home (tests/test_exports.py): users import it from
# nitro.admin.checks, so reprs, tracebacks and pickles keep naming that module.
CheckMessage.__module__ = "nitro.admin.checks"


# -- wording helpers --------------------------------------------------------------------


def must_be(kind: str, option: str, entity: str, id: str) -> CheckMessage:
    return CheckMessage(id, f"The value of '{option}' of {entity}Admin must be {kind}.")


def refer_to_missing_field(field: object, option: str, entity: type[Any], id: str) -> CheckMessage:
    fields = ", ".join(entity.model_fields)
    return CheckMessage(
        id,
        f"The value of '{option}' refers to {field!r}, which is not a field of "
        f"'{entity.__name__}'.",
        f"its fields are: {fields}.",
    )


def _is_sequence(value: object) -> bool:
    return isinstance(value, list | tuple)


def _field_list(
    admin: EntityAdmin, option: str, type_id: str, missing_id: str
) -> tuple[list[CheckMessage], list[tuple[int, str]]]:
    """Shared shape check: a list/tuple of field names; returns the valid ones too."""
    value = getattr(admin, option)
    entity = admin.entity_cls
    if not _is_sequence(value):
        return [must_be("a list or tuple", option, entity.__name__, type_id)], []
    errors, valid = [], []
    for index, name in enumerate(value):
        if name not in admin.field_specs:
            errors.append(refer_to_missing_field(name, f"{option}[{index}]", entity, missing_id))
        else:
            valid.append((index, name))
    return errors, valid
