"""Whether an action changed its entity: the state before the call against the state after.

The state compared is what ``model_dump()`` returns: the fields (not those declared
with ``exclude=True``) and the extra values. Dumping the model twice per request costs
more than the rest of a small action, so when the dump is the values themselves -- no
serializer or computed field on the class, every value immutable and of a type
``model_dump`` returns as it is (str, int, float, datetime, ...) -- the values are
compared directly. Otherwise the snapshot is the dump, as before.
"""

from __future__ import annotations

from typing import Any

from nitro.persistence._snapshot import _ATOMIC

__all__ = ["ChangeTracker"]


class _Dump(dict[str, Any]):
    """A snapshot that is a ``model_dump()`` (the values were not all plain)."""


class ChangeTracker:
    """Takes and compares snapshots of the instances of one entity class."""

    __slots__ = ("direct", "fields", "names")

    def __init__(self, entity_cls: type[Any]) -> None:
        fields = entity_cls.__pydantic_fields__
        decorators = getattr(entity_cls, "__pydantic_decorators__", None)
        #: The field names ``model_dump()`` writes.
        self.names = tuple(name for name, info in fields.items() if not info.exclude)
        #: The same as a set, when they are all the fields (no ``exclude=True``): an
        #: instance whose ``__dict__`` holds exactly these (the usual) is read as it is.
        self.fields = frozenset(self.names) if len(self.names) == len(fields) else None
        #: Whether the dump can be the values themselves (no serializer changes them).
        self.direct = (
            decorators is not None
            and not decorators.computed_fields
            and not decorators.model_serializers
            and not decorators.field_serializers
            and all(getattr(info, "exclude_if", None) is None for info in fields.values())
        )

    def _values(self, entity: Any, copy: bool) -> dict[str, Any] | None:
        values: dict[str, Any] = entity.__dict__
        extra = entity.__pydantic_extra__
        if not extra and values.keys() == self.fields:
            return values.copy() if copy else values
        try:
            found = {name: values[name] for name in self.names}
        except KeyError:  # a field not loaded (an ORM's expired attribute)
            return None
        if extra:
            found.update(extra)
        return found

    def snapshot(self, entity: Any) -> dict[str, Any]:
        """The entity's state now (an independent copy)."""
        if self.direct:
            values = self._values(entity, copy=True)
            if values is not None:
                for value in values.values():
                    if type(value) not in _ATOMIC:
                        break
                else:  # immutable values, dumped as they are: the dict is a copy already
                    return values
        return _Dump(entity.model_dump())

    def changed(self, entity: Any, before: dict[str, Any]) -> bool:
        """Whether the entity's state differs from the snapshot *before*."""
        if type(before) is _Dump:
            return bool(entity.model_dump() != before)
        values = self._values(entity, copy=False)
        return values is None or values != before
