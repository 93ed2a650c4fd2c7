"""SQL persistence for Nitro entities (SQLModel/SQLAlchemy; SQLite and PostgreSQL).

.. code-block:: python

    from nitro.sql import SQLEntity


    class Todo(SQLEntity, table=True):
        title: str
        done: bool = False


    Todo(title="milk").save()  # sqlite:///nitro.db unless configured
    Todo.filter(done=False)

See ``docs/sql.md`` for configuration, queries, specifications, units of work and
migrations.
"""

from importlib.metadata import version as _version

from sqlalchemy import and_ as and_
from sqlalchemy import not_ as not_
from sqlalchemy import or_ as or_
from sqlmodel import Field as Field
from sqlmodel import Relationship as Relationship
from sqlmodel import col as col

from nitro.sql.backend import SQLModelBackend as SQLModelBackend
from nitro.sql.config import DEFAULT_URL as DEFAULT_URL
from nitro.sql.config import ENV_VAR as ENV_VAR
from nitro.sql.config import Database as Database
from nitro.sql.config import configure as configure
from nitro.sql.config import get_database as get_database
from nitro.sql.config import use_database as use_database
from nitro.sql.entity import SQLEntity as SQLEntity
from nitro.sql.errors import ConstraintViolation as ConstraintViolation
from nitro.sql.errors import DuplicateId as DuplicateId
from nitro.sql.errors import MultipleResults as MultipleResults
from nitro.sql.errors import NoResult as NoResult
from nitro.sql.errors import SchemaMismatch as SchemaMismatch
from nitro.sql.query import Page as Page
from nitro.sql.query import SQLQuery as SQLQuery
from nitro.sql.specs import SQLTranslatable as SQLTranslatable
from nitro.sql.uow import AsyncUnitOfWork as AsyncUnitOfWork
from nitro.sql.uow import UnitOfWork as UnitOfWork

#: The installed version of nitro-sql (from its distribution metadata).
__version__: str = _version("nitro-sql")

__all__ = [
    "DEFAULT_URL",
    "ENV_VAR",
    "AsyncUnitOfWork",
    "ConstraintViolation",
    "Database",
    "DuplicateId",
    "Field",
    "MultipleResults",
    "NoResult",
    "Page",
    "Relationship",
    "SQLEntity",
    "SQLModelBackend",
    "SQLQuery",
    "SQLTranslatable",
    "SchemaMismatch",
    "UnitOfWork",
    "__version__",
    "and_",
    "col",
    "configure",
    "get_database",
    "not_",
    "or_",
    "use_database",
]
