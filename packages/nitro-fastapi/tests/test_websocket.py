"""The WebSocket suite on FastAPI (uvicorn, with the ``websockets`` package)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from nitro_servers import serve_asgi
from nitro_ws_suite import WebSocketSuite

from nitro.adapters.fastapi import configure_app


class TestFastAPIWebSocket(WebSocketSuite):
    @classmethod
    def build_app(cls, **options: Any) -> FastAPI:
        app = FastAPI()
        configure_app(app, **options)
        return app

    @classmethod
    def serve(cls, app: Any) -> Any:
        return serve_asgi(app)


def test_the_socket_is_not_in_the_openapi_document() -> None:
    app = FastAPI()
    configure_app(app, entities=[], websockets=True)
    paths = app.openapi()["paths"]
    assert not any(path.startswith("/_ws") for path in paths)
    assert {getattr(r, "name", None) for r in app.router.routes} >= {"nitro_ws", "nitro_ws_js"}


def test_the_socket_is_opt_in() -> None:
    app = FastAPI()
    configure_app(app, entities=[])
    assert "nitro_ws" not in {getattr(r, "name", None) for r in app.router.routes}
