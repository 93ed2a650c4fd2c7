"""The shared setup suite (tests/support/nitro_setup_suite.py) on FastHTML."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fasthtml.common import fast_app
from nitro_servers import serve_asgi
from nitro_setup_suite import SetupSuite
from starlette.responses import HTMLResponse, PlainTextResponse

from nitro.adapters.fasthtml import configure_app


class TestFastHTMLSetup(SetupSuite):
    @classmethod
    def new_app(cls) -> Any:
        app, _ = fast_app()
        return app

    @classmethod
    def configure(cls, app: Any, **options: Any) -> Any:
        return configure_app(app, **options)

    @classmethod
    def add_page(cls, app: Any, path: str, render: Callable[[], str]) -> None:
        def page() -> HTMLResponse:  # sync: run in a worker thread
            return HTMLResponse(render())

        app.route(path, methods=["get"])(page)

    @classmethod
    def add_error_handler(cls, app: Any, error: type[Exception], status: int) -> None:
        async def handler(request: Any, exc: Exception) -> PlainTextResponse:
            return PlainTextResponse("mine", status)

        app.add_exception_handler(error, handler)

    @classmethod
    def serve(cls, app: Any) -> Any:
        return serve_asgi(app)
