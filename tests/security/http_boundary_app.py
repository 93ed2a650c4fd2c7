"""One app per framework, actions plus the admin, served in its own process for
``test_http_boundary.py`` (so the test can read the server's peak memory and its log).

Run one: ``python tests/security/http_boundary_app.py flask 127.0.0.1 8000``. Settings
come from the environment (``NITRO_ALLOWED_HOSTS``, ``NITRO_MAX_BODY_BYTES``), read when
the app is configured, exactly as a deployed app reads them.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

from pydantic import BaseModel

from nitro import Entity
from nitro.actions import action
from nitro.admin import Admin, AdminUser, PasswordAuth, hash_password

SECRET = "http-boundary-secret-0123456789-abcdef"
PASSWORD = "boundary-password"


class HbOptions(BaseModel):
    label: str
    tags: list[str] = []


class HbWidget(Entity):
    title: str = ""
    label: str = ""

    @action(method="POST")
    def rename(self, title: str) -> None:
        self.title = title

    @action(method="POST")
    def configure(self, options: HbOptions) -> None:
        self.label = options.label

    @action(method="GET")
    def peek(self) -> dict[str, str]:
        return {"title": self.title}


def build_admin() -> Admin:
    auth = PasswordAuth([AdminUser("ann", hash_password(PASSWORD), is_superuser=True)])
    admin = Admin(auth=auth, secret_key=SECRET, login_throttle=False)
    admin.register(HbWidget)
    return admin


def build_app(framework: str) -> Any:
    if framework == "fastapi":
        from fastapi import FastAPI

        from nitro.adapters.fastapi import configure_app, mount

        app: Any = FastAPI()
    elif framework == "flask":
        from flask import Flask

        from nitro.adapters.flask import configure_app, mount

        app = Flask(__name__)
    else:
        from fasthtml.common import fast_app

        from nitro.adapters.fasthtml import configure_app, mount

        app, _ = fast_app()
    configure_app(app, entities=[HbWidget])
    mount(app, build_admin())
    return app


def main(framework: str, host: str, port: int) -> None:
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="%(name)s %(message)s")
    HbWidget(id="w1", title="first").save()
    app = build_app(framework)
    if framework == "flask":
        from werkzeug.serving import make_server

        make_server(host, port, app, threaded=True).serve_forever()
    else:
        import uvicorn

        uvicorn.run(app, host=host, port=port, log_level="warning", lifespan="off")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
