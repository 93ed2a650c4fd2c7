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
from typing import TYPE_CHECKING, Any, ClassVar, Self

from pydantic import BaseModel, ConfigDict, Field
from pydantic_core import from_json

from nitro.actions.decorator import ActionDescriptor
from nitro.entity._meta import (
    EntityMeta,
    check_field_names,
    describe_api,
    register_entity_api,
    reject_unknown_keys,
)
from nitro.events import post_delete, post_save, pre_delete, pre_save
from nitro.ids import new_id
from nitro.persistence.base import Repository, combine
from nitro.persistence.entity_query import EntityQuery
from nitro.persistence.errors import NotFound
from nitro.persistence.memory import MemoryRepo
from nitro.persistence.query import Query, check_ttl
from nitro.persistence.registry import repository_for
from nitro.signals import signals_namespace

if TYPE_CHECKING:
    from nitro.specification import Specification

# check_field_names, describe_api and reject_unknown_keys are for packages that define
# their own entity base on another model class (nitro-sql's SQLEntity).
__all__ = ["Entity", "EntityMeta", "check_field_names", "describe_api", "reject_unknown_keys"]

_ALL = Query()


class Entity(BaseModel, metaclass=EntityMeta):
    """Base class of rich domain entities.

    Subclass it, declare fields as with any Pydantic model and add business methods.
    Assignments are validated (``counter.count = "abc"`` raises
    :class:`pydantic.ValidationError` naming the field), unknown fields are refused,
    and ``id`` is generated (a sortable, URL-safe UUIDv7, see :mod:`nitro.ids`) when
    not given.

    Set ``_persistence_backend_class`` to choose the repository class (the default
    is the app-wide backend, :class:`~nitro.persistence.MemoryRepo` out of the box).
    """

    # Unknown input keys are refused by __init__/model_validate below rather than by
    # extra="forbid", which costs pydantic-core ~25% of the construction time.
    # @action methods are ActionDescriptor class attributes, not fields.
    # bytes travel as base64 in JSON, both ways, so any bytes value survives a JSON
    # backend and a signal (pydantic's default, UTF-8, fails on binary data).
    model_config = ConfigDict(
        validate_assignment=True,
        ignored_types=(ActionDescriptor,),
        ser_json_bytes="base64",
        val_json_bytes="base64",
    )

    __nitro_entity_root__: ClassVar[bool] = True
    #: The repository class (or factory) storing this class; one line to swap.
    _persistence_backend_class: ClassVar[Callable[..., Repository[Any]] | None] = MemoryRepo
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

    # -- repository access ------------------------------------------------------------

    @classmethod
    def repository(cls) -> Repository[Self]:
        """The repository serving this class (shared, created on first use)."""
        return repository_for(cls)

    @classmethod
    def query(cls) -> EntityQuery[Self]:
        """A query builder: ``Todo.query().where(done=False).order_by("-id").limit(20).all()``."""
        return EntityQuery(cls)

    # -- instance persistence ------------------------------------------------------------

    def save(self, ttl: float | None = None) -> bool:
        """Store this entity (insert or replace); with *ttl* seconds it expires.

        Sends ``pre_save`` (a raising receiver aborts, nothing is stored) and
        ``post_save``. Returns ``True`` when stored.
        """
        cls = type(self)
        if ttl is not None:
            ttl = check_ttl(ttl)
        repo = repository_for(cls)
        if pre_save.receivers or post_save.receivers:
            pre_save.check_sync_send(cls)
            post_save.check_sync_send(cls)
            pre_save.send(cls, entity=self, ttl=ttl)
            saved = repo.save(self, ttl)
            post_save.send(cls, entity=self, ttl=ttl)
            return saved
        return repo.save(self, ttl)

    def delete(self) -> bool:
        """Delete this entity; ``True`` if it was stored. Sends ``pre_delete`` and,
        when something was deleted, ``post_delete``."""
        cls = type(self)
        repo = repository_for(cls)
        if pre_delete.receivers or post_delete.receivers:
            pre_delete.check_sync_send(cls)
            post_delete.check_sync_send(cls)
            pre_delete.send(cls, entity=self)
            deleted = repo.delete(self.id)
            if deleted:
                post_delete.send(cls, entity=self)
            return deleted
        return repo.delete(self.id)

    def exists(self) -> bool:
        """Whether an entity with this id is stored (and not expired)."""
        return repository_for(type(self)).exists(self.id)

    # -- class-level reads ---------------------------------------------------------------

    @classmethod
    def get(cls, entity_id: str) -> Self | None:
        """The stored entity with *entity_id*, or ``None``."""
        if type(entity_id) is not str:
            _bad_id(cls, "get", entity_id)
        return repository_for(cls).get(entity_id)

    @classmethod
    def get_or_raise(cls, entity_id: str) -> Self:
        """Like :meth:`get` but raises :class:`~nitro.persistence.NotFound`."""
        entity = cls.get(entity_id)
        if entity is None:
            raise NotFound(cls, entity_id)
        return entity

    @classmethod
    def all(cls) -> list[Self]:
        """Every stored entity of this class, ordered by id (creation order)."""
        return repository_for(cls).find(_ALL)

    @classmethod
    def filter(cls, spec: Specification[Any] | None = None, /, **field_values: Any) -> list[Self]:
        """Entities satisfying *spec* (a :class:`~nitro.Specification`) and equal to
        every keyword field value, ordered by id: ``Todo.filter(done=False)``,
        ``Product.filter(InStock() & Affordable(100))``.

        An unknown field raises :class:`~nitro.persistence.InvalidQuery`.
        """
        query = Query(where=combine(spec, field_values))
        query.check_fields(cls)
        return repository_for(cls).find(query)

    # -- async twins -----------------------------------------------------------------------

    async def asave(self, ttl: float | None = None) -> bool:
        """Async :meth:`save`; async ``pre_save``/``post_save`` receivers are awaited."""
        cls = type(self)
        if ttl is not None:
            ttl = check_ttl(ttl)
        repo = repository_for(cls)
        await pre_save.asend(cls, entity=self, ttl=ttl)
        saved = await repo.asave(self, ttl)
        await post_save.asend(cls, entity=self, ttl=ttl)
        return saved

    async def adelete(self) -> bool:
        """Async :meth:`delete`; async receivers are awaited."""
        cls = type(self)
        repo = repository_for(cls)
        await pre_delete.asend(cls, entity=self)
        deleted = await repo.adelete(self.id)
        if deleted:
            await post_delete.asend(cls, entity=self)
        return deleted

    async def aexists(self) -> bool:
        """Async :meth:`exists`."""
        return await repository_for(type(self)).aexists(self.id)

    @classmethod
    async def aget(cls, entity_id: str) -> Self | None:
        """Async :meth:`get`."""
        if type(entity_id) is not str:
            _bad_id(cls, "aget", entity_id)
        return await repository_for(cls).aget(entity_id)

    @classmethod
    async def aget_or_raise(cls, entity_id: str) -> Self:
        """Async :meth:`get_or_raise`."""
        entity = await cls.aget(entity_id)
        if entity is None:
            raise NotFound(cls, entity_id)
        return entity

    @classmethod
    async def aall(cls) -> list[Self]:
        """Async :meth:`all`."""
        return await repository_for(cls).afind(_ALL)

    @classmethod
    async def afilter(
        cls, spec: Specification[Any] | None = None, /, **field_values: Any
    ) -> list[Self]:
        """Async :meth:`filter`."""
        query = Query(where=combine(spec, field_values))
        query.check_fields(cls)
        return await repository_for(cls).afind(query)

    # -- Datastar ------------------------------------------------------------------------------

    @property
    def signals(self) -> dict[str, dict[str, Any]]:
        """This entity's Datastar signals, JSON-safe: ``{"Counter": {"id": ..., "count": 0}}``.

        Private attributes and fields declared with ``exclude=True`` are left out;
        NaN and infinities become ``None`` (JSON has no such numbers), bytes base64.
        """
        # Through JSON text rather than model_dump(mode="json"), which keeps NaN and
        # infinities as floats that json.dumps would write as invalid JSON.
        data = from_json(self.__pydantic_serializer__.to_json(self))
        return {signals_namespace(type(self)): data}


def _bad_id(cls: type[Entity], method: str, entity_id: object) -> None:
    raise TypeError(
        f"{cls.__name__}.{method}() expects the id as a str, got "
        f"{type(entity_id).__name__} {entity_id!r}"
    )


register_entity_api(Entity)
