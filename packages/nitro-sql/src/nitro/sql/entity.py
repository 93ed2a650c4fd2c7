"""SQLEntity: a SQLModel table that is also a Nitro entity.

.. code-block:: python

    from nitro.sql import SQLEntity


    class Todo(SQLEntity, table=True):
        title: str
        done: bool = False


    Todo(title="milk").save()
    Todo.filter(done=False)
    Todo.query().where(Todo.title.contains("mi")).order_by("-id").limit(20).all()

Every field is a real column; ``id`` is the primary key, generated like
:class:`nitro.Entity` ids. Unlike a plain SQLModel table, constructing a ``SQLEntity``
validates its input and refuses unknown keys, and assignments are validated.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, Self, dataclass_transform

import sqlalchemy as sa
from pydantic.fields import FieldInfo
from sqlalchemy import event
from sqlalchemy.orm.attributes import set_attribute
from sqlmodel import Field, SQLModel
from sqlmodel._compat import SQLModelConfig
from sqlmodel.main import RelationshipInfo, SQLModelMetaclass

from nitro.actions.decorator import ActionDescriptor
from nitro.entity import check_field_names, describe_api, reject_unknown_keys
from nitro.events import post_delete, post_save, pre_delete, pre_save
from nitro.ids import new_id
from nitro.persistence import NotFound, check_ttl, repository_for, reset_repositories
from nitro.signals import class_signal, signals_namespace
from nitro.uow import current_unit

if TYPE_CHECKING:
    from nitro.sql.backend import SQLModelBackend
    from nitro.sql.query import SQLQuery

try:  # SQLModel builds table instances in two steps, flagged by this ContextVar.
    from sqlmodel._compat import finish_init as _finish_init
except ImportError:  # pragma: no cover - a future SQLModel without it
    import contextvars

    _finish_init = contextvars.ContextVar("finish_init", default=True)

__all__ = ["EXPIRES_COLUMN", "SQLEntity", "SQLEntityMeta"]

#: The hidden column holding a row's expiry (Unix time, NULL: never) on TTL tables.
EXPIRES_COLUMN = "nitro_expires_at"
_reserved: dict[str, str] = {}  # SQLEntity's public API, filled once the class exists


@dataclass_transform(kw_only_default=True, field_specifiers=(Field, FieldInfo))
class SQLEntityMeta(SQLModelMetaclass):
    """SQLModel's metaclass plus what Nitro entities have at class level: fields that
    would shadow entity API fail at class definition, ``Todo.title_signal`` is
    ``"$Todo.title"``, and each table gets the hidden expiry column (unless the class
    sets ``__nitro_ttl__ = False``)."""

    def __new__(
        mcs, cls_name: str, bases: tuple[type[Any], ...], namespace: dict[str, Any], **kwargs: Any
    ) -> Any:
        _check_field_names(cls_name, namespace.get("__annotations__", {}), namespace, bases)
        return super().__new__(mcs, cls_name, bases, namespace, **kwargs)

    def __init__(
        cls, cls_name: str, bases: tuple[type[Any], ...], namespace: dict[str, Any], **kwargs: Any
    ) -> None:
        super().__init__(cls_name, bases, namespace, **kwargs)
        table = cls.__dict__.get("__table__")
        if kwargs.get("table") and isinstance(table, sa.Table):
            if getattr(cls, "__nitro_ttl__", True) and EXPIRES_COLUMN not in table.c:
                # Added after mapping on purpose: a table column, not an entity field.
                table.append_column(sa.Column(EXPIRES_COLUMN, sa.Float, nullable=True))
            event.listen(cls, "load", _loaded)

    if not TYPE_CHECKING:

        def __getattr__(cls, name: str) -> Any:
            ref = class_signal(cls, name)
            return ref if ref is not None else super().__getattr__(name)

    def __setattr__(cls, name: str, value: Any) -> None:
        super().__setattr__(name, value)
        if name == "_persistence_backend_class":
            reset_repositories()


def _loaded(target: Any, _context: Any) -> None:
    # Rows come back complete: every field counts as set, as after validation.
    object.__setattr__(target, "__pydantic_fields_set__", set(type(target).__pydantic_fields__))


def _check_field_names(
    cls_name: str, annotations: Any, namespace: dict[str, Any], bases: tuple[type[Any], ...]
) -> None:
    if not _reserved:
        return  # defining SQLEntity itself
    names = {n for n in annotations if not isinstance(namespace.get(n), RelationshipInfo)}
    for base in bases:
        names.update(getattr(base, "__pydantic_fields__", ()))
    check_field_names(cls_name, annotations, names, _reserved)


class SQLEntity(SQLModel, metaclass=SQLEntityMeta):
    """Base class of entities stored as rows of their own SQL table.

    Declare subclasses with ``table=True``. The class-level API is deliberately small
    (``get``, ``all``, ``filter``, ``search``, ``query`` and their async twins) so that
    fields such as ``count``, ``name``, ``type`` or ``status`` stay free; counting lives
    on the query: ``Todo.query().count()``.
    """

    model_config = SQLModelConfig(validate_assignment=True, ignored_types=(ActionDescriptor,))

    #: The repository class (or factory) storing this class; nitro.sql.backend sets
    #: :class:`~nitro.sql.SQLModelBackend` once it is defined.
    _persistence_backend_class: ClassVar[Any] = None
    #: The top-level Datastar signal key; the class name when ``None``.
    _signals_namespace: ClassVar[str | None] = None
    #: Whether the table gets the hidden expiry column that ``save(ttl=...)`` needs.
    __nitro_ttl__: ClassVar[bool] = True

    id: str = Field(default_factory=new_id, primary_key=True, min_length=1, max_length=64)

    if not TYPE_CHECKING:

        def __init__(__nitro_self__, **data: Any) -> None:
            self = __nitro_self__
            if not _finish_init.get():
                return  # SQLModel's own two-step construction (model_validate)
            reject_unknown_keys(type(self), data, also_known=type(self).__sqlmodel_relationships__)
            state = self.__dict__.copy()  # SQLAlchemy's instance state lives here
            type(self).__pydantic_validator__.validate_python(data, self_instance=self)
            values = self.__dict__
            fields_set = self.__pydantic_fields_set__
            object.__setattr__(self, "__dict__", state)
            for name, value in values.items():
                set_attribute(self, name, value)
            object.__setattr__(self, "__pydantic_fields_set__", fields_set)
            for name in self.__sqlmodel_relationships__:
                if name in data:
                    setattr(self, name, data[name])

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        fields = type(self).__pydantic_fields__
        mine, theirs = self.__dict__, other.__dict__
        return all(mine.get(name) == theirs.get(name) for name in fields)

    __hash__ = None  # type: ignore[assignment]  # mutable, like pydantic models

    # -- repository access ------------------------------------------------------------

    @classmethod
    def repository(cls) -> SQLModelBackend[Self]:
        """The repository serving this class (shared, created on first use)."""
        return repository_for(cls)  # type: ignore[type-var,return-value]

    @classmethod
    def query(cls) -> SQLQuery[Self]:
        """A query builder: ``Todo.query().where(Todo.done == False).limit(20).all()``."""
        from nitro.sql.query import SQLQuery

        return SQLQuery(cls)

    # -- instance persistence ------------------------------------------------------------

    def save(self, ttl: float | None = None) -> bool:
        """Insert or replace this row; with *ttl* seconds it expires.

        Inside an active unit of work the write joins it, and ``post_save`` is sent
        only after the unit commits. ``pre_save`` receivers run now and may veto.
        """
        cls = type(self)
        if ttl is not None:
            ttl = check_ttl(ttl)
        repo = cls.repository()
        if pre_save.receivers or post_save.receivers:
            pre_save.check_sync_send(cls)
            post_save.check_sync_send(cls)
            pre_save.send(cls, entity=self, ttl=ttl)
            saved = repo.save(self, ttl)
            _after(post_save, cls, entity=self, ttl=ttl)
            return saved
        return repo.save(self, ttl)

    def delete(self) -> bool:
        """Delete this row; ``True`` if it was stored."""
        cls = type(self)
        repo = cls.repository()
        if pre_delete.receivers or post_delete.receivers:
            pre_delete.check_sync_send(cls)
            post_delete.check_sync_send(cls)
            pre_delete.send(cls, entity=self)
            deleted = repo.delete(self.id)
            if deleted:
                _after(post_delete, cls, entity=self)
            return deleted
        return repo.delete(self.id)

    def exists(self) -> bool:
        """Whether a row with this id is stored (and not expired)."""
        return type(self).repository().exists(self.id)

    # -- class-level reads ---------------------------------------------------------------

    @classmethod
    def get(cls, entity_id: str) -> Self | None:
        """The stored entity with *entity_id*, or ``None``."""
        if type(entity_id) is not str:
            _bad_id(cls, "get", entity_id)
        return cls.repository().get(entity_id)

    @classmethod
    def get_or_raise(cls, entity_id: str) -> Self:
        """Like :meth:`get` but raises :class:`~nitro.persistence.NotFound`."""
        entity = cls.get(entity_id)
        if entity is None:
            raise NotFound(cls, entity_id)
        return entity

    @classmethod
    def all(cls) -> list[Self]:
        """Every stored entity, ordered by id (creation order)."""
        return cls.query().all()

    @classmethod
    def filter(cls, *conditions: Any, **field_values: Any) -> list[Self]:
        """Entities matching every condition, ordered by id.

        Conditions are :class:`nitro.Specification` objects (translated to SQL when
        they can be, see :mod:`nitro.sql.specs`) or SQLAlchemy expressions
        (``Product.price < 100``); keywords test equality (``done=False``). An unknown
        field raises :class:`~nitro.persistence.InvalidQuery` naming it.
        """
        return cls.query().where(*conditions, **field_values).all()

    @classmethod
    def search(
        cls,
        search_value: str,
        fields: list[str] | tuple[str, ...] | None = None,
        sort: str | list[str] | tuple[str, ...] | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[Self]:
        """Entities where any of *fields* (default: every text column) contains
        *search_value*, case-insensitively. ``%`` and ``_`` match themselves.

        *sort* is a field name or a list of them (``"-price"`` descending).
        """
        return (
            cls.query()
            .search(search_value, fields)
            .order_by(*_sort_keys(sort))
            .window(limit, offset)
            .all()
        )

    # -- async twins -----------------------------------------------------------------------

    async def asave(self, ttl: float | None = None) -> bool:
        """Async :meth:`save`; async ``pre_save``/``post_save`` receivers are awaited."""
        cls = type(self)
        if ttl is not None:
            ttl = check_ttl(ttl)
        repo = cls.repository()
        await pre_save.asend(cls, entity=self, ttl=ttl)
        saved = await repo.asave(self, ttl)
        await _aafter(post_save, cls, entity=self, ttl=ttl)
        return saved

    async def adelete(self) -> bool:
        """Async :meth:`delete`."""
        cls = type(self)
        repo = cls.repository()
        await pre_delete.asend(cls, entity=self)
        deleted = await repo.adelete(self.id)
        if deleted:
            await _aafter(post_delete, cls, entity=self)
        return deleted

    async def aexists(self) -> bool:
        """Async :meth:`exists`."""
        return await type(self).repository().aexists(self.id)

    @classmethod
    async def aget(cls, entity_id: str) -> Self | None:
        """Async :meth:`get`."""
        if type(entity_id) is not str:
            _bad_id(cls, "aget", entity_id)
        return await cls.repository().aget(entity_id)

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
        return await cls.query().aall()

    @classmethod
    async def afilter(cls, *conditions: Any, **field_values: Any) -> list[Self]:
        """Async :meth:`filter`."""
        return await cls.query().where(*conditions, **field_values).aall()

    @classmethod
    async def asearch(
        cls,
        search_value: str,
        fields: list[str] | tuple[str, ...] | None = None,
        sort: str | list[str] | tuple[str, ...] | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[Self]:
        """Async :meth:`search`."""
        return (
            await cls.query()
            .search(search_value, fields)
            .order_by(*_sort_keys(sort))
            .window(limit, offset)
            .aall()
        )

    # -- Datastar ------------------------------------------------------------------------------

    @property
    def signals(self) -> dict[str, dict[str, Any]]:
        """This entity's Datastar signals, JSON-safe: ``{"Todo": {"id": ..., "done": false}}``."""
        return {signals_namespace(type(self)): self.model_dump(mode="json")}  # type: ignore[arg-type]


def _after(evt: Any, sender: Any, **kwargs: Any) -> None:
    """Send a post-event now, or after the active unit of work commits."""
    unit = current_unit()
    if unit is None:
        evt.send(sender, **kwargs)
    else:
        unit.publish(evt, sender, **kwargs)


async def _aafter(evt: Any, sender: Any, **kwargs: Any) -> None:
    unit = current_unit()
    if unit is None:
        await evt.asend(sender, **kwargs)
    else:
        unit.publish(evt, sender, **kwargs)


def _sort_keys(sort: str | list[str] | tuple[str, ...] | None) -> tuple[str, ...]:
    if sort is None:
        return ()
    return (sort,) if isinstance(sort, str) else tuple(sort)


def _bad_id(cls: type[Any], method: str, entity_id: object) -> None:
    raise TypeError(
        f"{cls.__name__}.{method}() expects the id as a str, got "
        f"{type(entity_id).__name__} {entity_id!r}"
    )


_reserved.update(describe_api(SQLEntity, exclude=("model_config", "id")))
