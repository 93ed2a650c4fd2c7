"""An audit log: who changed which entity, when, and what changed, field by field.

.. code-block:: python

    from nitro import audit

    audit.enable(Order, Customer)  # or audit.enable() for every entity class
    order.status = "shipped"
    order.save()
    audit.history(order)  # [AuditEntry(action="update", actor_id="ann",
    #   changes={"status": ["open", "shipped"]}, ...)]

Every ``save()`` and ``delete()`` of an audited class is recorded, whatever made it: an
action, the admin, a command, a job or plain code. The actor is
:func:`nitro.auth.current_user` (``None`` for anonymous work); ``via`` says through
what (``action Order.ship``, ``admin``, ``command ShipOrder``, ``job send_mail``,
``code``). Entries are :class:`AuditEntry` entities in any repository
(``use_backend(...)`` as for any entity).

**Atomic with the change.** Inside a unit of work (every action, admin save and
command runs in one) the entry is written in the same unit: a rolled-back change leaves
no entry. Outside one, the entry is written right after the change succeeded. Keep
``AuditEntry`` in the same database as the audited entities for the SQL unit to cover
both.

**Secrets stay out**: ``SecretStr`` fields, names with ``password``, ``secret``,
``token``... and ``Field(json_schema_extra={"sensitive": True})`` appear only as
``["***", "***"]`` when they change.
"""

from __future__ import annotations

import time
from contextvars import ContextVar
from typing import Any, Literal

from nitro.audit import context as _context
from nitro.audit._diff import changes, secret_fields
from nitro.audit.context import current_via, via
from nitro.auth.context import current_user
from nitro.entity import Entity
from nitro.events import post_delete, post_save, pre_delete, pre_save
from nitro.persistence.units import current_unit

__all__ = ["AuditEntry", "current_via", "disable", "enable", "history", "via"]


class AuditEntry(Entity):
    """One recorded change."""

    entity_type: str
    entity_id: str
    action: Literal["create", "update", "delete"]
    actor_id: str | None = None
    actor_name: str = ""
    via: str = "code"
    at: float = 0.0
    #: ``{field: [old, new]}``
    changes: dict[str, list[Any]] = {}


class _Log:
    """Which classes are audited, and the receivers that record their changes."""

    def __init__(self) -> None:
        self.classes: set[type] | None = set()  # None: every entity class
        self.connected = False
        self.hidden: dict[type, frozenset[str]] = {}

    def covers(self, cls: type) -> bool:
        if cls is AuditEntry or (isinstance(cls, type) and issubclass(cls, AuditEntry)):
            return False
        return self.classes is None or cls in self.classes

    def hidden_fields(self, cls: type) -> frozenset[str]:
        found = self.hidden.get(cls)
        if found is None:
            found = self.hidden[cls] = secret_fields(cls)
        return found


_log = _Log()
#: Entries waiting for post_save/post_delete (changes made outside a unit of work).
_waiting: ContextVar[dict[int, AuditEntry] | None] = ContextVar("nitro_audit_waiting", default=None)


def enable(*entity_classes: type) -> None:
    """Audit *entity_classes* (none given: every entity class)."""
    if entity_classes:
        if _log.classes is not None:
            _log.classes.update(entity_classes)
    else:
        _log.classes = None
    _context.recording = True
    if not _log.connected:
        pre_save.connect(_before_save, weak=False)
        pre_delete.connect(_before_delete, weak=False)
        post_save.connect(_after, weak=False)
        post_delete.connect(_after, weak=False)
        _log.connected = True


def disable() -> None:
    """Stop auditing (tests)."""
    _log.classes = set()
    _context.recording = False
    if _log.connected:
        pre_save.disconnect(_before_save)
        pre_delete.disconnect(_before_delete)
        post_save.disconnect(_after)
        post_delete.disconnect(_after)
        _log.connected = False


def history(entity: Any) -> list[AuditEntry]:
    """The recorded changes of *entity* (an instance, or ``(class, id)``), oldest first."""
    cls, entity_id = entity if isinstance(entity, tuple) else (type(entity), entity.id)
    entries = AuditEntry.filter(entity_type=_name(cls), entity_id=entity_id)
    return sorted(entries, key=lambda e: e.at)


def _name(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def _entry(cls: type, entity: Any, action: str, diff: dict[str, list[Any]]) -> AuditEntry:
    user = current_user()
    return AuditEntry(
        entity_type=_name(cls),
        entity_id=str(entity.id),
        action=action,  # type: ignore[arg-type]
        actor_id=None if user.id is None else str(user.id),
        actor_name=user.username,
        via=current_via(),
        at=time.time(),
        changes=diff,
    )


def _record(cls: type, entity: Any, entry: AuditEntry) -> None:
    if current_unit() is not None:
        entry.save()  # a write of the same unit: committed or rolled back with the change
        return
    waiting = _waiting.get()
    if waiting is None:
        waiting = {}
        _waiting.set(waiting)
    waiting[id(entity)] = entry  # written once the change succeeded (see _after)


def _before_save(sender: Any, entity: Any, **_: Any) -> None:
    if not _log.covers(sender):
        return
    stored = sender.get(entity.id)  # as this unit of work sees it
    before = None if stored is None else stored.model_dump(mode="json")
    diff = changes(before, entity.model_dump(mode="json"), _log.hidden_fields(sender))
    if stored is not None and not diff:
        return  # saved unchanged: nothing to record
    _record(sender, entity, _entry(sender, entity, "create" if stored is None else "update", diff))


def _before_delete(sender: Any, entity: Any, **_: Any) -> None:
    if not _log.covers(sender):
        return
    stored = sender.get(entity.id)
    if stored is None:
        return
    diff = changes(stored.model_dump(mode="json"), None, _log.hidden_fields(sender))
    _record(sender, entity, _entry(sender, entity, "delete", diff))


def _after(sender: Any, entity: Any, **_: Any) -> None:
    waiting = _waiting.get()
    if waiting:
        entry = waiting.pop(id(entity), None)
        if entry is not None:
            entry.save()
