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

import os
import sys
from typing import TYPE_CHECKING, Any, ClassVar, Self, dataclass_transform

import sqlalchemy as sa
from pydantic.fields import FieldInfo
from sqlalchemy import event, orm
from sqlalchemy import exc as sa_exc
from sqlalchemy.orm.attributes import set_attribute
from sqlmodel import Field, SQLModel
from sqlmodel._compat import SQLModelConfig
from sqlmodel.main import RelationshipInfo, SQLModelMetaclass

from nitro.entity import EntityAPI, EntityClass, EntityDescriptor, describe_api, reject_unknown_keys
from nitro.ids import new_id
from nitro.sql._mapping import EXPIRES_COLUMN, forget_table
from nitro.sql.backend import SQLModelBackend
from nitro.sql.query import SQLQuery, query_for

try:  # SQLModel builds table instances in two steps, flagged by this ContextVar.
    from sqlmodel._compat import finish_init as _finish_init
except ImportError:  # pragma: no cover - a future SQLModel without it
    import contextvars

    _finish_init = contextvars.ContextVar("finish_init", default=True)

__all__ = ["EXPIRES_COLUMN", "SQLEntity", "SQLEntityMeta"]


@dataclass_transform(kw_only_default=True, field_specifiers=(Field, FieldInfo))
class SQLEntityMeta(EntityClass, SQLModelMetaclass):
    """SQLModel's metaclass plus the class-level behaviour of every Nitro entity
    (:class:`~nitro.entity.EntityClass`: reserved names, ``Todo.title_signal``,
    ``versioned=True``, re-routing on ``_persistence_backend_class``), and the hidden
    expiry column on each table (unless the class sets ``__nitro_ttl__ = False``)."""

    field_specifier = Field
    reserved_names: dict[str, str] = {}  # filled once SQLEntity exists

    @staticmethod
    def is_field(default: Any) -> bool:
        return not isinstance(default, RelationshipInfo)

    def __init__(
        cls, cls_name: str, bases: tuple[type[Any], ...], namespace: dict[str, Any], **kwargs: Any
    ) -> None:
        kwargs.pop("versioned", None)  # EntityClass.__new__ applied it
        if not kwargs.get("table"):
            super().__init__(cls_name, bases, namespace, **kwargs)
            return
        registry: orm.registry = cls._sa_registry
        _replace_earlier_definitions(registry, cls)
        name = getattr(cls, "__tablename__", None)
        try:
            super().__init__(cls_name, bases, namespace, **kwargs)
        except sa_exc.InvalidRequestError as error:
            owner = _table_owner(registry, name) if "already defined" in str(error) else None
            if owner is None or owner is cls:
                raise
            _dispose(registry, cls)  # the half-mapped class would break registry.mappers
            raise sa_exc.InvalidRequestError(
                f"{_qualified(cls)} maps the table {name!r}, which {_qualified(owner)} "
                "already maps; two classes cannot share one table: give one of them "
                "another name or a __tablename__"
            ) from error
        table = cls.__dict__.get("__table__")
        if isinstance(table, sa.Table):
            if getattr(cls, "__nitro_ttl__", True) and EXPIRES_COLUMN not in table.c:
                # Added after mapping on purpose: a table column, not an entity field.
                table.append_column(sa.Column(EXPIRES_COLUMN, sa.Float, nullable=True))
            event.listen(cls, "load", _loaded)


def _replace_earlier_definitions(registry: orm.registry, cls: type[Any]) -> None:
    """Drop the mapping of an earlier run of *cls*'s class statement.

    ``python main.py`` runs the file as ``__main__``, and a server started from it
    (FastHTML's ``serve()``, uvicorn with a ``"main:app"`` string) imports it again as
    ``main``: every class statement runs twice. The later class is the one the server
    uses, so it takes over the table: the earlier class loses its table in the shared
    MetaData, its mapper and its place in the registry of class names (which
    relationships declared by name are resolved against).
    """
    for manager in list(registry._managers):
        earlier = manager.class_
        if earlier is cls or not manager.is_mapped or not _same_statement(earlier, cls):
            continue
        _dispose(registry, earlier)


def _dispose(registry: orm.registry, cls: type[Any]) -> None:
    """Remove *cls* from *registry*: its table, its mapper, its name."""
    table = cls.__dict__.get("__table__")
    if isinstance(table, sa.Table):
        if registry.metadata.tables.get(table.key) is table:
            registry.metadata.remove(table)
        forget_table(table)
    for manager in [m for m in list(registry._managers) if m.class_ is cls]:
        registry._managers.pop(manager, None)
        registry._dispose_manager_and_mapper(manager)


def _same_statement(earlier: type[Any], later: type[Any]) -> bool:
    """One class statement run twice: the same file imported under two module names."""
    if earlier.__qualname__ != later.__qualname__ or earlier.__module__ == later.__module__:
        return False
    first, second = _module_file(earlier), _module_file(later)
    return first is not None and first == second


def _module_file(cls: type[Any]) -> str | None:
    file = getattr(sys.modules.get(cls.__module__), "__file__", None)
    return os.path.realpath(file) if isinstance(file, str) else None


def _table_owner(registry: orm.registry, name: object) -> type[Any] | None:
    """The mapped class whose table is named *name*, if any."""
    for manager in list(registry._managers):
        if not manager.is_mapped:
            continue
        table = manager.class_.__dict__.get("__table__")
        if isinstance(table, sa.Table) and table.name == name:
            owner: type[Any] = manager.class_
            return owner
    return None


def _qualified(cls: type[Any]) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def _loaded(target: Any, _context: Any) -> None:
    # Rows come back complete: every field counts as set, as after validation.
    object.__setattr__(target, "__pydantic_fields_set__", set(type(target).__pydantic_fields__))


class SQLEntity(SQLModel, EntityAPI, metaclass=SQLEntityMeta):
    """Base class of entities stored as rows of their own SQL table.

    Declare subclasses with ``table=True``. The API is :class:`nitro.Entity`'s
    (:class:`~nitro.entity.EntityAPI`, written once for both) plus what SQL adds:
    :meth:`query` is the SQL query builder (joins, eager loading, pagination),
    ``filter`` also takes SQLAlchemy expressions, and :meth:`search`. The class-level
    API is deliberately small so that fields such as ``count``, ``name``, ``type`` or
    ``status`` stay free; counting lives on the query: ``Todo.query().count()``.

    Swapping the backend is one line here too: with ``_persistence_backend_class =
    MemoryRepo`` (or ``RedisRepo``) the same calls work through the generic query;
    SQL-only ones (joins, eager loading, SQLAlchemy expressions) raise
    :class:`~nitro.persistence.UnsupportedOperation` naming the backend.
    """

    model_config = SQLModelConfig(validate_assignment=True, ignored_types=(EntityDescriptor,))

    #: The repository class (or factory) storing this class.
    _persistence_backend_class: ClassVar[Any] = SQLModelBackend
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

    # -- what SQL adds ------------------------------------------------------------------

    @classmethod
    def query(cls) -> SQLQuery[Self]:  # type: ignore[override]
        """A query builder: ``Todo.query().where(Todo.done == False).limit(20).all()``.

        On a SQL repository it compiles to one SELECT (:class:`~nitro.sql.SQLQuery`);
        on any other it is the generic query with the same methods, where the SQL-only
        ones raise :class:`~nitro.persistence.UnsupportedOperation`.
        """
        return query_for(cls)

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
        return cls._searching(search_value, fields, sort).window(limit, offset).all()

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
        return await cls._searching(search_value, fields, sort).window(limit, offset).aall()

    @classmethod
    def _searching(
        cls,
        search_value: str,
        fields: list[str] | tuple[str, ...] | None,
        sort: str | list[str] | tuple[str, ...] | None,
    ) -> SQLQuery[Self]:
        keys = () if sort is None else (sort,) if isinstance(sort, str) else tuple(sort)
        return cls.query().search(search_value, fields).order_by(*keys)


SQLEntityMeta.reserved_names = {
    **describe_api(EntityAPI, name="SQLEntity"),
    **describe_api(SQLEntity, exclude=("model_config", "id")),
}
