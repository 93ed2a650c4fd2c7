"""Alembic migrations for SQLEntity tables, driven by ``nitro db``.

``nitro db init`` writes a ``migrations/`` directory whose ``env.py`` imports your
model modules and calls :func:`run_migrations`; the other ``nitro db`` commands run
Alembic on it. The target metadata is ``SQLModel.metadata`` (every ``SQLEntity``
table, including the hidden ``nitro_expires_at`` column). Document tables of plain
entities (``nitro_doc_*``) are created on demand and left alone by migrations. SQLite
migrations use Alembic's batch mode, so columns can be altered and dropped there too.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.pool import NullPool
from sqlmodel import SQLModel

from nitro.sql._mapping import DOCUMENT_PREFIX
from nitro.sql.config import get_database

__all__ = ["TEMPLATES", "URL_ATTRIBUTE", "run_migrations"]

#: Where ``nitro db init`` copies ``env.py`` and ``script.py.mako`` from.
TEMPLATES = Path(__file__).parent / "templates"
#: The Alembic config attribute carrying the database URL (set by ``nitro db``).
URL_ATTRIBUTE = "nitro_url"


def run_migrations(target_metadata: sa.MetaData | None = None) -> None:
    """Run the Alembic migration context (call it from ``env.py``)."""
    from alembic import context

    config = context.config
    url = config.attributes.get(URL_ATTRIBUTE) or get_database().url.render_as_string(
        hide_password=False
    )
    options: dict[str, Any] = {
        "target_metadata": target_metadata if target_metadata is not None else SQLModel.metadata,
        "compare_type": True,
        "render_as_batch": sa.engine.make_url(url).get_backend_name() == "sqlite",
        "include_name": _include_name,
    }
    if context.is_offline_mode():
        context.configure(url=url, literal_binds=True, **options)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = sa.create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            context.configure(connection=connection, **options)
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


def _include_name(name: str | None, type_: str, parent_names: Any) -> bool:
    # Document tables of plain entities are created on demand, not migrated.
    return not (type_ == "table" and name is not None and name.startswith(DOCUMENT_PREFIX))
