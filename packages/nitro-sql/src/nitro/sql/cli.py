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
nitro-core finds this module through the ``nitro.commands`` entry point.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from nitro.sql.config import database_for, get_database

__all__ = ["register"]


def _where(parser: argparse.ArgumentParser, *, defaults: bool) -> None:
    """``--url`` and ``--directory``, on ``nitro db`` (with the defaults) and again on
    each subcommand (without: a value given there wins), so both orders work:
    ``nitro db --url X upgrade`` and ``nitro db upgrade --url X``."""
    keep = None if defaults else argparse.SUPPRESS
    parser.add_argument(
        "--url",
        default=keep,
        help="database URL (default: $NITRO_DATABASE_URL or sqlite:///nitro.db)",
    )
    parser.add_argument(
        "--directory",
        "-d",
        default="migrations" if defaults else argparse.SUPPRESS,
        help="migrations directory (default: migrations)",
    )


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``nitro db`` and its subcommands, and ``nitro migrate``, to the ``nitro``
    command."""
    db = subparsers.add_parser(
        "db", help="database migrations (Alembic)", description="Database migrations (Alembic)."
    )
    _where(db, defaults=True)
    db.set_defaults(func=lambda args: _usage(db))
    commands = db.add_subparsers(title="db commands", metavar="DB_COMMAND")
    _add_commands(commands)

    migrate = subparsers.add_parser(
        "migrate",
        help="upgrade the database to the latest revision (nitro db upgrade)",
        description="Upgrade the database to the latest revision: 'nitro db upgrade'.",
    )
    _where(migrate, defaults=True)
    migrate.add_argument("revision", nargs="?", default="head", help="target (default: head)")
    migrate.add_argument("--sql", action="store_true", help="print the SQL instead of running it")
    migrate.set_defaults(func=_upgrade)


def _add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:

    init = commands.add_parser("init", help="create the migrations directory")
    init.add_argument(
        "--models",
        action="append",
        default=[],
        metavar="MODULE",
        help="a module defining SQLEntity classes, imported by env.py (repeatable)",
    )
    init.set_defaults(func=_init)

    revision = commands.add_parser("revision", help="create a new revision file")
    revision.add_argument("-m", "--message", required=True, help="what the revision does")
    revision.add_argument(
        "--autogenerate", action="store_true", help="compare the models with the database"
    )
    revision.set_defaults(func=_revision)

    upgrade = commands.add_parser("upgrade", help="upgrade to a later revision")
    upgrade.add_argument("revision", nargs="?", default="head", help="target (default: head)")
    upgrade.add_argument("--sql", action="store_true", help="print the SQL instead of running it")
    upgrade.set_defaults(func=_upgrade)

    downgrade = commands.add_parser("downgrade", help="revert to an earlier revision")
    downgrade.add_argument("revision", nargs="?", default="-1", help="target (default: -1)")
    downgrade.add_argument("--sql", action="store_true", help="print the SQL instead of running it")
    downgrade.set_defaults(func=_downgrade)

    current = commands.add_parser("current", help="show the database's revision")
    current.set_defaults(func=_current)

    history = commands.add_parser("history", help="list the revisions")
    history.set_defaults(func=_history)

    stamp = commands.add_parser(
        "stamp",
        help="record a revision as applied, without running it",
        description=(
            "Record REVISION as the database's revision without running any migration: "
            "for a database whose tables already match it (created on first use before "
            "the project had migrations: 'nitro db stamp head')."
        ),
    )
    stamp.add_argument("revision", help="the revision to record (head, base or an id)")
    stamp.set_defaults(func=_stamp)

    adopt = commands.add_parser(
        "adopt",
        help="bring a database made without migrations under them",
        description=(
            "For a database whose tables were created on first use: write a baseline "
            "revision that creates every table of the models (compared with an empty "
            "database, so a new database gets them all from 'nitro migrate'), then "
            "record it as applied here without running it. With revisions already in "
            "the directory, only records the latest as applied."
        ),
    )
    adopt.add_argument(
        "-m", "--message", default="baseline", help="the baseline's message (default: baseline)"
    )
    adopt.set_defaults(func=_adopt)

    for command in commands.choices.values():
        _where(command, defaults=False)


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return 0


def _config(args: argparse.Namespace) -> Any:
    from alembic.config import Config

    from nitro.sql.migrations import URL_ATTRIBUTE

    directory = Path(args.directory)
    if not (directory / "env.py").exists():
        raise SystemExit(
            f"nitro db: no migrations in {str(directory)!r}; run 'nitro db init' first "
            "(or pass --directory)"
        )
    if "" not in sys.path and str(Path.cwd()) not in sys.path:
        sys.path.insert(0, str(Path.cwd()))
    database = database_for(args.url) if args.url else get_database()
    config = Config()
    config.set_main_option("script_location", str(directory))
    config.attributes[URL_ATTRIBUTE] = database.url.render_as_string(hide_password=False)
    return config


def _init(args: argparse.Namespace) -> int:
    from nitro.sql.migrations import TEMPLATES

    directory = Path(args.directory)
    if directory.exists() and any(directory.iterdir()):
        print(f"nitro db init: {str(directory)!r} exists and is not empty", file=sys.stderr)
        return 1
    (directory / "versions").mkdir(parents=True, exist_ok=True)
    imports = "\n".join(f"import {module}  # noqa: F401" for module in args.models)
    env = (
        (TEMPLATES / "env.py.tmpl")
        .read_text()
        .format(imports=imports or "# import app.models  # noqa: F401")
    )
    (directory / "env.py").write_text(env)
    (directory / "script.py.mako").write_text((TEMPLATES / "script.py.mako").read_text())
    print(f"Created {directory}/ (env.py, script.py.mako, versions/).")
    if not args.models:
        print(f"Edit {directory}/env.py to import the modules defining your SQLEntity classes.")
    return 0


def _revision(args: argparse.Namespace) -> int:
    from alembic import command

    command.revision(_config(args), message=args.message, autogenerate=args.autogenerate)
    return 0


def _upgrade(args: argparse.Namespace) -> int:
    from alembic import command

    config = _config(args)
    with _progress():
        command.upgrade(config, args.revision, sql=args.sql)
    if not args.sql:
        _report(config)
    return 0


def _downgrade(args: argparse.Namespace) -> int:
    from alembic import command

    config = _config(args)
    with _progress():
        command.downgrade(config, args.revision, sql=args.sql)
    if not args.sql:
        _report(config)
    return 0


def _stamp(args: argparse.Namespace) -> int:
    from alembic import command

    config = _config(args)
    command.stamp(config, args.revision)
    _report(config)
    return 0


def _adopt(args: argparse.Namespace) -> int:
    import tempfile

    from alembic import command
    from alembic.script import ScriptDirectory

    from nitro.sql.migrations import URL_ATTRIBUTE

    config = _config(args)
    if not ScriptDirectory.from_config(config).get_heads():
        url = config.attributes[URL_ATTRIBUTE]
        with tempfile.TemporaryDirectory() as empty:
            config.attributes[URL_ATTRIBUTE] = f"sqlite:///{Path(empty) / 'empty.db'}"
            command.revision(config, message=args.message, autogenerate=True)
        config.attributes[URL_ATTRIBUTE] = url
    command.stamp(config, "head")
    _report(config)
    return 0


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


def _current(args: argparse.Namespace) -> int:
    from alembic import command

    command.current(_config(args), verbose=True)
    return 0


def _history(args: argparse.Namespace) -> int:
    from alembic import command

    command.history(_config(args))
    return 0
