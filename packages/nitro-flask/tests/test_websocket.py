"""The WebSocket suite on Flask (flask-sock on Werkzeug's threaded server)."""

from __future__ import annotations

from typing import Any

from flask import Flask
from nitro_servers import serve_wsgi
from nitro_ws_suite import WebSocketSuite

from nitro.adapters.flask import configure_app


class TestFlaskWebSocket(WebSocketSuite):
    @classmethod
    def build_app(cls, **options: Any) -> Flask:
        app = Flask(__name__)
        configure_app(app, **options)
        return app

    @classmethod
    def serve(cls, app: Any) -> Any:
        return serve_wsgi(app)


def test_a_plain_request_to_the_socket_is_refused() -> None:
    app = Flask("plain")
    configure_app(app, entities=[], websockets=True)
    assert app.test_client().get("/_ws").status_code == 400
    assert app.test_client().get("/_ws.js").status_code == 200
