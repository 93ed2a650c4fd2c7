"""SQL persistence for Nitro entities (SQLModel/SQLAlchemy; SQLite and PostgreSQL)."""

from importlib.metadata import version as _version

__version__: str = _version("nitro-sql")

__all__ = ["__version__"]
