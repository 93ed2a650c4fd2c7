"""The entity API, written once: :class:`EntityAPI` is the base of both
:class:`nitro.Entity` and nitro-sql's ``SQLEntity``.

Every call goes to :func:`~nitro.persistence.units.unit_repository`: the class's
repository, seen through the active unit of work when one covers it. One event rule
holds for every entity: ``pre_save``/``pre_delete`` run at once (and may veto);
``post_save``/``post_delete`` go out after the outermost commit when a unit of work is
active, at once otherwise.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, Self

from pydantic_core import from_json

from nitro.events import Event, post_delete, post_save, pre_delete, pre_save
from nitro.persistence.entity_query import EntityQuery
from nitro.persistence.errors import NotFound
from nitro.persistence.query import Query, check_ttl
from nitro.persistence.registry import repository_for
from nitro.persistence.units import active, unit_repository
from nitro.signals import signals_namespace

if TYPE_CHECKING:
    from pydantic.fields import FieldInfo
    from pydantic_core import SchemaSerializer

    from nitro.persistence.base import Repository

__all__ = ["EntityAPI", "send_after_commit"]

_ALL = Query()


class EntityAPI:
    """Persistence, queries and Datastar signals for a pydantic model with an ``id``.

    Not used on its own: :class:`nitro.Entity` and ``nitro.sql.SQLEntity`` combine it
    with their model class (and a metaclass built on :class:`~nitro.entity.EntityMeta`'s
    hooks). ``query()`` is the one method an entity base may replace (SQLEntity
    returns its SQL query builder); every other method reaches storage through the
    repository and the query it returns.
    """

    __slots__ = ()

    if TYPE_CHECKING:  # what the model class combined with it provides
        __pydantic_fields__: ClassVar[dict[str, FieldInfo]]
        __pydantic_serializer__: ClassVar[SchemaSerializer]
        id: str

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
        ``post_save`` (after the outermost commit inside a unit of work). Returns
        ``True`` when stored.
        """
        cls = type(self)
        if ttl is not None:
            ttl = check_ttl(ttl)
        repo = unit_repository(cls)
        if pre_save.receivers or post_save.receivers:
            pre_save.check_sync_send(cls)
            post_save.check_sync_send(cls)
            pre_save.send(cls, entity=self, ttl=ttl)
            saved = repo.save(self, ttl)
            send_after_commit(post_save, cls, entity=self, ttl=ttl)
            return saved
        return repo.save(self, ttl)

    def delete(self) -> bool:
        """Delete this entity; ``True`` if it was stored. Sends ``pre_delete`` and,
        when something was deleted, ``post_delete`` (after the outermost commit inside
        a unit of work)."""
        cls = type(self)
        repo = unit_repository(cls)
        if pre_delete.receivers or post_delete.receivers:
            pre_delete.check_sync_send(cls)
            post_delete.check_sync_send(cls)
            pre_delete.send(cls, entity=self)
            deleted = repo.delete(self.id)
            if deleted:
                send_after_commit(post_delete, cls, entity=self)
            return deleted
        return repo.delete(self.id)

    def exists(self) -> bool:
        """Whether an entity with this id is stored (and not expired)."""
        return unit_repository(type(self)).exists(self.id)

    # -- class-level reads ---------------------------------------------------------------

    @classmethod
    def get(cls, entity_id: str) -> Self | None:
        """The stored entity with *entity_id*, or ``None``."""
        if type(entity_id) is not str:
            _bad_id(cls, "get", entity_id)
        return unit_repository(cls).get(entity_id)

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
        return unit_repository(cls).find(_ALL)

    @classmethod
    def filter(cls, *conditions: Any, **field_values: Any) -> list[Self]:
        """Entities satisfying every condition and equal to every keyword field value,
        ordered by id: ``Todo.filter(done=False)``,
        ``Product.filter(InStock() & Affordable(100))``.

        Conditions are :class:`~nitro.Specification` objects (a ``SQLEntity`` stored
        in SQL also takes SQLAlchemy expressions). An unknown field raises
        :class:`~nitro.persistence.InvalidQuery`.
        """
        return cls.query().where(*conditions, **field_values).all()

    # -- async twins -----------------------------------------------------------------------

    async def asave(self, ttl: float | None = None) -> bool:
        """Async :meth:`save`; async ``pre_save``/``post_save`` receivers are awaited."""
        cls = type(self)
        if ttl is not None:
            ttl = check_ttl(ttl)
        repo = unit_repository(cls)
        await pre_save.asend(cls, entity=self, ttl=ttl)
        saved = await repo.asave(self, ttl)
        await asend_after_commit(post_save, cls, entity=self, ttl=ttl)
        return saved

    async def adelete(self) -> bool:
        """Async :meth:`delete`; async receivers are awaited."""
        cls = type(self)
        repo = unit_repository(cls)
        await pre_delete.asend(cls, entity=self)
        deleted = await repo.adelete(self.id)
        if deleted:
            await asend_after_commit(post_delete, cls, entity=self)
        return deleted

    async def aexists(self) -> bool:
        """Async :meth:`exists`."""
        return await unit_repository(type(self)).aexists(self.id)

    @classmethod
    async def aget(cls, entity_id: str) -> Self | None:
        """Async :meth:`get`."""
        if type(entity_id) is not str:
            _bad_id(cls, "aget", entity_id)
        return await unit_repository(cls).aget(entity_id)

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
        return await unit_repository(cls).afind(_ALL)

    @classmethod
    async def afilter(cls, *conditions: Any, **field_values: Any) -> list[Self]:
        """Async :meth:`filter`."""
        return await cls.query().where(*conditions, **field_values).aall()

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


def send_after_commit(evt: Event, sender: Any, /, **kwargs: Any) -> None:
    """Send *evt* now, or queue it on the active unit of work (sent after the
    outermost commit, dropped on rollback)."""
    unit = active.get()
    if unit is None:
        evt.send(sender, **kwargs)
    else:
        unit.publish(evt, sender, **kwargs)


async def asend_after_commit(evt: Event, sender: Any, /, **kwargs: Any) -> None:
    """Async :func:`send_after_commit`: async receivers are awaited."""
    unit = active.get()
    if unit is None:
        await evt.asend(sender, **kwargs)
    else:
        unit.publish(evt, sender, **kwargs)


def _bad_id(cls: type[Any], method: str, entity_id: object) -> None:
    raise TypeError(
        f"{cls.__name__}.{method}() expects the id as a str, got "
        f"{type(entity_id).__name__} {entity_id!r}"
    )
