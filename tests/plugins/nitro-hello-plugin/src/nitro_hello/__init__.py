"""A sample Nitro plugin: ``GET /hello`` on every app, ``nitro hello`` on the command
line, a line in ``$NITRO_HELLO_LOG`` for every entity saved, and an ``X-Hello`` header
on every action's answer."""

from __future__ import annotations

import os
from typing import Any

import click

from nitro.events import post_save
from nitro.web import WebRoute, html


class HelloPlugin:
    name = "hello"

    def setup(self) -> None:
        post_save.connect(self.saved, weak=False)

    def saved(self, sender: type, entity: Any, **_: Any) -> None:
        log = os.environ.get("NITRO_HELLO_LOG")
        if log:
            with open(log, "a", encoding="utf-8") as out:
                out.write(f"saved {sender.__name__} {entity.id}\n")

    def web_routes(self) -> list[WebRoute]:
        return [WebRoute(("GET",), "/hello", self.hello, "nitro_hello_page")]

    def hello(self, request: Any) -> Any:
        return html("<p>Hello from a plugin</p>")

    def after_action(self, route: Any, request: Any, response: Any) -> None:
        response.headers["X-Hello"] = f"{route.entity.__name__}.{route.info.name}"

    def cli(self, group: click.Group) -> None:
        group.add_command(hello_command)


@click.command("hello")
@click.option("--name", default="world")
def hello_command(name: str) -> None:
    """Say hello (the sample plugin)."""
    click.echo(f"hello, {name}, from a Nitro plugin")


plugin = HelloPlugin()
