"""The shared adapter suite on FastAPI, plus what only FastAPI has (OpenAPI)."""

from __future__ import annotations

from typing import Any

from fastapi import Depends, FastAPI, Header, HTTPException
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from nitro_adapter_suite import ENTITIES, AdapterSuite, Counter
from nitro_auth_suite import AuthSuite
from nitro_live_suite import LiveSuite
from nitro_servers import serve_asgi

from nitro.actions.asgi import ActionEndpoint
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


def _action_route(app: FastAPI, path: str) -> APIRoute:
    return next(r for r in app.routes if isinstance(r, APIRoute) and r.path == path)


def test_action_routes_without_dependencies_are_served_by_core():
    app = FastAPI()
    configure_app(app, entities=ENTITIES)
    route = _action_route(app, "/counter/{id}/increment")
    assert isinstance(route.app, ActionEndpoint)  # no Request, no dependency solving
    assert app.url_path_for(route.name, id="c1") == "/counter/c1/increment"


def test_app_dependencies_still_run_before_actions():
    calls: list[str] = []

    def require_token(x_token: str = Header(default="")) -> None:
        calls.append(x_token)
        if x_token != "secret":
            raise HTTPException(status_code=401, detail="no token")

    app = FastAPI(dependencies=[Depends(require_token)])
    configure_app(app, entities=ENTITIES)
    assert not isinstance(_action_route(app, "/counter/{id}/increment").app, ActionEndpoint)
    Counter(id="dep").save()
    try:
        with TestClient(app) as client:
            refused = client.post("/counter/dep/increment?amount=2")
            allowed = client.post("/counter/dep/increment?amount=2", headers={"x-token": "secret"})
    finally:
        Counter.repository().delete("dep")
    assert refused.status_code == 401
    assert allowed.status_code == 200
    assert allowed.json()["entity"]["count"] == 2
    assert calls == ["", "secret"]


def test_an_apps_own_route_class_serves_action_routes():
    seen: list[str] = []

    class TimedRoute(APIRoute):
        def get_route_handler(self) -> Any:
            handler = super().get_route_handler()

            async def timed(request: Any) -> Any:
                seen.append(request.url.path)
                return await handler(request)

            return timed

    app = FastAPI()
    app.router.route_class = TimedRoute
    configure_app(app, entities=ENTITIES)
    assert isinstance(_action_route(app, "/counter/{id}/increment"), TimedRoute)
    Counter(id="timed").save()
    try:
        with TestClient(app) as client:
            answer = client.post("/counter/timed/increment?amount=3")
    finally:
        Counter.repository().delete("timed")
    assert answer.status_code == 200
    assert answer.json()["entity"]["count"] == 3
    assert seen == ["/counter/timed/increment"]


class TestFastAPIAuth(AuthSuite):
    """The shared permission suite (tests/support/nitro_auth_suite.py)."""

    adapter = TestFastAPIAdapter


class TestFastAPILive(LiveSuite):
    """The shared live-update suite (tests/support/nitro_live_suite.py)."""

    adapter = TestFastAPIAdapter
