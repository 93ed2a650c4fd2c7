"""The shared adapter suite on FastAPI, plus what only FastAPI has (OpenAPI)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute
from nitro_adapter_suite import ENTITIES, AdapterSuite
from nitro_servers import serve_asgi

from nitro.adapters.fastapi import configure_app, mount


class TestFastAPIAdapter(AdapterSuite):
    @classmethod
    def configure(cls, app: Any, **kwargs: Any) -> Any:
        return configure_app(app, **kwargs)

    @classmethod
    def mount(cls, app: Any, mountable: Any, prefix: str = "") -> None:
        mount(app, mountable, prefix=prefix)

    @classmethod
    def build_app(
        cls, prefix: str = "", entities: list[type] | None = None, **options: Any
    ) -> FastAPI:
        app = FastAPI()
        configure_app(app, prefix=prefix, entities=entities, **options)
        return app

    @classmethod
    def serve(cls, app: Any) -> Any:
        return serve_asgi(app)

    @classmethod
    def app_routes(cls, app: FastAPI) -> set[tuple[str, str]]:
        return {
            (method, route.path)
            for route in app.routes
            if isinstance(route, APIRoute)
            for method in route.methods
        }


def test_openapi_documents_typed_parameters():
    app = FastAPI()
    configure_app(app, entities=ENTITIES)
    spec = app.openapi()
    operation = spec["paths"]["/counter/{id}/increment"]["post"]
    params = {p["name"]: p for p in operation["parameters"]}
    assert params["id"] == {
        "name": "id",
        "in": "path",
        "required": True,
        "schema": {"type": "string"},
    }
    assert params["amount"]["schema"]["type"] == "integer"
    body = operation["requestBody"]["content"]["application/json"]["schema"]
    assert body["properties"]["amount"]["default"] == 1
    set_to = spec["paths"]["/counter/{id}/set_to"]["put"]["requestBody"]["content"]
    assert set_to["application/json"]["schema"]["required"] == ["value"]
    assert operation["summary"] == "Counter.increment"
