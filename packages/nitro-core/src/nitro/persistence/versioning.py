"""Optimistic concurrency: entities that carry a version.

``class Order(Entity, versioned=True)`` (the same keyword on ``SQLEntity``) gives the
class an ``int`` field :data:`VERSION_FIELD` (``version``, 0 on a new entity). Every
repository then saves it conditionally and atomically:

* a copy with version ``n > 0`` is stored only if the stored entity still has version
  ``n``; it is stored with ``n + 1`` and the saved instance's ``version`` becomes
  ``n + 1``;
* a new entity (version 0) is stored with version 1 only if no entity with its id is
  stored (an expired one does not count);
* anything else raises :class:`~nitro.persistence.ConcurrencyError` and changes
  nothing, neither the store nor the instance.

A deleted (or expired) entity is gone for good for its stale copies: saving one raises
:class:`~nitro.persistence.ConcurrencyError` rather than bringing it back. Deleting is
not checked: ``delete()`` removes the entity whatever version the copy has.

Entities stored before their class became versioned read as version 0 and the first
versioned save of a copy with version 0 replaces them.

This module holds what entity bases and backends share; it has no I/O.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from nitro.persistence.errors import ConcurrencyError

__all__ = [
    "VERSIONED_FLAG",
    "VERSION_FIELD",
    "accepts",
    "add_version_field",
    "conflict",
    "is_versioned",
    "mark_saved",
]

#: The field a versioned entity carries.
VERSION_FIELD = "version"
#: The class attribute telling backends that a class is versioned.
VERSIONED_FLAG = "__nitro_versioned__"


def is_versioned(entity_cls: type[Any]) -> bool:
    """Whether *entity_cls* was declared with ``versioned=True`` (or inherits it)."""
    return bool(getattr(entity_cls, VERSIONED_FLAG, False))


def accepts(expected: int, found: int | None) -> bool:
    """Whether a copy with version *expected* may replace what is stored (*found*:
    the stored version, ``None`` when nothing live is stored)."""
    if found is None:
        return expected == 0
    return found == expected


def conflict(
    entity_cls: type[Any], entity_id: str, expected: int, found: int | None
) -> ConcurrencyError:
    """The :class:`ConcurrencyError` for a refused save, with a message that says why."""
    name = f"{entity_cls.__name__} {entity_id!r}"
    if found is None:
        reason = f"{name} was deleted (or expired) since this copy (version {expected}) was read"
    elif expected == 0:
        reason = f"{name} already exists (version {found}); load it to change it"
    else:
        reason = (
            f"{name} was changed by someone else: this copy has version {expected}, "
            f"the stored one {found}; load it again and retry"
        )
    return ConcurrencyError(
        reason, entity_cls=entity_cls, entity_id=entity_id, expected=expected, found=found
    )


def mark_saved(entity: Any, version: int) -> None:
    """Give the saved instance its new version (only after the store accepted it)."""
    setattr(entity, VERSION_FIELD, version)


def add_version_field(
    cls_name: str,
    namespace: dict[str, Any],
    bases: tuple[type[Any], ...],
    versioned: bool | None,
    field: Callable[..., Any],
) -> None:
    """Apply the ``versioned=`` class keyword to a class *namespace* before the model
    metaclass builds it: add ``version: int = field(default=0, ...)`` and the flag.

    *field* is the field specifier of the model base (``pydantic.Field``,
    ``sqlmodel.Field`` for a real column). ``versioned=None`` (keyword absent) keeps
    what the bases have; a subclass cannot turn versioning off.
    """
    inherited = any(is_versioned(base) for base in bases)
    if versioned is None or (versioned and inherited):
        return
    if not versioned:
        if inherited:
            raise TypeError(
                f"{cls_name}: versioned=False cannot turn off the versioning of a base class"
            )
        return
    annotations = namespace.setdefault("__annotations__", {})
    declared = VERSION_FIELD in annotations or VERSION_FIELD in namespace
    if declared or any(VERSION_FIELD in getattr(b, "__pydantic_fields__", ()) for b in bases):
        raise TypeError(
            f"{cls_name}: versioned=True adds the field {VERSION_FIELD!r}, which the class "
            f"already has; rename that field (for example 'revision')"
        )
    annotations[VERSION_FIELD] = int
    namespace[VERSION_FIELD] = field(
        default=0,
        ge=0,
        description="Optimistic-concurrency version: the number of saves, set by the repository.",
    )
    namespace[VERSIONED_FLAG] = True
