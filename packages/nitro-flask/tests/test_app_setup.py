"""The shared setup suite (tests/support/nitro_setup_suite.py) on Flask."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask
from nitro_servers import serve_wsgi
from nitro_setup_suite import SetupSuite

from nitro.adapters.flask import configure_app


class TestFlaskSetup(SetupSuite):
    @classmethod
    def new_app(cls) -> Flask:
        return Flask(__name__)

    @classmethod
    def configure(cls, app: Any, **options: Any) -> Any:
        return configure_app(app, **options)

    @classmethod
    def add_page(cls, app: Any, path: str, render: Callable[[], str]) -> None:
        app.add_url_rule(path, path.strip("/"), render, methods=["GET"])

    @classmethod
    def add_error_handler(cls, app: Any, error: type[Exception], status: int) -> None:
        app.register_error_handler(error, lambda exc: ("mine", status))

    @classmethod
    def serve(cls, app: Any) -> Any:
        return serve_wsgi(app)
