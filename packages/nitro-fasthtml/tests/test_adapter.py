"""The shared adapter suite on FastHTML."""

from __future__ import annotations

from typing import Any

from fasthtml.common import fast_app
from nitro_adapter_suite import AdapterSuite
from nitro_auth_suite import AuthSuite
from nitro_live_suite import LiveSuite
from nitro_servers import serve_asgi

from nitro.adapters.fasthtml import configure_app, mount


class TestFastHTMLAdapter(AdapterSuite):
    @classmethod
    def configure(cls, app: Any, **kwargs: Any) -> Any:
        return configure_app(app, **kwargs)

    @classmethod
    def mount(cls, app: Any, mountable: Any, prefix: str = "") -> None:
        mount(app, mountable, prefix=prefix)

    @classmethod
    def build_app(cls, prefix: str = "", entities: list[type] | None = None, **options: Any) -> Any:
        app, _ = fast_app()
        configure_app(app, prefix=prefix, entities=entities, **options)
        return app

    @classmethod
    def serve(cls, app: Any) -> Any:
        return serve_asgi(app)

    @classmethod
    def app_routes(cls, app: Any) -> set[tuple[str, str]]:
        return {
            (method, route.path)
            for route in app.routes
            if (getattr(route, "name", None) or "").startswith("nitro_")
            for method in route.methods - {"HEAD"}
        }


class TestFastHTMLAuth(AuthSuite):
    """The shared permission suite (tests/support/nitro_auth_suite.py)."""

    adapter = TestFastHTMLAdapter


class TestFastHTMLLive(LiveSuite):
    """The shared live-update suite (tests/support/nitro_live_suite.py)."""

    adapter = TestFastHTMLAdapter
