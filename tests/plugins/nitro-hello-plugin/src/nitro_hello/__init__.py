"""A sample Nitro plugin: ``GET /hello`` on every app, ``nitro hello`` on the command
line, a line in ``$NITRO_HELLO_LOG`` for every entity saved, and an ``X-Hello`` header
on every action's answer."""

from __future__ import annotations

import argparse
import os
from typing import Any

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

    def cli(self, subparsers: Any) -> None:
        parser = subparsers.add_parser("hello", help="say hello (the sample plugin)")
        parser.add_argument("--name", default="world")
        parser.set_defaults(func=self.command)

    def command(self, args: argparse.Namespace) -> int:
        print(f"hello, {args.name}, from a Nitro plugin")
        return 0


plugin = HelloPlugin()
