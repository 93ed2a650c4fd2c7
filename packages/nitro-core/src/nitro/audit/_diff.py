"""What changed between two states of an entity, without its secrets."""

from __future__ import annotations

from typing import Any

from pydantic import SecretBytes, SecretStr

__all__ = ["SECRET_WORDS", "changes", "secret_fields"]

#: Field names containing one of these are never written to the log.
SECRET_WORDS = ("password", "secret", "token", "api_key", "private_key")

#: Fields that are bookkeeping, not the entity's state.
_IGNORED = {"id", "version"}


def secret_fields(entity_cls: type[Any]) -> frozenset[str]:
    """The fields of *entity_cls* kept out of the log: secret types (``SecretStr``),
    names with a :data:`SECRET_WORDS` word, and ``Field(json_schema_extra={"sensitive":
    True})``."""
    found = set()
    for name, info in getattr(entity_cls, "model_fields", {}).items():
        extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
        if (
            info.annotation in (SecretStr, SecretBytes)
            or any(word in name.lower() for word in SECRET_WORDS)
            or extra.get("sensitive") is True
        ):
            found.add(name)
    return frozenset(found)


def changes(
    before: dict[str, Any] | None, after: dict[str, Any] | None, hidden: frozenset[str]
) -> dict[str, list[Any]]:
    """``{field: [old, new]}`` of the fields that differ (a created entity: every field
    from ``None``; a deleted one: every field to ``None``). A hidden field that changed
    appears as ``["***", "***"]``, so the log says *that* it changed, never to what."""
    before, after = before or {}, after or {}
    found: dict[str, list[Any]] = {}
    for name in sorted(set(before) | set(after)):
        if name in _IGNORED:
            continue
        old, new = before.get(name), after.get(name)
        if old == new:
            continue
        found[name] = ["***", "***"] if name in hidden else [old, new]
    return found
