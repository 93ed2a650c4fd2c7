"""Entity: a Pydantic model that carries its business logic and persists itself.

.. code-block:: python

    from nitro import Entity


    class Counter(Entity):
        count: int = 0

        def increment(self, amount: int = 1) -> None:
            self.count += amount
            self.save()


    counter = Counter()
    counter.increment()
    assert Counter.get(counter.id).count == 1

Which repository stores an entity is decided by ``_persistence_backend_class``, the
app-wide default and test overrides; see :mod:`nitro.persistence.registry`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from nitro.entity._api import EntityAPI
from nitro.entity._meta import (
    EntityClass,
    EntityDescriptor,
    EntityMeta,
    check_field_names,
    describe_api,
    reject_unknown_keys,
)
from nitro.ids import new_id
from nitro.persistence.base import Repository

# EntityAPI, EntityClass, EntityDescriptor, check_field_names, describe_api and
# reject_unknown_keys are for packages that define their own entity base on another
# model class (nitro-sql's SQLEntity).
__all__ = [
    "Entity",
    "EntityAPI",
    "EntityClass",
    "EntityDescriptor",
    "EntityMeta",
    "check_field_names",
    "describe_api",
    "reject_unknown_keys",
]


class Entity(BaseModel, EntityAPI, metaclass=EntityMeta):
    """Base class of rich domain entities.

    Subclass it, declare fields as with any Pydantic model and add business methods.
    Assignments are validated (``counter.count = "abc"`` raises
    :class:`pydantic.ValidationError` naming the field), unknown fields are refused,
    and ``id`` is generated (a sortable, URL-safe UUIDv7, see :mod:`nitro.ids`) when
    not given. The persistence API (``save``, ``get``, ``filter``, ``query``...) comes
    from :class:`~nitro.entity.EntityAPI`.

    Set ``_persistence_backend_class`` to choose the repository class; without it the
    app-wide default applies (:class:`~nitro.persistence.MemoryRepo` out of the box,
    see :func:`~nitro.persistence.set_default_backend`).
    """

    # Unknown input keys are refused by __init__/model_validate below rather than by
    # extra="forbid", which costs pydantic-core ~25% of the construction time.
    # @action methods (and other EntityDescriptor class attributes) are not fields.
    # bytes travel as base64 in JSON, both ways, so any bytes value survives a JSON
    # backend and a signal (pydantic's default, UTF-8, fails on binary data).
    model_config = ConfigDict(
        validate_assignment=True,
        ignored_types=(EntityDescriptor,),
        ser_json_bytes="base64",
        val_json_bytes="base64",
    )

    __nitro_entity_root__: ClassVar[bool] = True
    #: The repository class (or factory) storing this class; one line to swap.
    #: Declared without a value: reading it where no class sets it gives the app-wide
    #: default in effect (see :class:`~nitro.entity.EntityClass`).
    _persistence_backend_class: ClassVar[Callable[..., Repository[Any]] | None]
    #: The top-level Datastar signal key; the class name when ``None``.
    _signals_namespace: ClassVar[str | None] = None

    id: str = Field(default_factory=new_id, min_length=1)

    if not TYPE_CHECKING:  # type checkers keep the field-based __init__ signature
        # Because Entity defines __init__, pydantic-core routes every validation of an
        # entity through it (model_validate, model_validate_json, TypeAdapter, nested
        # fields), so this one check covers all of them.
        def __init__(self, /, **data: Any) -> None:
            self.__pydantic_validator__.validate_python(data, self_instance=self)
            # Each known key sets one field, so more keys than fields set means an
            # unknown key (or a field given by name and alias): check the slow way.
            if len(data) > len(self.__pydantic_fields_set__):
                reject_unknown_keys(type(self), data)


# Names the API may grow into (nitro-sql's SQLEntity adds search()).
EntityMeta.reserved_names = {
    **describe_api(EntityAPI, name="Entity"),
    "search": "the classmethod SQLEntity.search() of nitro-sql",
    "asearch": "the classmethod SQLEntity.asearch() of nitro-sql",
}
