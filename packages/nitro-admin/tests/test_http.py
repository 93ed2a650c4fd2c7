"""The shared admin suite on FastAPI, Flask and FastHTML, each over a real server."""

from __future__ import annotations

from typing import Any

from nitro_admin_suite import AdminSuite
from nitro_servers import serve_asgi, serve_wsgi

from nitro.admin import Admin


class TestFastAPI(AdminSuite):
    @classmethod
    def build_app(cls, admin: Admin) -> Any:
        from fastapi import FastAPI

        from nitro.adapters.fastapi import mount

        app = FastAPI()
        mount(app, admin)
        return app

    @classmethod
    def build_app_with_actions(cls, admin: Admin, **options: Any) -> Any:
        from fastapi import FastAPI

        from nitro.adapters.fastapi import configure_app, mount

        app = FastAPI()
        configure_app(app, **options)
        mount(app, admin)
        return app

    @classmethod
    def serve(cls, app: Any) -> Any:
        return serve_asgi(app)


class TestFlask(AdminSuite):
    @classmethod
    def build_app(cls, admin: Admin) -> Any:
        from flask import Flask

        from nitro.adapters.flask import mount

        app = Flask(__name__)
        mount(app, admin)
        return app

    @classmethod
    def build_app_with_actions(cls, admin: Admin, **options: Any) -> Any:
        from flask import Flask

        from nitro.adapters.flask import configure_app, mount

        app = Flask(__name__)
        configure_app(app, **options)
        mount(app, admin)
        return app

    @classmethod
    def serve(cls, app: Any) -> Any:
        return serve_wsgi(app)


class TestFastHTML(AdminSuite):
    @classmethod
    def build_app(cls, admin: Admin) -> Any:
        from fasthtml.common import fast_app

        from nitro.adapters.fasthtml import mount

        app, _ = fast_app()
        mount(app, admin)
        return app

    @classmethod
    def build_app_with_actions(cls, admin: Admin, **options: Any) -> Any:
        from fasthtml.common import fast_app

        from nitro.adapters.fasthtml import configure_app, mount

        app, _ = fast_app()
        configure_app(app, **options)
        mount(app, admin)
        return app

    @classmethod
    def serve(cls, app: Any) -> Any:
        return serve_asgi(app)
