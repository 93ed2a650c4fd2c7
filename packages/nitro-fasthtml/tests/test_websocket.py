"""The WebSocket suite on FastHTML (uvicorn, with the ``websockets`` package)."""

from __future__ import annotations

from typing import Any

from fasthtml.common import fast_app
from nitro_servers import serve_asgi
from nitro_ws_suite import WebSocketSuite

from nitro.adapters.fasthtml import configure_app


class TestFastHTMLWebSocket(WebSocketSuite):
    @classmethod
    def build_app(cls, **options: Any) -> Any:
        app, _ = fast_app()
        configure_app(app, **options)
        return app

    @classmethod
    def serve(cls, app: Any) -> Any:
        return serve_asgi(app)
