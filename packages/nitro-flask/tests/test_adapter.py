"""The shared adapter suite on Flask."""

from __future__ import annotations

from typing import Any

from flask import Flask
from nitro_adapter_suite import ENTITIES, AdapterSuite
from nitro_auth_suite import AuthSuite
from nitro_live_suite import LiveSuite
from nitro_servers import serve_wsgi

from nitro.adapters.flask import configure_app, mount


class TestFlaskAdapter(AdapterSuite):
    @classmethod
    def configure(cls, app: Any, **kwargs: Any) -> Any:
        return configure_app(app, **kwargs)

    @classmethod
    def mount(cls, app: Any, mountable: Any, prefix: str = "") -> None:
        mount(app, mountable, prefix=prefix)

    @classmethod
    def build_app(
        cls, prefix: str = "", entities: list[type] | None = None, **options: Any
    ) -> Flask:
        app = Flask(__name__)
        configure_app(app, prefix=prefix, entities=entities, **options)
        return app

    @classmethod
    def serve(cls, app: Any) -> Any:
        return serve_wsgi(app)

    @classmethod
    def app_routes(cls, app: Flask) -> set[tuple[str, str]]:
        return {
            (method, rule.rule.replace("<id>", "{id}").replace("<name>", "{name}"))
            for rule in app.url_map.iter_rules()
            if rule.endpoint != "static"
            for method in rule.methods - {"HEAD", "OPTIONS"}
        }


def test_state_lives_on_the_app():
    first, second = Flask("a"), Flask("b")
    configure_app(first, entities=ENTITIES)
    configure_app(second, prefix="/v2", entities=ENTITIES)
    assert first.extensions["nitro"].prefix == ""
    assert second.extensions["nitro"].prefix == "/v2"
    assert first.extensions["nitro"].broadcaster is not second.extensions["nitro"].broadcaster


def test_entity_defined_after_the_first_request_is_not_routed_and_a_warning_says_why(caplog):
    """Flask refuses new URL rules once it serves: the late class still defines fine."""
    from nitro import Entity
    from nitro.actions import action, default_registry

    app = Flask("late")
    with default_registry.isolated():  # other modules' same-named entities stay out
        configure_app(app, prefix="/after")
    assert app.test_client().get("/nothing").status_code == 404  # the first request

    with caplog.at_level("WARNING", logger="nitro.actions"):

        class AfterStart(Entity):
            @action(method="POST")
            def poke(self) -> None:
                pass

    try:
        assert "AfterStart.poke is not routed" in caplog.text
        assert "already serving requests" in caplog.text
        assert app.test_client().post("/after/afterstart/x/poke").status_code == 404
    finally:
        default_registry.forget(AfterStart)


def test_the_url_prefix_does_not_outlive_the_request():
    """A WSGI thread keeps its context between requests: the prefix is undone after each."""
    from nitro.actions import default_registry
    from nitro.actions.urls import current_prefix

    app = Flask("prefixed")
    with default_registry.isolated():
        configure_app(app, prefix="/api")
    seen = []
    app.add_url_rule("/api/where", "where", lambda: seen.append(current_prefix()) or "ok")
    assert app.test_client().get("/api/where").status_code == 200
    assert seen == ["/api"]
    assert current_prefix() == ""


class TestFlaskAuth(AuthSuite):
    """The shared permission suite (tests/support/nitro_auth_suite.py)."""

    adapter = TestFlaskAdapter


class TestFlaskLive(LiveSuite):
    """The shared live-update suite (tests/support/nitro_live_suite.py)."""

    adapter = TestFlaskAdapter
