"""``nitro db``: Alembic migrations from the ``nitro`` command.

.. code-block:: console

    $ nitro db init --models app.models        # writes migrations/
    $ nitro db revision --autogenerate -m "create todo"
    $ nitro db upgrade                          # to head
    $ nitro db downgrade                        # one step back (or: downgrade base)

The database URL is ``--url``, else ``NITRO_DATABASE_URL``, else ``sqlite:///nitro.db``.
The current directory is put on ``sys.path`` so that ``env.py`` can import your models.
nitro-core finds this module through the ``nitro.commands`` entry point.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from nitro.sql.config import database_for, get_database

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``nitro db`` and its subcommands to the ``nitro`` command."""
    db = subparsers.add_parser(
        "db", help="database migrations (Alembic)", description="Database migrations (Alembic)."
    )
    db.add_argument(
        "--url", help="database URL (default: $NITRO_DATABASE_URL or sqlite:///nitro.db)"
    )
    db.add_argument(
        "--directory", "-d", default="migrations", help="migrations directory (default: migrations)"
    )
    db.set_defaults(func=lambda args: _usage(db))
    commands = db.add_subparsers(title="db commands", metavar="DB_COMMAND")

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

    command.upgrade(_config(args), args.revision, sql=args.sql)
    return 0


def _downgrade(args: argparse.Namespace) -> int:
    from alembic import command

    command.downgrade(_config(args), args.revision, sql=args.sql)
    return 0


def _current(args: argparse.Namespace) -> int:
    from alembic import command

    command.current(_config(args), verbose=True)
    return 0


def _history(args: argparse.Namespace) -> int:
    from alembic import command

    command.history(_config(args))
    return 0
