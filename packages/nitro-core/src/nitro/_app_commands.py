"""The ``nitro`` commands that load an app (``module:attribute``, as uvicorn takes it):
``routes``, ``shell`` and ``dev``. An app that cannot be loaded exits 2 with the reason."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Any

__all__ = ["register_app_commands"]

APP_HELP = "the app, as module:attribute (e.g. app:app)"


def _routes(args: argparse.Namespace) -> None:
    from nitro._route_table import load_app, route_table

    rows = route_table(load_app(args.app))
    width = [max(len(row[i]) for row in rows) for i in range(3)]
    for row in rows:
        cells = [f"{cell:<{width[i]}}" for i, cell in enumerate(row[:3])]
        print("  ".join([*cells, row[3]]).rstrip())


def _shell(args: argparse.Namespace) -> None:
    from nitro._shell import start_shell

    start_shell(args.app)


def _dev(args: argparse.Namespace) -> None:
    from nitro._dev import serve_for_development

    serve_for_development(args.app, args.host, args.port)


#: name, one-line help, description (with an example), what it runs.
COMMANDS: tuple[tuple[str, str, str, Callable[[argparse.Namespace], None]], ...] = (
    (
        "routes",
        "list an app's routes: actions, commands, live streams, the admin...",
        "List every route of APP: Nitro's action and command routes with who may call "
        "them, the live streams, and the framework's other routes (the admin, health "
        "checks, your own pages). Example: nitro routes app:app",
        _routes,
    ),
    (
        "shell",
        "a Python prompt with the app's entities imported",
        "A Python prompt (IPython when installed) with APP, the entity classes of its "
        "module and nitro imported. Example: nitro shell app:app, then Order.all()",
        _shell,
    ),
    (
        "dev",
        "serve the app for development, reloading on file changes",
        "Serve APP for development: uvicorn for FastAPI and FastHTML, Flask's server for "
        "Flask, reloading when a file under the current directory changes; port 8000, or "
        "a free one if 8000 is taken. Example: nitro dev app:app",
        _dev,
    ),
)


def _exiting_2(name: str, run: Callable[[argparse.Namespace], None]) -> Any:
    def handler(args: argparse.Namespace) -> int:
        try:
            run(args)
        except (ImportError, AttributeError, ValueError) as exc:
            print(f"nitro {name}: {exc}", file=sys.stderr)
            return 2
        return 0

    return handler


def register_app_commands(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    for name, summary, description, run in COMMANDS:
        parser = subparsers.add_parser(name, help=summary, description=description)
        parser.add_argument("app", help=APP_HELP)
        parser.set_defaults(func=_exiting_2(name, run))
        if name == "dev":
            parser.add_argument("--host", default="127.0.0.1", help="address (default: 127.0.0.1)")
            parser.add_argument(
                "--port", type=int, default=None, help="port (default: 8000 or a free one)"
            )
