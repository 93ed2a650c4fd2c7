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

    from nitro._app_commands import register_app_commands

    register_app_commands(subparsers)  # routes, shell, dev: commands that load an app

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
