"""The dispatcher's decisions that do not need a web framework."""

import pytest

from nitro import Entity
from nitro.actions import ActionDispatcher, ActionRequest, build_action_app
from nitro.actions.decorator import action
from nitro.actions.registry import ActionRoute


class Lamp(Entity):
    on: bool = False

    @action
    def toggle(self) -> None:
        self.on = not self.on


@pytest.fixture
def routes() -> dict[str, ActionRoute]:
    app = build_action_app(entities=[Lamp])
    return {("id" if r.with_id else "plain"): r for r in app.routes}


@pytest.fixture
def lamp():
    Lamp.repository().clear()
    lamp = Lamp(id="l1")
    lamp.save()
    yield lamp
    Lamp.repository().clear()


def call(dispatcher, route, **request):
    return dispatcher.handle(route, ActionRequest(**request))


def test_trusted_origin_may_write(routes, lamp):
    dispatcher = ActionDispatcher(trusted_origins=["https://admin.example/"])
    headers = {"origin": "https://admin.example", "sec-fetch-site": "cross-site", "host": "app"}
    response = call(
        dispatcher, routes["id"], method="POST", path_params={"id": "l1"}, headers=headers
    )
    assert response.status == 200
    assert Lamp.get("l1").on is True


def test_origin_with_matching_host_is_same_origin(routes, lamp):
    headers = {"origin": "http://app.test:8000", "host": "app.test:8000"}
    response = call(
        ActionDispatcher(), routes["id"], method="POST", path_params={"id": "l1"}, headers=headers
    )
    assert response.status == 200


def test_unsupported_content_type_is_422(routes, lamp):
    response = call(
        ActionDispatcher(),
        routes["plain"],
        method="POST",
        headers={"content-type": "text/xml"},
        body=b"<x/>",
    )
    assert response.status == 422
    assert b"unsupported content type 'text/xml'" in response.body


def test_body_that_is_not_an_object_is_422(routes, lamp):
    response = call(ActionDispatcher(), routes["plain"], method="POST", body=b"[1,2]")
    assert response.status == 422
    assert b"must be a JSON object" in response.body


def test_id_from_the_entity_signals(routes, lamp):
    body = b'{"Lamp": {"id": "l1", "on": true}}'
    response = call(ActionDispatcher(), routes["plain"], method="POST", body=body)
    assert response.status == 200
    assert Lamp.get("l1").on is True  # toggled from the stored False, not the sent True


def test_change_is_published(routes, lamp):
    app = build_action_app(entities=[Lamp])
    with app.broadcaster.subscribe("lamp:l1") as subscription:
        call(app.dispatcher, routes["id"], method="POST", path_params={"id": "l1"})
        assert subscription.get(1) == {"Lamp": {"id": "l1", "on": True}}


def test_live_stream_resyncs_from_the_repository(lamp):
    from nitro.actions import live_events
    from nitro.broadcast import InProcessBroadcaster

    hub = InProcessBroadcaster()
    events = live_events(hub, lamp, keepalive=1)
    assert '"on":false' in next(events)
    stored = Lamp.get("l1")
    stored.on = True
    stored.save()  # changed behind the broadcaster's back
    hub.resync_all()
    assert '"on":true' in next(events)
    events.close()
    assert hub.subscriber_count("lamp:l1") == 0


class Gauge(Entity):
    level: int = 0

    @action
    def raise_level(self) -> None:
        self.level += 1


def test_unreachable_storage_is_503_without_details(caplog):
    from nitro.actions import find_live_entity as _  # noqa: F401  (public)
    from nitro.persistence import BackendUnavailable, MemoryRepo

    class DownRepo(MemoryRepo):
        def get(self, entity_id):
            raise BackendUnavailable("redis://:secret@10.0.0.1:6379/0 refused")

    original = Gauge._persistence_backend_class
    Gauge._persistence_backend_class = DownRepo
    try:
        app = build_action_app(entities=[Gauge])
        route = next(r for r in app.routes if r.with_id)
        response = app.dispatcher.handle(
            route, ActionRequest(method="POST", path_params={"id": "g"})
        )
        assert response.status == 503
        assert b"secret" not in response.body
        assert response.body == b'{"error":"Service temporarily unavailable"}'
        from nitro.actions.live import find_live_entity

        assert find_live_entity(Gauge, "g").status == 503
    finally:
        Gauge._persistence_backend_class = original
