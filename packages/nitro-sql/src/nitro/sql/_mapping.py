"""How one entity class maps onto one table.

Two shapes, one interface, so :class:`~nitro.sql.SQLModelBackend` serves both:

* :class:`ColumnMapping` for :class:`~nitro.sql.SQLEntity` tables: a column per field,
  rows loaded through the ORM (so relationships and eager loading work);
* :class:`DocumentMapping` for plain :class:`nitro.Entity` subclasses: a per-class
  table ``nitro_doc_<class_name>`` of ``(id, data JSON, nitro_expires_at)``, the
  document validated back with pydantic. Field comparisons and ordering go to SQL
  through JSON paths when the field's type is a plain str/int/float/bool/enum; other
  fields are compared in memory.
"""

from __future__ import annotations

import enum
import re
import types
import typing
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from nitro.persistence.versioning import VERSION_FIELD

__all__ = [
    "DOCUMENTS",
    "EXPIRES_COLUMN",
    "ColumnMapping",
    "DocumentMapping",
    "Mapping",
    "forget_table",
    "mapping_for",
    "tables_in_use",
]

#: The hidden column holding a row's expiry (Unix time, NULL: never) on TTL tables.
EXPIRES_COLUMN = "nitro_expires_at"

#: The metadata of the document tables (kept apart from SQLModel.metadata, which
#: migrations own).
DOCUMENTS = sa.MetaData()
DOCUMENT_PREFIX = "nitro_doc_"


class Mapping:
    """The table of one entity class and how to read, write and compare it."""

    entity_cls: type[Any]
    table: sa.Table
    expires: sa.Column[Any] | None
    #: Whether fields are real columns (SQL ``to_sql`` specifications apply).
    columns: bool

    @property
    def id_column(self) -> sa.Column[Any]:
        return self.table.c.id

    def live(self, now: float) -> ColumnElement[bool] | None:
        """The condition excluding expired rows (``None`` without a TTL column)."""
        if self.expires is None:
            return None
        return sa.or_(self.expires.is_(None), self.expires > now)

    def row(self, entity: Any, expires_at: float | None) -> dict[str, Any]:
        raise NotImplementedError

    def version(self) -> ColumnElement[Any]:
        """The stored version of a versioned entity, as an SQL expression."""
        raise NotImplementedError

    def set_version(self, row: dict[str, Any], version: int) -> None:
        """Write *version* into a :meth:`row` about to be stored."""
        raise NotImplementedError

    def select(self) -> sa.Select[Any]:
        raise NotImplementedError

    def load(self, connection: sa.Connection, statement: sa.Select[Any]) -> list[Any]:
        raise NotImplementedError

    def equals(self, field: str, value: Any) -> ColumnElement[bool] | None:
        raise NotImplementedError

    def order(self, field: str, descending: bool) -> ColumnElement[Any] | None:
        raise NotImplementedError


class ColumnMapping(Mapping):
    columns = True

    def __init__(self, entity_cls: type[Any]) -> None:
        self.entity_cls = entity_cls
        self.table = entity_cls.__table__
        self.expires = self.table.c.get(EXPIRES_COLUMN)
        mapper = sa.inspect(entity_cls)
        # (attribute key, column key) for every mapped column.
        self._attrs = [(attr.key, attr.columns[0].key) for attr in mapper.column_attrs]
        self._by_field = {attr.key: attr.columns[0] for attr in mapper.column_attrs}

    def column(self, field: str) -> sa.Column[Any] | None:
        return self._by_field.get(field)

    def row(self, entity: Any, expires_at: float | None) -> dict[str, Any]:
        values = entity.__dict__
        row = {column: values.get(attr) for attr, column in self._attrs}
        if self.expires is not None:
            row[EXPIRES_COLUMN] = expires_at
        return row

    def version(self) -> ColumnElement[Any]:
        column: ColumnElement[Any] = self._by_field[VERSION_FIELD]
        return column

    def set_version(self, row: dict[str, Any], version: int) -> None:
        row[self._by_field[VERSION_FIELD].key] = version

    def select(self) -> sa.Select[Any]:
        return sa.select(self.entity_cls)

    def load(self, connection: sa.Connection, statement: sa.Select[Any]) -> list[Any]:
        # A short session per read: the entities come back detached, so changing one
        # changes nothing stored until it is saved.
        with Session(bind=connection, expire_on_commit=False, autoflush=False) as session:
            return list(session.scalars(statement).unique())

    def equals(self, field: str, value: Any) -> ColumnElement[bool] | None:
        column = self._by_field.get(field)
        if column is None:
            return None
        condition: ColumnElement[bool] = column.is_(None) if value is None else column == value
        return condition

    def order(self, field: str, descending: bool) -> ColumnElement[Any] | None:
        column = self._by_field.get(field)
        if column is None:
            return None
        return _ordered(column, descending)


class DocumentMapping(Mapping):
    columns = False

    def __init__(self, entity_cls: type[Any]) -> None:
        self.entity_cls = entity_cls
        name = getattr(entity_cls, "__nitro_table__", None) or DOCUMENT_PREFIX + _snake(
            entity_cls.__name__
        )
        table = DOCUMENTS.tables.get(name)
        if table is None:
            table = sa.Table(
                name,
                DOCUMENTS,
                sa.Column("id", sa.String(64), primary_key=True),
                sa.Column("data", sa.JSON().with_variant(JSONB(), "postgresql"), nullable=False),
                sa.Column(EXPIRES_COLUMN, sa.Float, nullable=True),
            )
        self.table = table
        self.expires = table.c[EXPIRES_COLUMN]
        self._kinds = {
            name: _kind(info.annotation) for name, info in entity_cls.__pydantic_fields__.items()
        }

    def row(self, entity: Any, expires_at: float | None) -> dict[str, Any]:
        return {
            "id": entity.id,
            "data": entity.model_dump(mode="json"),
            EXPIRES_COLUMN: expires_at,
        }

    def version(self) -> ColumnElement[Any]:
        return self.table.c.data[VERSION_FIELD].as_integer()  # type: ignore[no-any-return]

    def set_version(self, row: dict[str, Any], version: int) -> None:
        row["data"][VERSION_FIELD] = version

    def select(self) -> sa.Select[Any]:
        # The document as text: pydantic parses JSON faster than json.loads + validate.
        return sa.select(sa.cast(self.table.c.data, sa.Text))

    def load(self, connection: sa.Connection, statement: sa.Select[Any]) -> list[Any]:
        validate = self.entity_cls.model_validate_json
        return [validate(text) for text in connection.scalars(statement)]

    def _path(self, field: str) -> ColumnElement[Any] | None:
        if field == "id":
            return self.table.c.id
        kind = self._kinds.get(field)
        if kind is None:
            return None
        element = self.table.c.data[field]
        return getattr(element, f"as_{kind}")()  # type: ignore[no-any-return]

    def equals(self, field: str, value: Any) -> ColumnElement[bool] | None:
        path = self._path(field)
        if path is None:
            return None
        if value is None:
            return path.is_(None)
        if isinstance(value, enum.Enum):
            value = value.value
        kind = self._kinds.get(field)
        if kind is not None and not _fits(kind, value):
            return None
        condition: ColumnElement[bool] = path == value
        return condition

    def order(self, field: str, descending: bool) -> ColumnElement[Any] | None:
        if field == "id":
            return _ordered(self.table.c.id, descending)
        path = self._path(field)
        if path is None:
            return None
        return path.desc().nulls_first() if descending else path.asc().nulls_last()


def _ordered(column: sa.Column[Any], descending: bool) -> ColumnElement[Any]:
    """``column DESC``/``ASC``, with ``None`` last ascending (and first descending).

    A column that holds no NULL (the id, any ``NOT NULL`` column) gets no ``NULLS``
    clause: the order is the same, and SQLite only walks an index for the whole
    ``ORDER BY`` (``price DESC, id DESC`` on an index of ``(price, id)``) when the
    clause is absent; with it, SQLite sorts the ties of every page in a temporary
    B-tree (an ``OFFSET`` of 50,000 rows then costs five times as much).
    """
    if not column.nullable or column.primary_key:
        return column.desc() if descending else column.asc()
    return column.desc().nulls_first() if descending else column.asc().nulls_last()


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _kind(annotation: Any) -> str | None:
    """``"string"``/``"integer"``/``"float"``/``"boolean"`` for types JSON keeps exactly."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        args = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
        return _kind(args[0]) if len(args) == 1 else None
    if origin is typing.Literal:
        values = typing.get_args(annotation)
        kinds = {_value_kind(v) for v in values}
        return kinds.pop() if len(kinds) == 1 else None
    if annotation is bool:
        return "boolean"
    if annotation is int:
        return "integer"
    if annotation is float:
        return "float"
    if annotation is str:
        return "string"
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        kinds = {_value_kind(member.value) for member in annotation}
        return kinds.pop() if len(kinds) == 1 else None
    return None


def _value_kind(value: Any) -> str | None:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, str):
        return "string"
    return None


def _fits(kind: str, value: Any) -> bool:
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "float":
        return isinstance(value, int | float) and not isinstance(value, bool)
    return isinstance(value, str)


_in_use: dict[sa.Table, None] = {}


def mapping_for(entity_cls: type[Any]) -> Mapping:
    """The mapping of *entity_cls*: columns for SQL tables, a JSON document otherwise."""
    mapping: Mapping
    if isinstance(getattr(entity_cls, "__table__", None), sa.Table):
        mapping = ColumnMapping(entity_cls)
    else:
        mapping = DocumentMapping(entity_cls)
    _in_use[mapping.table] = None
    return mapping


def forget_table(table: sa.Table) -> None:
    """Stop creating *table* on demand (its class statement ran again: see
    :func:`nitro.sql.entity._replace_earlier_definitions`)."""
    _in_use.pop(table, None)


def tables_in_use() -> list[sa.Table]:
    """The tables of every entity class a SQLModelBackend was created for."""
    return list(_in_use)
