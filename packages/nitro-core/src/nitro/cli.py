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
from pathlib import Path

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

    init = subparsers.add_parser(
        "init",
        help="start a new project that runs and passes its tests",
        description=(
            "Write a new project in ./NAME: pyproject.toml, models.py (an entity with "
            "actions), app.py, tests, a README with its two commands, a .gitignore, and "
            "with SQL a migrations/ directory. Asks for what is not given when run in a "
            "terminal. Example: nitro init shop --framework flask --storage sqlite --admin"
        ),
    )
    init.add_argument("name", help="the project's name and directory")
    init.add_argument("--framework", choices=["fastapi", "flask", "fasthtml"])
    init.add_argument("--storage", choices=["memory", "sqlite", "postgres", "redis"])
    for option, what in _init_options().items():
        init.add_argument(f"--{option}", action="store_true", default=None, help=what)
    init.add_argument("--force", action="store_true", help="write into a non-empty directory")
    init.set_defaults(func=_init)

    generate = subparsers.add_parser(
        "generate",
        help="add code to a project: nitro generate entity ...",
        description="Add code to a project made by 'nitro init'.",
    )
    kinds = generate.add_subparsers(title="what", metavar="KIND")
    entity = kinds.add_parser(
        "entity",
        help="an entity class, its test and (SQL) its migration",
        description=(
            "Add an entity class (entities/NAME.py, imported by models.py), a test, and "
            "with SQL a migration revision. Fields are name:type, name:type=default or "
            "name:type? (optional); types: str, int, float, bool, date, datetime, "
            "decimal, or an entity class for a reference (stored as name_id). Example: "
            "nitro generate entity Product name:str price:float stock:int=0 "
            "category:Category?"
        ),
    )
    entity.add_argument("name", help="the class name, in CamelCase")
    entity.add_argument("fields", nargs="+", help="name:type[=default] or name:type?")
    entity.add_argument("--force", action="store_true", help="write over existing files")
    entity.set_defaults(func=_generate_entity)
    generate.set_defaults(func=lambda args: _usage(generate))

    test = subparsers.add_parser(
        "test",
        help="run the project's tests with the services they need",
        description=(
            "Run pytest in this project with the services that pyproject.toml names in "
            "[tool.nitro] services: 'postgres' starts a temporary PostgreSQL and sets "
            "NITRO_TEST_DATABASE_URL, 'redis' a temporary redis-server and "
            "NITRO_TEST_REDIS_URL (unless already set). They are stopped when pytest "
            "ends, and its exit status is the command's. Every argument goes to pytest. "
            "Example: nitro test -q -k pin"
        ),
        allow_abbrev=False,  # '--he...' is pytest's to read, not an abbreviated --help
    )
    test.add_argument(
        "pytest_args", nargs=argparse.REMAINDER, metavar="PYTEST_ARGS", help="passed on to pytest"
    )
    test.set_defaults(func=_test, passes_unknown_args=True)

    from nitro._app_commands import register_app_commands

    register_app_commands(subparsers)  # routes, shell, dev: commands that load an app

    for ep in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
        registrar: CommandRegistrar = ep.load()
        registrar(subparsers)
    from nitro import plugins

    plugins.call("cli", subparsers)  # installed plugins' commands (nitro.plugins)
    return parser


def _init_options() -> dict[str, str]:
    from nitro._init import OPTIONS

    return OPTIONS


def _info(args: argparse.Namespace) -> int:
    from nitro._distributions import installed_distributions

    for name, dist_version in installed_distributions():
        print(f"{name} {dist_version}")
    return 0


def _ask(question: str, options: list[str], default: str) -> str:
    while True:
        answer = input(f"{question} ({'/'.join(options)}) [{default}]: ").strip().lower()
        if not answer:
            return default
        if answer in options:
            return answer
        print(f"  one of: {', '.join(options)}")


def _init(args: argparse.Namespace) -> int:
    from nitro._init import (
        FRAMEWORKS,
        OPTIONS,
        STORAGES,
        Choices,
        ProjectError,
        create_project,
    )

    asking = sys.stdin.isatty()
    framework = args.framework or (
        _ask("Framework", list(FRAMEWORKS), "fastapi") if asking else "fastapi"
    )
    storage = args.storage or (_ask("Storage", list(STORAGES), "sqlite") if asking else "sqlite")
    options = {}
    for option in OPTIONS:
        given = getattr(args, option)
        if given is None and asking and not (args.framework and args.storage):
            given = _ask(f"Add {option}? {OPTIONS[option]}", ["y", "n"], "n") == "y"
        options[option] = bool(given)
    try:
        choices = Choices(args.name, framework, storage, **options)
        written = create_project(choices, Path.cwd(), force=args.force)
    except ProjectError as exc:
        print(f"nitro init: {exc}", file=sys.stderr)
        return 2
    added = [option for option, chosen in options.items() if chosen]
    print(
        f"Created {args.name}/ ({len(written)} files): {FRAMEWORKS[framework]}, "
        f"entities {STORAGES[storage]}" + (f", with {', '.join(added)}." if added else ".")
    )
    steps = [f"cd {args.name}", "uv run nitro test"]
    steps += ["uv run nitro migrate"] if choices.sql else []
    print("Next:\n  " + "\n  ".join([*steps, "uv run nitro dev app:app"]))
    return 0


def _test(args: argparse.Namespace) -> int:
    from nitro._test_command import run_tests

    pytest_args = list(args.pytest_args)
    if pytest_args[:1] == ["--"]:  # `nitro test -- -q`: the separator is not pytest's
        pytest_args.pop(0)
    return run_tests(pytest_args)


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return 0


def _generate_entity(args: argparse.Namespace) -> int:
    from nitro._generate import generate_entity
    from nitro._init import ProjectError

    try:
        written = generate_entity(Path.cwd(), args.name, args.fields, force=args.force)
    except ProjectError as exc:
        print(f"nitro generate entity: {exc}", file=sys.stderr)
        return 2
    for path in written:
        print(f"wrote {path.relative_to(Path.cwd())}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args, unknown = parser.parse_known_args(argv)
    if unknown:
        if not getattr(args, "passes_unknown_args", False):
            parser.error(f"unrecognized arguments: {' '.join(unknown)}")
        # `nitro test -q -k pin`: options before the first plain argument arrive here,
        # the rest in the REMAINDER; together, in their order, they go to pytest.
        args.pytest_args = [*unknown, *args.pytest_args]
    func = getattr(args, "func", None)
    if func is None:
        parser.print_help()
        return 0
    return int(func(args) or 0)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
