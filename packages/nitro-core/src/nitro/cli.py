"""The ``nitro`` command.

nitro-core owns the root command; sibling packages add subcommands through the
``nitro.commands`` entry-point group (nitro-sql adds ``nitro db``), so installing a
package is all it takes for its commands to appear and nitro-core never imports them.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from importlib.metadata import entry_points

from nitro._version import __version__

#: An entry point in the ``nitro.commands`` group points at a function that receives
#: the subparsers object and adds its own parser (setting ``func`` as the handler).
CommandRegistrar = Callable[["argparse._SubParsersAction[argparse.ArgumentParser]"], None]

ENTRY_POINT_GROUP = "nitro.commands"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="nitro", description="Nitro command-line tools.")
    parser.add_argument("--version", action="version", version=f"nitro-core {__version__}")
    subparsers = parser.add_subparsers(title="commands", metavar="COMMAND")

    info = subparsers.add_parser("info", help="show the installed Nitro distributions")
    info.set_defaults(func=_info)

    routes = subparsers.add_parser(
        "routes",
        help="list an app's routes: actions, commands, live streams, the admin...",
        description=(
            "List every route of APP (module:attribute, as uvicorn takes it): Nitro's "
            "action and command routes with who may call them, the live streams, and "
            "the framework's other routes (the admin, health checks, your own pages). "
            "Example: nitro routes app:app"
        ),
    )
    routes.add_argument("app", help="the app, as module:attribute (e.g. app:app)")
    routes.set_defaults(func=_routes)

    shell = subparsers.add_parser(
        "shell",
        help="a Python prompt with the app's entities imported",
        description=(
            "A Python prompt (IPython when installed) with APP, the entity classes of "
            "its module and nitro imported. Example: nitro shell app:app, then "
            "Order.all()"
        ),
    )
    shell.add_argument("app", help="the app's module, or module:attribute (e.g. app:app)")
    shell.set_defaults(func=_shell)

    dev = subparsers.add_parser(
        "dev",
        help="serve the app for development, reloading on file changes",
        description=(
            "Serve APP (module:attribute) for development: uvicorn for FastAPI and "
            "FastHTML, Werkzeug for Flask, reloading when a file under the current "
            "directory changes; port 8000, or a free one if 8000 is taken. Example: "
            "nitro dev app:app"
        ),
    )
    dev.add_argument("app", help="the app, as module:attribute (e.g. app:app)")
    dev.add_argument("--host", default="127.0.0.1", help="address (default: 127.0.0.1)")
    dev.add_argument("--port", type=int, default=None, help="port (default: 8000 or a free one)")
    dev.set_defaults(func=_dev)

    for ep in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
        registrar: CommandRegistrar = ep.load()
        registrar(subparsers)
    from nitro import plugins

    plugins.call("cli", subparsers)  # installed plugins' commands (nitro.plugins)
    return parser


def _info(args: argparse.Namespace) -> int:
    from nitro._distributions import installed_distributions

    for name, dist_version in installed_distributions():
        print(f"{name} {dist_version}")
    return 0


def _routes(args: argparse.Namespace) -> int:
    from nitro._route_table import load_app, route_table

    try:
        app = load_app(args.app)
    except (ImportError, AttributeError, ValueError) as exc:
        print(f"nitro routes: {exc}", file=sys.stderr)
        return 2
    rows = route_table(app)
    width = [max(len(row[i]) for row in rows) for i in range(3)]
    for row in rows:
        cells = [f"{cell:<{width[i]}}" for i, cell in enumerate(row[:3])]
        print("  ".join([*cells, row[3]]).rstrip())
    return 0


def _shell(args: argparse.Namespace) -> int:
    from nitro._shell import start_shell

    try:
        start_shell(args.app)
    except (ImportError, AttributeError, ValueError) as exc:
        print(f"nitro shell: {exc}", file=sys.stderr)
        return 2
    return 0


def _dev(args: argparse.Namespace) -> int:
    from nitro._dev import serve_for_development

    try:
        serve_for_development(args.app, args.host, args.port)
    except (ImportError, AttributeError, ValueError) as exc:
        print(f"nitro dev: {exc}", file=sys.stderr)
        return 2
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    func = getattr(args, "func", None)
    if func is None:
        parser.print_help()
        return 0
    return int(func(args) or 0)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
