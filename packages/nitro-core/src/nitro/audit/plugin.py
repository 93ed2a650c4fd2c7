"""The audit log as a plugin: on from the environment, with a list in the admin.

``nitro-core`` installs it under the ``audit`` entry point of ``nitro.plugins``, so it
runs in every app unless ``NITRO_PLUGINS`` leaves it out, and does nothing until
``NITRO_AUDIT`` says what to record:

* ``NITRO_AUDIT=*`` audits every entity class;
* ``NITRO_AUDIT=shop.models:Order,shop.models:Customer`` audits those classes.

Code can still call :func:`nitro.audit.enable` itself; the admin part below works for
either. When an admin site is mounted while auditing is on, the plugin registers
:class:`~nitro.audit.AuditEntry` there, read-only, as the audit list (filters by
action, search by entity, actor and path, newest first).
"""

from __future__ import annotations

import importlib
import os
from datetime import UTC, datetime
from typing import Any

from nitro import audit
from nitro.audit import context

__all__ = ["SETTING", "AuditPlugin", "plugin"]

#: The environment variable naming the entity classes to audit (``*`` for all, or ``module:Class``
#: names, comma-separated).
SETTING = "NITRO_AUDIT"


class AuditPlugin:
    """The ``audit`` plugin (see the module docs)."""

    def setup(self) -> None:
        setting = os.environ.get(SETTING, "").strip()
        if not setting:
            return
        if setting in ("*", "all"):
            audit.enable()
            return
        audit.enable(*(_import(name.strip()) for name in setting.split(",") if name.strip()))

    def admin_mounted(self, admin: Any) -> None:
        if not context.recording or audit.AuditEntry in admin.registry:
            return
        admin.register(
            audit.AuditEntry,
            label="Audit entry",
            label_plural="Audit log",
            slug="audit",
            list_display=["at", "action", "entity_type", "entity_id", "actor_name", "via"],
            list_filter=["action"],
            formatters={"at": _when},
            search_fields=["entity_type", "entity_id", "actor_name", "via"],
            ordering=["-at"],
            readonly_fields=list(audit.AuditEntry.model_fields),
            can_create=False,
            can_edit=False,
            can_delete=False,
        )


def _when(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _import(path: str) -> type:
    module_name, _, attribute = path.partition(":")
    if not module_name or not attribute:
        raise ValueError(
            f"{SETTING} names classes as 'module:Class' (or '*' for all), not {path!r}"
        )
    found = getattr(importlib.import_module(module_name), attribute, None)
    if not isinstance(found, type):
        raise ValueError(f"{SETTING}: {path!r} is not a class")
    return found


#: The ``audit`` plugin, registered under the ``nitro.plugins`` entry point.
plugin = AuditPlugin()
