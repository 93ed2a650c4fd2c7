"""The shared setup suite (tests/support/nitro_setup_suite.py) on FastAPI."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, PlainTextResponse
from nitro_servers import serve_asgi
from nitro_setup_suite import SetupSuite

from nitro.adapters.fastapi import configure_app


class TestFastAPISetup(SetupSuite):
    @classmethod
    def new_app(cls) -> FastAPI:
        return FastAPI()

    @classmethod
    def configure(cls, app: Any, **options: Any) -> Any:
        return configure_app(app, **options)

    @classmethod
    def add_page(cls, app: Any, path: str, render: Callable[[], str]) -> None:
        def page() -> HTMLResponse:  # sync: FastAPI runs it in a worker thread
            return HTMLResponse(render())

        app.add_api_route(path, page, methods=["GET"])

    @classmethod
    def add_error_handler(cls, app: Any, error: type[Exception], status: int) -> None:
        async def handler(request: Request, exc: Exception) -> PlainTextResponse:
            return PlainTextResponse("mine", status)

        app.add_exception_handler(error, handler)

    @classmethod
    def serve(cls, app: Any) -> Any:
        return serve_asgi(app)
