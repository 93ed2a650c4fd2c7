"""The ``nitro`` commands that load an app (``module:attribute``, as uvicorn takes it):
``routes``, ``shell`` and ``dev``. An app that cannot be loaded exits 2 with the reason."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

import click

from nitro._console import fail, out

__all__ = ["APP_COMMANDS"]

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}
APP = click.argument("app", metavar="APP")


def _loading(name: str) -> Callable[[Callable[..., None]], Callable[..., int]]:
    """Turn the errors of loading the app into exit status 2 with the reason."""

    def decorate(run: Callable[..., None]) -> Callable[..., int]:
        @wraps(run)
        def handler(*args: Any, **kwargs: Any) -> int:
            try:
                run(*args, **kwargs)
            except (ImportError, AttributeError, ValueError) as exc:
                return fail(f"nitro {name}", str(exc))
            return 0

        return handler

    return decorate


@click.command(context_settings=CONTEXT)
@APP
@_loading("routes")
def routes(app: str) -> None:
    """List an app's routes: actions, commands, live streams, the admin...

    Every route of APP (module:attribute): Nitro's action and command routes with who
    may call them, the live streams, and the framework's other routes (the admin, health
    checks, your own pages).

    Example: nitro routes app:app
    """
    from nitro._route_table import load_app, route_table

    rows = route_table(load_app(app))
    width = [max(len(row[i]) for row in rows) for i in range(3)]
    for number, row in enumerate(rows):
        cells = [f"{cell:<{width[i]}}" for i, cell in enumerate(row[:3])]
        line = "  ".join([*cells, row[3]]).rstrip()
        out().print(line, style="bold" if number == 0 else None, markup=False)


@click.command(context_settings=CONTEXT)
@APP
@_loading("shell")
def shell(app: str) -> None:
    """A Python prompt with the app's entities imported.

    A Python prompt (IPython when installed) with APP (module:attribute), the entity
    classes of its module and nitro imported.

    Example: nitro shell app:app, then Order.all()
    """
    from nitro._shell import start_shell

    start_shell(app)


@click.command(context_settings=CONTEXT)
@APP
@click.option("--host", default="127.0.0.1", show_default=True, help="address")
@click.option("--port", type=int, default=None, help="port  [default: 8000 or a free one]")
@_loading("dev")
def dev(app: str, host: str, port: int | None) -> None:
    """Serve the app for development, reloading on file changes.

    uvicorn serves FastAPI and FastHTML apps, Flask's server Flask apps, reloading when
    a file under the current directory changes; on port 8000, or a free one if 8000 is
    taken. With an admin mounted it prints its URL and a development user's password.

    Example: nitro dev app:app
    """
    from nitro._dev import serve_for_development

    serve_for_development(app, host, port)


APP_COMMANDS = (routes, shell, dev)
