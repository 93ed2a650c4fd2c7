"""``nitro db``: Alembic migrations from the ``nitro`` command.

.. code-block:: console

    $ nitro db init --models app.models        # writes migrations/
    $ nitro db revision --autogenerate -m "create todo"
    $ nitro db upgrade                          # to head (or: nitro migrate)
    $ nitro db downgrade                        # one step back (or: downgrade base)
    $ nitro db adopt                            # tables created on first use: baseline
    $ nitro db stamp head                       # record a revision as applied

The database URL is ``--url``, else ``NITRO_DATABASE_URL``, else ``sqlite:///nitro.db``.
The current directory is put on ``sys.path`` so that ``env.py`` can import your models.
nitro-core finds ``db`` and ``migrate`` through the ``nitro.commands`` entry points.
"""

from __future__ import annotations

import contextlib
import logging
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import click

from nitro.sql.config import database_for, get_database

__all__ = ["db", "migrate"]

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


def _where(command: Callable[..., Any]) -> Callable[..., Any]:
    """``--url`` and ``--directory``, on ``nitro db`` and again on each subcommand (a
    value given there wins), so both orders work: ``nitro db --url X upgrade`` and
    ``nitro db upgrade --url X``."""
    command = click.option(
        "--directory", "-d", default=None, help="migrations directory  [default: migrations]"
    )(command)
    return click.option(
        "--url",
        default=None,
        help="database URL  [default: $NITRO_DATABASE_URL or sqlite:///nitro.db]",
    )(command)


def _settings(ctx: click.Context, url: str | None, directory: str | None) -> tuple[str | None, str]:
    """The subcommand's ``--url``/``--directory``, else ``nitro db``'s, else the defaults."""
    outer = ctx.find_object(dict) or {}
    return url or outer.get("url"), directory or outer.get("directory") or "migrations"


@click.group(context_settings=CONTEXT, invoke_without_command=True)
@_where
@click.pass_context
def db(ctx: click.Context, url: str | None, directory: str | None) -> None:
    """Database migrations (Alembic).

    Example: nitro db revision --autogenerate -m "add price"
    """
    ctx.obj = {"url": url, "directory": directory}
    if ctx.invoked_subcommand is None:
        click.echo(ctx.get_help())


@db.command("init")
@click.option(
    "--models",
    multiple=True,
    metavar="MODULE",
    help="a module defining SQLEntity classes, imported by env.py (repeatable)",
)
@_where
@click.pass_context
def init_command(
    ctx: click.Context, models: tuple[str, ...], url: str | None, directory: str | None
) -> int:
    """Create the migrations directory.

    Example: nitro db init --models app.models
    """
    from nitro.sql.migrations import TEMPLATES

    folder = Path(_settings(ctx, url, directory)[1])
    if folder.exists() and any(folder.iterdir()):
        click.echo(f"nitro db init: {str(folder)!r} exists and is not empty", err=True)
        return 1
    (folder / "versions").mkdir(parents=True, exist_ok=True)
    imports = "\n".join(f"import {module}  # noqa: F401" for module in models)
    env = (
        (TEMPLATES / "env.py.tmpl")
        .read_text()
        .format(imports=imports or "# import app.models  # noqa: F401")
    )
    (folder / "env.py").write_text(env)
    (folder / "script.py.mako").write_text((TEMPLATES / "script.py.mako").read_text())
    click.echo(f"Created {folder}/ (env.py, script.py.mako, versions/).")
    if not models:
        click.echo(f"Edit {folder}/env.py to import the modules defining your SQLEntity classes.")
    return 0


@db.command()
@click.option("-m", "--message", required=True, help="what the revision does")
@click.option("--autogenerate", is_flag=True, help="compare the models with the database")
@_where
@click.pass_context
def revision(
    ctx: click.Context, message: str, autogenerate: bool, url: str | None, directory: str | None
) -> int:
    """Create a new revision file.

    Example: nitro db revision --autogenerate -m "add price"
    """
    from alembic import command

    command.revision(_config(*_settings(ctx, url, directory)), message=message,
                     autogenerate=autogenerate)  # fmt: skip
    return 0


def _move(
    ctx: click.Context,
    way: str,
    target: str,
    sql: bool,
    url: str | None,
    directory: str | None,
) -> int:
    """Alembic's ``upgrade`` or ``downgrade`` (*way*) to *target*, a line per revision
    run, then where the database is (unless only printing the SQL)."""
    from alembic import command

    config = _config(*_settings(ctx, url, directory))
    with _progress():
        getattr(command, way)(config, target, sql=sql)
    if not sql:
        _report(config)
    return 0


SQL = click.option("--sql", is_flag=True, help="print the SQL instead of running it")


@db.command()
@click.argument("target", metavar="[REVISION]", default="head")
@SQL
@_where
@click.pass_context
def upgrade(
    ctx: click.Context, target: str, sql: bool, url: str | None, directory: str | None
) -> int:
    """Upgrade to a later revision (default: head).

    Example: nitro db upgrade --url postgresql+psycopg://localhost/shop
    """
    return _move(ctx, "upgrade", target, sql, url, directory)


@click.command(context_settings=CONTEXT)
@click.argument("target", metavar="[REVISION]", default="head")
@SQL
@_where
@click.pass_context
def migrate(
    ctx: click.Context, target: str, sql: bool, url: str | None, directory: str | None
) -> int:
    """Upgrade the database to the latest revision: 'nitro db upgrade'.

    Example: nitro migrate --url sqlite:///app.db
    """
    return _move(ctx, "upgrade", target, sql, url, directory)


@db.command()
@click.argument("target", metavar="[REVISION]", default="-1")
@SQL
@_where
@click.pass_context
def downgrade(
    ctx: click.Context, target: str, sql: bool, url: str | None, directory: str | None
) -> int:
    """Revert to an earlier revision (default: one step back, -1; 'base' for all).

    Example: nitro db downgrade base
    """
    return _move(ctx, "downgrade", target, sql, url, directory)


@db.command()
@_where
@click.pass_context
def current(ctx: click.Context, url: str | None, directory: str | None) -> int:
    """Show the database's revision.

    Example: nitro db current
    """
    from alembic import command

    command.current(_config(*_settings(ctx, url, directory)), verbose=True)
    return 0


@db.command()
@_where
@click.pass_context
def history(ctx: click.Context, url: str | None, directory: str | None) -> int:
    """List the revisions.

    Example: nitro db history
    """
    from alembic import command

    command.history(_config(*_settings(ctx, url, directory)))
    return 0


@db.command()
@click.argument("target", metavar="REVISION")
@_where
@click.pass_context
def stamp(ctx: click.Context, target: str, url: str | None, directory: str | None) -> int:
    """Record a revision as applied, without running it.

    For a database whose tables already match REVISION (head, base or an id): created
    on first use before the project had migrations.

    Example: nitro db stamp head
    """
    from alembic import command

    config = _config(*_settings(ctx, url, directory))
    command.stamp(config, target)
    _report(config)
    return 0


@db.command()
@click.option("-m", "--message", default="baseline", show_default=True,
              help="the baseline's message")  # fmt: skip
@_where
@click.pass_context
def adopt(ctx: click.Context, message: str, url: str | None, directory: str | None) -> int:
    """Bring a database made without migrations under them.

    For a database whose tables were created on first use: write a baseline revision
    that creates every table of the models (compared with an empty database, so a new
    database gets them all from 'nitro migrate'), then record it as applied here
    without running it. With revisions already in the directory, only records the
    latest as applied.

    Example: nitro db adopt --url sqlite:///nitro.db
    """
    import tempfile

    from alembic import command
    from alembic.script import ScriptDirectory

    from nitro.sql.migrations import URL_ATTRIBUTE

    config = _config(*_settings(ctx, url, directory))
    if not ScriptDirectory.from_config(config).get_heads():
        real = config.attributes[URL_ATTRIBUTE]
        with tempfile.TemporaryDirectory() as empty:
            config.attributes[URL_ATTRIBUTE] = f"sqlite:///{Path(empty) / 'empty.db'}"
            command.revision(config, message=message, autogenerate=True)
        config.attributes[URL_ATTRIBUTE] = real
    command.stamp(config, "head")
    _report(config)
    return 0


def _config(url: str | None, directory: str) -> Any:
    from alembic.config import Config

    from nitro.sql.migrations import URL_ATTRIBUTE

    folder = Path(directory)
    if not (folder / "env.py").exists():
        raise click.ClickException(
            f"no migrations in {str(folder)!r}; run 'nitro db init' first (or pass --directory)"
        )
    if "" not in sys.path and str(Path.cwd()) not in sys.path:
        sys.path.insert(0, str(Path.cwd()))
    database = database_for(url) if url else get_database()
    config = Config()
    config.set_main_option("script_location", str(folder))
    config.attributes[URL_ATTRIBUTE] = database.url.render_as_string(hide_password=False)
    return config


@contextlib.contextmanager
def _progress() -> Iterator[None]:
    """One line per revision applied (Alembic says "Running upgrade a -> b, message"
    on its ``alembic.runtime.migration`` logger), on stdout."""
    logger = logging.getLogger("alembic.runtime.migration")
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(logging.Formatter("%(message)s"))
    handler.addFilter(lambda record: record.getMessage().startswith("Running "))
    level, propagate = logger.level, logger.propagate
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
        logger.propagate = propagate


def _report(config: Any) -> None:
    """Where the database is now: ``Database at 1a2b3c (head).``"""
    import sqlalchemy as sa
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    from nitro.sql.migrations import URL_ATTRIBUTE

    engine = sa.create_engine(config.attributes[URL_ATTRIBUTE], poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            current = MigrationContext.configure(conn).get_current_heads()
    finally:
        engine.dispose()
    heads = set(ScriptDirectory.from_config(config).get_heads())
    if not current:
        print("Database at base (no revision applied).")
        return
    names = ", ".join(f"{rev} (head)" if rev in heads else rev for rev in current)
    print(f"Database at {names}.")
