"""The ``nitro`` command, on Click, writing through Rich.

nitro-core owns the root command; sibling packages add theirs through the
``nitro.commands`` entry-point group, each entry point a :class:`click.Command` (or
group) named as it appears (nitro-sql adds ``db`` and ``migrate``, nitro-cqrs
``worker``), and installed plugins through their ``cli(group)`` hook. Installing a
package is all it takes for its commands to appear, and nitro-core never imports them.

Exit statuses scripts can rely on: 0 done, 1 the work failed (a test, a service), 2 the
arguments were wrong (the message names the argument).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from importlib.metadata import EntryPoint, entry_points
from pathlib import Path

import click

from nitro._console import fail, out, steps
from nitro._version import __version__

ENTRY_POINT_GROUP = "nitro.commands"

#: Every command: ``-h`` too, and help wrapped at 100 columns at most.
CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


class NitroGroup(click.Group):
    """The root command: nitro-core's commands, and the ``nitro.commands`` entry points
    of installed distributions, each imported only when it runs or help lists it (so
    ``nitro init`` does not import SQLAlchemy for ``nitro db``)."""

    def _installed(self) -> dict[str, EntryPoint]:
        return {ep.name: ep for ep in entry_points(group=ENTRY_POINT_GROUP)}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.commands, *self._installed()})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        command = self.commands.get(cmd_name)
        entry_point = self._installed().get(cmd_name) if command is None else None
        if entry_point is not None:
            command = entry_point.load()
            if not isinstance(command, click.Command):
                raise TypeError(
                    f"the {ENTRY_POINT_GROUP} entry point {cmd_name!r} ({entry_point.value}) "
                    f"must be a click.Command, got {type(command).__name__}"
                )
            self.add_command(command, cmd_name)
        return command


@click.group(cls=NitroGroup, context_settings=CONTEXT)
@click.version_option(__version__, prog_name="nitro-core", message="%(prog)s %(version)s")
def nitro() -> None:
    """Nitro command-line tools.

    Example: nitro init shop --framework fastapi --storage sqlite
    """


@nitro.command()
def info() -> None:
    """Show the installed Nitro distributions and their versions.

    Example: nitro info
    """
    from nitro._distributions import installed_distributions

    for name, dist_version in installed_distributions():
        out().print(f"{name} {dist_version}")


def _ask(question: str, options: list[str], default: str) -> str:
    return str(click.prompt(question, type=click.Choice(options), default=default))


def _with_project_options(command: Callable[..., int]) -> Callable[..., int]:
    """``--admin``, ``--auth``, ``--jobs``: one flag per :data:`nitro._init.OPTIONS`
    entry, ``None`` when not given (then asked in a terminal)."""
    from nitro._init import OPTIONS

    for option, what in reversed(OPTIONS.items()):
        command = click.option(f"--{option}", is_flag=True, default=None, help=what)(command)
    return command


@nitro.command()
@click.argument("name")
@click.option("--framework", type=click.Choice(["fastapi", "flask", "fasthtml"]))
@click.option("--storage", type=click.Choice(["memory", "sqlite", "postgres", "redis"]))
@_with_project_options
@click.option("--force", is_flag=True, help="write into a non-empty directory")
def init(
    name: str, framework: str | None, storage: str | None, force: bool, **given: bool | None
) -> int:
    """Start a new project in ./NAME that runs and passes its tests.

    It has pyproject.toml, models.py (an entity with actions), app.py, tests, a README
    with its two commands, a .gitignore, and with SQL a migrations/ directory. What is
    not given is asked for when run in a terminal.

    Example: nitro init shop --framework flask --storage sqlite --admin
    """
    from nitro._init import FRAMEWORKS, OPTIONS, STORAGES, Choices, ProjectError, create_project

    asking = sys.stdin.isatty() and not (framework and storage)  # flags given: no questions
    framework = framework or (
        _ask("Framework", list(FRAMEWORKS), "fastapi") if asking else "fastapi"
    )
    storage = storage or (_ask("Storage", list(STORAGES), "sqlite") if asking else "sqlite")
    options = {}
    for option, what in OPTIONS.items():
        chosen = given[option]
        if chosen is None and asking:
            chosen = click.confirm(f"Add {option} ({what})?", default=False)
        options[option] = bool(chosen)
    try:
        choices = Choices(name, framework, storage, **options)
        with steps("Writing the project", 2 if choices.sql else 0) as step:
            written = create_project(choices, Path.cwd(), force=force, step=step)
    except ProjectError as exc:
        return fail("nitro init", str(exc))
    added = [option for option, chosen in options.items() if chosen]
    out().print(
        f"Created {name}/ ({len(written)} files): {FRAMEWORKS[framework]}, "
        f"entities {STORAGES[storage]}" + (f", with {', '.join(added)}." if added else ".")
    )
    next_steps = [f"cd {name}", "uv run nitro test"]
    next_steps += ["uv run nitro migrate"] if choices.sql else []
    out().print("Next:\n  " + "\n  ".join([*next_steps, "uv run nitro dev app:app"]))
    return 0


@nitro.group(invoke_without_command=True)
@click.pass_context
def generate(ctx: click.Context) -> None:
    """Add code to a project made by 'nitro init'.

    Example: nitro generate entity Product name:str price:float
    """
    if ctx.invoked_subcommand is None:
        click.echo(ctx.get_help())


@generate.command()
@click.argument("name")
@click.argument("fields", nargs=-1, required=True)
@click.option("--force", is_flag=True, help="write over existing files")
def entity(name: str, fields: tuple[str, ...], force: bool) -> int:
    """Add an entity class, its test and (SQL) its migration.

    It writes entities/NAME.py (imported by models.py), a test, its line in admin.py
    when there is one, and with SQL a migration revision. FIELDS are name:type,
    name:type=default or name:type? (optional); types: str, int, float, bool, date,
    datetime, decimal, or an entity class for a reference (stored as name_id).

    Example: nitro generate entity Product name:str price:float stock:int=0
    category:Category?
    """
    from nitro._generate import generate_entity
    from nitro._init import ProjectError

    try:
        with steps("Writing the entity", 1) as step:
            written = generate_entity(Path.cwd(), name, list(fields), force=force, step=step)
    except ProjectError as exc:
        return fail("nitro generate entity", str(exc))
    for path in written:
        out().print(f"wrote {path.relative_to(Path.cwd())}")
    return 0


@nitro.command(
    context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False},
    add_help_option=False,  # `nitro test -h` is pytest's; `nitro test --help` is ours
)
@click.argument("pytest_args", nargs=-1, type=click.UNPROCESSED)
@click.pass_context
def test(ctx: click.Context, pytest_args: tuple[str, ...]) -> int:
    """Run the project's tests with the services they need.

    The services are those pyproject.toml names in [tool.nitro] services: 'postgres'
    starts a temporary PostgreSQL and sets NITRO_TEST_DATABASE_URL, 'redis' a temporary
    redis-server and NITRO_TEST_REDIS_URL (unless already set). They are stopped when
    pytest ends, and its exit status is the command's. Every argument goes to pytest.

    Example: nitro test -q -k pin
    """
    if pytest_args == ("--help",):
        click.echo(ctx.get_help())
        return 0
    from nitro._test_command import run_tests

    args = list(pytest_args)
    if args[:1] == ["--"]:  # `nitro test -- -q`: the separator is not pytest's
        args.pop(0)
    return run_tests(args)


def build_cli() -> click.Group:
    """The root command with every installed command added."""
    from nitro._app_commands import APP_COMMANDS

    for command in APP_COMMANDS:  # routes, shell, dev: commands that load an app
        nitro.add_command(command)
    from nitro import plugins

    plugins.call("cli", nitro)  # installed plugins' commands (nitro.plugins)
    return nitro


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``nitro ARGV``; the exit status (the console script exits with it)."""
    command = build_cli()
    try:
        result = command.main(
            args=list(argv) if argv is not None else None,
            prog_name="nitro",
            standalone_mode=False,
        )
    except click.exceptions.Exit as exc:  # --help, --version
        return int(exc.exit_code)
    except click.ClickException as exc:  # a bad argument: 2, naming it
        exc.show()
        return exc.exit_code
    except click.Abort:
        out().print("Aborted.")
        return 1
    return result if isinstance(result, int) else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
