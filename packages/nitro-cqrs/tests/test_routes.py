"""Commands and queries as routes on FastAPI, Flask and FastHTML: the answers, the
validation and the checks an @action gets."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pydantic
import pytest

from nitro import Entity
from nitro.actions.registry import default_registry
from nitro.cqrs import Bus, Command, Query, Rejected
from nitro.cqrs.routes import expose, route_name
from nitro.persistence import MemoryRepo
from nitro.persistence.registry import use_backend


class Bin(Entity):
    count: int = 0


class Line(pydantic.BaseModel):
    bin_id: str
    quantity: int = pydantic.Field(ge=1)


class TakeItems(Command):
    order_id: str
    lines: list[Line]


class Secret(Command):
    pass


class Explode(Command):
    pass


class CountIn(Query[int]):
    bin_id: str


def make_bus() -> Bus:
    bus = Bus()

    @bus.handles(TakeItems)
    def take(cmd: TakeItems, uow: Any) -> str:
        for line in cmd.lines:
            found = uow.repo(Bin).get(line.bin_id)
            if found.count < line.quantity:
                raise Rejected(f"only {found.count} left in {line.bin_id}")
            found.count -= line.quantity
            found.save()
        return cmd.order_id

    @bus.handles(Secret)
    def secret(cmd: Secret) -> None:
        raise PermissionError("staff only")

    @bus.handles(Explode)
    def explode(cmd: Explode) -> None:
        raise RuntimeError("password=hunter2")

    @bus.handles(CountIn)
    def count_in(query: CountIn) -> int:
        return Bin.get_or_raise(query.bin_id).count

    return bus


class Client:
    """One interface over Flask's test client and Starlette's TestClient."""

    def __init__(self, raw: Any, origin: str) -> None:
        self.raw = raw
        self.origin = origin  # what the client sends as Host: a same-origin request

    def call(self, method: str, url: str, **kwargs: Any) -> tuple[int, Any]:
        headers = {"Origin": self.origin, **kwargs.pop("headers", {})}
        answer = getattr(self.raw, method)(url, headers=headers, **kwargs)
        body = answer.get_json() if hasattr(answer, "get_json") else answer.json()
        return answer.status_code, body


def build(framework: str, holder: type) -> Client:
    if framework == "flask":
        from flask import Flask

        from nitro.adapters.flask import configure_app

        flask_app = Flask(__name__)
        configure_app(flask_app, entities=[holder])
        return Client(flask_app.test_client(), "http://localhost")
    from starlette.testclient import TestClient

    if framework == "fastapi":
        from fastapi import FastAPI

        from nitro.adapters.fastapi import configure_app as configure_fastapi

        app: Any = FastAPI()
        configure_fastapi(app, entities=[holder])
    else:
        from fasthtml.common import FastHTML

        from nitro.adapters.fasthtml import configure_app as configure_fasthtml

        app = FastHTML()
        configure_fasthtml(app, entities=[holder])
    return Client(TestClient(app), "http://testserver")


@pytest.fixture(params=["fastapi", "flask", "fasthtml"])
def client(request: pytest.FixtureRequest) -> Iterator[Client]:
    with default_registry.isolated(), use_backend(MemoryRepo, Bin):
        Bin.repository().clear()
        Bin(id="a", count=5).save()
        Bin(id="b", count=1).save()
        holder = expose(make_bus(), TakeItems, Secret, Explode, CountIn, name="shop")
        yield build(request.param, holder)


ORDER = {
    "order_id": "o1",
    "lines": [{"bin_id": "a", "quantity": 2}, {"bin_id": "b", "quantity": 1}],
}


def test_a_command_route_runs_the_command(client: Client) -> None:
    assert client.call("post", "/shop/take_items", json=ORDER) == (200, {"result": "o1"})
    assert (Bin.get_or_raise("a").count, Bin.get_or_raise("b").count) == (3, 0)


def test_a_rejected_command_answers_409_with_its_message_and_keeps_nothing(client: Client) -> None:
    order = {**ORDER, "lines": [{"bin_id": "a", "quantity": 2}, {"bin_id": "b", "quantity": 2}]}
    status, body = client.call("post", "/shop/take_items", json=order)
    assert (status, body["error"]) == (409, "only 1 left in b")
    assert (Bin.get_or_raise("a").count, Bin.get_or_raise("b").count) == (5, 1)


def test_invalid_fields_answer_422_naming_them(client: Client) -> None:
    status, body = client.call("post", "/shop/take_items", json={"order_id": "o1"})
    assert status == 422
    assert [e["parameter"] for e in body["errors"]] == ["lines"]
    bad = {**ORDER, "lines": [{"bin_id": "a", "quantity": 0}]}
    status, body = client.call("post", "/shop/take_items", json=bad)
    assert status == 422
    assert "greater than or equal to 1" in body["error"]
    assert Bin.get_or_raise("a").count == 5


def test_a_query_route_answers_with_get(client: Client) -> None:
    assert client.call("get", "/shop/count_in?bin_id=a") == (200, {"result": 5})
    assert client.call("get", "/shop/count_in?bin_id=nope")[0] == 404


def test_checks_and_errors_as_for_actions(client: Client) -> None:
    status, _ = client.call(
        "post", "/shop/take_items", json=ORDER, headers={"Origin": "http://evil.test"}
    )
    assert status == 403
    assert Bin.get_or_raise("a").count == 5
    assert client.call("post", "/shop/secret")[0] == 403
    status, body = client.call("post", "/shop/explode")
    assert status == 500
    assert "hunter2" not in str(body)


def test_expose_refuses_what_it_cannot_route() -> None:
    with default_registry.isolated():
        bus = Bus()
        with pytest.raises(Exception, match="no handler is registered for CountIn"):
            expose(bus, CountIn)
        with pytest.raises(TypeError, match="Command and Query classes"):
            expose(bus, Bin)  # type: ignore[arg-type]
        with pytest.raises(ValueError, match="identifier"):
            expose(make_bus(), CountIn, name="two words")
    assert route_name(TakeItems) == "take_items"
