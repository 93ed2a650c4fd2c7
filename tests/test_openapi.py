"""The OpenAPI documents of the examples validate (openapi-spec-validator), on FastAPI
(FastAPI's own document with the actions' operations) and on Flask and FastHTML (the
document ``configure_app(app, openapi_url=...)`` serves)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from nitro_examples import serve_example
from openapi_spec_validator import validate

from nitro import Entity
from nitro.actions import action, default_registry
from nitro.auth import JWTAuth

#: example -> an operation its document must describe (path, method)
EXAMPLES = {
    "counter": ("/counter/{id}/increment", "post"),
    "todo": None,
    "counter_flask": ("/counter/{id}/increment", "post"),
    "counter_fasthtml": ("/counter/{id}/increment", "post"),
    "orders": None,
}


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_the_examples_documents_validate(name: str, tmp_path: Path) -> None:
    with serve_example(name, tmp_path) as url:
        answer = httpx.get(f"{url}/openapi.json", timeout=10)
    assert answer.status_code == 200, answer.text
    document = answer.json()
    validate(document)  # raises with the first problem
    assert document["paths"], "no operations documented"
    expected = EXAMPLES[name]
    if expected is not None:
        path, method = expected
        operation = document["paths"][path][method]
        assert (
            "result"
            in operation["responses"]["200"]["content"]["application/json"]["schema"]["properties"]
        )


class Address(Entity):
    street: str = ""


def parcel_entities() -> list[type]:
    """An entity declared inside the test's isolated registry (its parameter's model
    is module-level, where the annotations resolve)."""

    class Parcel(Entity):
        label: str = ""

        @action(permission="parcel.send")
        def send(self, to: Address, copies: int = 1) -> list[str]:
            return [to.street] * copies

    return [Parcel]


@pytest.mark.parametrize("framework", ["fastapi", "flask", "fasthtml"])
def test_nested_models_and_guards_are_documented(framework: str) -> None:
    auth = JWTAuth("k" * 40, algorithms=["HS256"])
    with default_registry.isolated():
        document = _document(framework, auth, parcel_entities())
    validate(document)
    send = document["paths"]["/parcel/{id}/send"]["post"]
    assert send["security"] == [{"bearerAuth": []}]
    assert "401" in send["responses"]
    body = send["requestBody"]["content"]["application/json"]["schema"]
    assert body["properties"]["to"] == {"$ref": "#/components/schemas/Address"}
    assert "Address" in document["components"]["schemas"]
    assert document["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"


def _document(framework: str, auth: JWTAuth, entities: list[type]) -> dict:
    if framework == "fastapi":
        from fastapi import FastAPI

        from nitro.adapters.fastapi import configure_app

        app = FastAPI()
        configure_app(app, entities=entities, auth=auth)
        return app.openapi()
    if framework == "flask":
        from flask import Flask

        from nitro.adapters.flask import configure_app as configure_flask

        flask_app = Flask(__name__)
        configure_flask(flask_app, entities=entities, auth=auth, openapi_url="/openapi.json")
        return flask_app.test_client().get("/openapi.json").get_json()
    from fasthtml.common import FastHTML
    from starlette.testclient import TestClient

    from nitro.adapters.fasthtml import configure_app as configure_fasthtml

    html_app = FastHTML()
    configure_fasthtml(html_app, entities=entities, auth=auth, openapi_url="/openapi.json")
    return TestClient(html_app).get("/openapi.json").json()
