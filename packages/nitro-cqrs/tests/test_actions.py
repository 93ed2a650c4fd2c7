"""An @action can simply send a command: the command's rules hold inside the action's
own unit of work, and its events go out after the action's commit."""

from __future__ import annotations

import pytest
from flask import Flask

from nitro import Entity, action
from nitro.actions.registry import default_registry
from nitro.adapters.flask import configure_app
from nitro.cqrs import Bus, Command, Event, Rejected
from nitro.persistence import MemoryRepo
from nitro.persistence.registry import use_backend


class Shelf(Entity):
    count: int = 0


class Take(Command):
    shelf_id: str
    n: int


class Taken(Event):
    shelf_id: str
    n: int


def make_app() -> tuple[Flask, list[int]]:
    bus = Bus()
    seen: list[int] = []

    @bus.handles(Take)
    def take(cmd: Take, uow) -> int:
        shelf = uow.repo(Shelf).get(cmd.shelf_id)
        if cmd.n > 100:
            raise LookupError("an unexpected failure")
        if shelf.count < cmd.n:
            raise Rejected(f"only {shelf.count} left")
        shelf.count -= cmd.n
        shelf.save()
        bus.publish(Taken(shelf_id=cmd.shelf_id, n=cmd.n))
        return shelf.count

    bus.handles(Taken)(lambda evt: seen.append(evt.n))

    class Counter(Entity):
        @action(method="POST")
        @classmethod
        def take(cls, shelf_id: str, n: int) -> int:
            return bus.send(Take(shelf_id=shelf_id, n=n))  # type: ignore[no-any-return]

    app = Flask(__name__)
    configure_app(app, entities=[Counter])
    return app, seen


@pytest.fixture
def client_and_events():
    with default_registry.isolated(), use_backend(MemoryRepo, Shelf):
        Shelf.repository().clear()
        Shelf(id="s", count=3).save()
        app, seen = make_app()
        yield app.test_client(), seen


def test_an_action_sends_a_command(client_and_events):
    client, seen = client_and_events
    origin = {"Origin": "http://localhost"}
    answer = client.post("/counter/take?shelf_id=s&n=2", headers=origin)
    assert answer.status_code == 200
    assert answer.get_json() == {"result": 1}
    assert Shelf.get_or_raise("s").count == 1
    assert seen == [2]

    refused = client.post("/counter/take?shelf_id=s&n=2", headers=origin)
    assert (refused.status_code, refused.get_json()) == (409, {"error": "only 1 left"})
    assert Shelf.get_or_raise("s").count == 1
    assert seen == [2]

    failed = client.post("/counter/take?shelf_id=s&n=101", headers=origin)
    assert failed.status_code == 500  # an unexpected error: logged, never sent
    assert b"unexpected" not in failed.data

    invalid = client.post("/counter/take?shelf_id=s&n=two", headers=origin)
    assert invalid.status_code == 422
    assert invalid.get_json()["errors"][0]["parameter"] == "n"
    cross = client.post("/counter/take?shelf_id=s&n=1", headers={"Origin": "http://evil.test"})
    assert cross.status_code == 403
    assert Shelf.get_or_raise("s").count == 1
