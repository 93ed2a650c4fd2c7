"""One HTTP-level test suite for every framework adapter.

Each adapter package subclasses :class:`AdapterSuite` and says how to build an app
(``build_app``) and how to serve it on a real loopback port (``serve``); every test
then talks to a real server through httpx, so routing, streaming and error handling
are those of the framework itself.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager
from typing import Annotated, Any

import httpx
import pytest
from nitro_raw_http import chunked, raw_request
from pydantic import BaseModel, Field

from nitro import Entity
from nitro.actions import Conflict, Patch, action
from nitro.web import WebRoute, html, redirect
from rusty_tags import Div, Li

DATASTAR = {"Datastar-Request": "true"}


class Counter(Entity):
    count: int = 0
    step: int = 1
    label: str = "clicks"

    @action(method="POST")
    def increment(self, amount: int = 1) -> None:
        self.count += amount

    @action(method="POST")
    def decrement(self, amount: int = 1) -> None:
        self.count -= amount

    @action(method="POST")
    def reset(self) -> None:
        self.count = 0

    @action(method="PUT")
    def set_to(self, value: int) -> None:
        self.count = value

    @action(method="GET")
    def peek(self) -> dict[str, int]:
        return {"peeked": self.count}

    @action(method="DELETE")
    def remove(self) -> None:
        self.delete()

    @action(method="POST")
    def fail(self) -> None:
        raise RuntimeError("the database password is hunter2")

    @action(method="POST", selector="#count", mode="inner")
    def render(self) -> Any:
        return Div(f"{self.count} <b>", id="count-inner")

    @action(method="POST", path="log-it", selector="#log", mode="append")
    def log(self, message: str) -> Any:
        return Li(message)

    @action(method="POST")
    def stream(self, n: int = 3) -> Iterator[None]:
        for _ in range(n):
            self.count += 1
            yield None

    @action(method="POST")
    async def add_async(self, amount: int = 1) -> int:
        self.count += amount
        return self.count

    @action(method="POST")
    def tag(self, tags: list[str]) -> list[str]:
        return sorted(tags)

    @action(method="POST")
    def bounded(self, amount: Annotated[int, Field(ge=1, le=5)]) -> None:
        self.count += amount

    @action(method="DELETE")
    def drop(self) -> Any:
        self.delete()
        return [Patch.remove(f"#row-{self.id}"), Patch(Li("gone"), "#log", "append")]

    @action(method="POST")
    @classmethod
    def create(cls, start: int = 0) -> Counter:
        counter = cls(count=start)
        counter.save()
        return counter


class Note(Entity):
    text: str = ""

    @action(method="POST")
    def edit(self, text: str) -> None:
        self.text = text

    @action(method="PATCH")
    def append(self, more: str) -> None:
        self.text += more

    @action(method="POST")
    def shout(self) -> None:
        self.text = self.text.upper()

    @action(method="DELETE")
    def wipe(self) -> None:
        self.text = ""

    @action(method="GET")
    @classmethod
    def search(cls, q: str = "") -> list[Note]:
        return [note for note in cls.all() if q in note.text]


ENTITIES = [Counter, Note]


class Profile(BaseModel):
    name: str
    tags: list[str] = []


class Signup(Entity):
    """Served only by the boundary tests' app (not one of ``ENTITIES``)."""

    name: str = ""

    @action(method="POST")
    def register(self, profile: Profile) -> None:
        self.name = profile.name


class Ledger(Entity, versioned=True):
    """Served only by the conflict tests' app: a versioned entity."""

    balance: int = 0

    @action(method="POST")
    def deposit(self, amount: int = 1) -> None:
        self.balance += amount

    @action(method="POST")
    def deposit_racing(self, amount: int = 1) -> None:
        """Another request saves the same ledger while this action runs (in its own
        thread: a save made here would join this action's unit of work)."""

        def other_request() -> None:
            other = Ledger.get_or_raise(self.id)
            other.balance += 1000
            other.save()

        thread = threading.Thread(target=other_request)
        thread.start()
        thread.join()
        self.balance += amount


#: What the boundary tests' app allows: ``.example.test`` hosts, 2 KiB bodies.
BOUNDARY_HOST = "shop.example.test"
BOUNDARY_LIMIT = 2048


class Greeter:
    """A framework-neutral extension, mounted through the adapter's ``mount``."""

    def web_routes(self) -> list[WebRoute]:
        return [
            WebRoute(("GET",), "/hello/{name}", self.hello, "greeter_hello"),
            WebRoute(("POST",), "/login", self.login, "greeter_login"),
        ]

    def hello(self, request: Any) -> Any:
        who = request.cookies.get("who", "stranger")
        assert request.path.endswith(f"/hello/{request.path_params['name']}")
        assert (request.scheme, request.client) == ("http", "127.0.0.1")
        return html(f"<p>hello {request.path_params['name']} from {who}</p>")

    def login(self, request: Any) -> Any:
        response = redirect("/hello/again")
        response.set_cookies.append(f"who={request.data.get('user', '')}; HttpOnly; Path=/")
        response.set_cookies.append("theme=dark; Path=/")
        return response


COUNTER_ROUTES = {
    ("POST", "/counter/increment"), ("POST", "/counter/{id}/increment"),
    ("POST", "/counter/decrement"), ("POST", "/counter/{id}/decrement"),
    ("POST", "/counter/reset"), ("POST", "/counter/{id}/reset"),
    ("PUT", "/counter/set_to"), ("PUT", "/counter/{id}/set_to"),
    ("GET", "/counter/peek"), ("GET", "/counter/{id}/peek"),
    ("DELETE", "/counter/remove"), ("DELETE", "/counter/{id}/remove"),
    ("POST", "/counter/fail"), ("POST", "/counter/{id}/fail"),
    ("POST", "/counter/render"), ("POST", "/counter/{id}/render"),
    ("POST", "/counter/log-it"), ("POST", "/counter/{id}/log-it"),
    ("POST", "/counter/stream"), ("POST", "/counter/{id}/stream"),
    ("POST", "/counter/add_async"), ("POST", "/counter/{id}/add_async"),
    ("POST", "/counter/tag"), ("POST", "/counter/{id}/tag"),
    ("POST", "/counter/bounded"), ("POST", "/counter/{id}/bounded"),
    ("DELETE", "/counter/drop"), ("DELETE", "/counter/{id}/drop"),
    ("POST", "/counter/create"),
    ("GET", "/_live/counter/{id}"),
}  # fmt: skip
NOTE_ROUTES = {
    ("POST", "/note/edit"), ("POST", "/note/{id}/edit"),
    ("PATCH", "/note/append"), ("PATCH", "/note/{id}/append"),
    ("POST", "/note/shout"), ("POST", "/note/{id}/shout"),
    ("DELETE", "/note/wipe"), ("DELETE", "/note/{id}/wipe"),
    ("GET", "/note/search"),
    ("GET", "/_live/note/{id}"),
}  # fmt: skip

#: The one route of every live list's stream (nitro.actions.LiveList).
LIST_ROUTES = {("GET", "/_live/_list/{name}")}


def parse_sse(text: str) -> list[tuple[str, list[str]]]:
    """``[(event, [data lines...]), ...]`` from an SSE body."""
    events = []
    for block in text.strip().split("\n\n"):
        lines = [line for line in block.splitlines() if not line.startswith(":")]
        if not lines:
            continue
        name = next(line[7:] for line in lines if line.startswith("event: "))
        data = [line[6:] for line in lines if line.startswith("data: ")]
        events.append((name, data))
    return events


def signals_of(data: list[str]) -> dict[str, Any]:
    (line,) = [d for d in data if d.startswith("signals ")]
    return json.loads(line[len("signals ") :])


class AdapterSuite:
    """Subclass per adapter; implement ``build_app``, ``serve`` and ``app_routes``."""

    @classmethod
    def build_app(cls, prefix: str = "", entities: list[type] | None = None, **options: Any) -> Any:
        """A new app with Nitro configured; ``options`` go to ``configure_app``."""
        raise NotImplementedError

    @classmethod
    def serve(cls, app: Any) -> AbstractContextManager[str]:
        raise NotImplementedError

    @classmethod
    def app_routes(cls, app: Any) -> set[tuple[str, str]]:
        """``(METHOD, path)`` of every route the app serves, ``{id}`` for the id."""
        raise NotImplementedError

    # -- fixtures -------------------------------------------------------------------

    @pytest.fixture(scope="class")
    @classmethod
    def base_url(cls) -> Iterator[str]:
        app = cls.build_app(entities=ENTITIES)
        with cls.serve(app) as url:
            yield url

    @pytest.fixture
    def client(self, base_url: str) -> Iterator[httpx.Client]:
        with httpx.Client(base_url=base_url, timeout=10) as client:
            yield client

    @pytest.fixture(scope="class")
    @classmethod
    def boundary_url(cls) -> Iterator[str]:
        """An app with its own settings: allowed hosts and a small body limit, which
        the mounted extension inherits."""
        app = cls.build_app(
            entities=[Counter, Signup],
            allowed_hosts=[".example.test"],
            max_body_bytes=BOUNDARY_LIMIT,
        )
        cls.mount(app, Greeter(), prefix="/ext")
        with cls.serve(app) as url:
            yield url

    @pytest.fixture
    def boundary(self, boundary_url: str) -> Iterator[httpx.Client]:
        headers = {"Host": BOUNDARY_HOST}
        with httpx.Client(base_url=boundary_url, timeout=10, headers=headers) as client:
            yield client

    @pytest.fixture
    def counter(self) -> Iterator[Counter]:
        Counter.repository().clear()
        counter = Counter(id="c1", count=10)
        counter.save()
        yield counter
        Counter.repository().clear()

    # -- routes ---------------------------------------------------------------------

    def test_configure_registers_exactly_the_expected_routes(self) -> None:
        """Two entities, twenty actions: one route per class action, two per instance
        action (id from the signals, id in the path), one live stream per entity."""
        actions = [name for e in ENTITIES for name, v in vars(e).items() if hasattr(v, "info")]
        assert len(actions) == 20
        app = self.build_app(entities=ENTITIES)
        assert self.app_routes(app) == COUNTER_ROUTES | NOTE_ROUTES | LIST_ROUTES

    def test_prefix_moves_every_route(self) -> None:
        app = self.build_app(prefix="/api/", entities=[Note])
        assert self.app_routes(app) == {(m, "/api" + p) for m, p in NOTE_ROUTES | LIST_ROUTES}

    def test_configure_twice_is_refused(self) -> None:
        app = self.build_app(entities=[Note])
        with pytest.raises(RuntimeError, match="already called"):
            self.configure(app, entities=[Note])

    @classmethod
    def configure(cls, app: Any, **kwargs: Any) -> Any:
        raise NotImplementedError

    @classmethod
    def mount(cls, app: Any, mountable: Any, prefix: str = "") -> None:
        raise NotImplementedError

    def test_mounted_extension_serves_pages_and_cookies(self) -> None:
        app = self.build_app(entities=[Note])
        self.mount(app, Greeter(), prefix="/ext")
        with self.serve(app) as url, httpx.Client(base_url=url, timeout=10) as client:
            page = client.get("/ext/hello/ann")
            assert page.status_code == 200
            assert page.headers["content-type"] == "text/html; charset=utf-8"
            assert page.text == "<p>hello ann from stranger</p>"
            login = client.post("/ext/login", data={"user": "bob"})
            assert login.status_code == 303
            assert login.headers["location"] == "/hello/again"
            assert login.headers.get_list("set-cookie") == [
                "who=bob; HttpOnly; Path=/",
                "theme=dark; Path=/",
            ]
            # the client kept the cookie and sends it back
            assert client.get("/ext/hello/x").text == "<p>hello x from bob</p>"
            assert client.delete("/ext/login").status_code == 405

    def test_entity_defined_after_configure_app_is_routed(self) -> None:
        """An app serving every entity also routes classes defined after
        ``configure_app`` (e.g. further down the main file), live stream included."""
        from nitro.actions import default_registry

        # Other test modules of this process declared entities of the same names
        # (Counter...): an app serving every entity would refuse to route both.
        with default_registry.isolated():
            app = self.build_app(prefix="/late")

            class LateMemo(Entity):  # defined after configure_app
                text: str = ""

                @action(method="POST")
                def shout(self) -> None:
                    self.text = self.text.upper()

        try:
            assert ("POST", "/late/latememo/{id}/shout") in self.app_routes(app)
            assert ("GET", "/late/_live/latememo/{id}") in self.app_routes(app)
            LateMemo(id="m1", text="hi").save()
            with self.serve(app) as url, httpx.Client(base_url=url, timeout=10) as client:
                response = client.post("/late/latememo/m1/shout")
                assert response.status_code == 200, response.text
                assert response.json()["entity"]["text"] == "HI"
                with client.stream("GET", "/late/_live/latememo/m1") as live:
                    assert live.status_code == 200
                    assert live.headers["content-type"].startswith("text/event-stream")
            assert LateMemo.get("m1").text == "HI"
        finally:
            LateMemo.repository().clear()
            default_registry.forget(LateMemo)

    # -- success paths --------------------------------------------------------------

    def test_plain_client_gets_json_and_the_change_is_saved(self, client, counter) -> None:
        response = client.post("/counter/c1/increment?amount=5")
        assert response.status_code == 200
        assert response.json() == {
            "result": None,
            "entity": {"id": "c1", "count": 15, "step": 1, "label": "clicks"},
        }
        assert Counter.get("c1").count == 15

    def test_datastar_request_gets_patch_signals(self, client, counter) -> None:
        body = {"Counter": {"id": "c1", "count": 10, "step": 1}, "amount": 2}
        response = client.post("/counter/increment", json=body, headers=DATASTAR)
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        events = parse_sse(response.text)
        assert [name for name, _ in events] == ["datastar-patch-signals"]  # one patch:
        assert signals_of(events[0][1]) == {
            "_errors": {"amount": ""},  # clears old errors
            "Counter": {"id": "c1", "count": 12, "step": 1, "label": "clicks"},
        }
        assert Counter.get("c1").count == 12

    def test_row_action_does_not_add_entity_signals_to_the_page(self, client, counter) -> None:
        response = client.post("/counter/c1/reset", headers=DATASTAR)
        assert response.status_code == 200
        assert parse_sse(response.text) == []
        assert Counter.get("c1").count == 0

    def test_datastar_gets_parameter_errors_as_the_errors_signal(self, client, counter) -> None:
        body = {"Counter": {"id": "c1"}, "amount": "lots"}
        response = client.post("/counter/increment", json=body, headers=DATASTAR)
        assert response.status_code == 200  # Datastar 1.0 ignores non-2xx bodies
        [(_, data)] = parse_sse(response.text)
        errors = signals_of(data)["_errors"]
        assert errors["amount"].startswith("Input should be a valid integer")
        assert Counter.get("c1").count == 10

    def test_annotated_constraints_are_enforced(self, client, counter) -> None:
        response = client.post("/counter/c1/bounded?amount=9")
        assert response.status_code == 422
        assert response.json()["errors"][0]["parameter"] == "amount"
        assert client.post("/counter/c1/bounded?amount=5").status_code == 200
        assert Counter.get("c1").count == 15

    def test_extra_signals_change_nothing_but_what_the_action_does(self, client, counter) -> None:
        body = {"Counter": {"id": "c1", "count": 999, "step": 50, "label": "pwned"}, "count": 7}
        response = client.post("/counter/increment", json=body, headers=DATASTAR)
        assert response.status_code == 200
        stored = Counter.get("c1")
        assert (stored.count, stored.step, stored.label) == (11, 1, "clicks")

    def test_parameters_come_from_query_then_body(self, client, counter) -> None:
        response = client.post("/counter/c1/increment?amount=3", json={"amount": 100})
        assert response.json()["entity"]["count"] == 13
        response = client.post("/counter/c1/increment", json={"amount": 100})
        assert response.json()["entity"]["count"] == 113

    def test_form_bodies_bind_parameters(self, client, counter) -> None:
        response = client.put("/counter/c1/set_to", data={"value": "42"})
        assert response.status_code == 200
        assert Counter.get("c1").count == 42

    def test_get_action_reads_signals_from_the_datastar_query_parameter(
        self, client, counter
    ) -> None:
        signals = json.dumps({"Counter": {"id": "c1"}})
        response = client.get("/counter/peek", params={"datastar": signals}, headers=DATASTAR)
        assert response.status_code == 200
        assert signals_of(parse_sse(response.text)[-1][1]) == {"peeked": 10}

    def test_json_list_parameter_from_query_and_body(self, client, counter) -> None:
        assert client.post("/counter/c1/tag", json={"tags": ["b", "a"]}).json()["result"] == [
            "a",
            "b",
        ]
        response = client.post("/counter/c1/tag", params={"tags": '["z","y"]'})
        assert response.json()["result"] == ["y", "z"]

    def test_returned_element_becomes_patch_elements(self, client, counter) -> None:
        body = {"Counter": {"id": "c1"}}
        response = client.post("/counter/render", json=body, headers=DATASTAR)
        events = parse_sse(response.text)
        assert [name for name, _ in events] == ["datastar-patch-signals", "datastar-patch-elements"]
        data = events[1][1]
        assert "selector #count" in data
        assert "mode inner" in data
        assert 'elements <div id="count-inner">10 &lt;b&gt;</div>' in data

    def test_returned_patches_choose_their_own_targets(self, client, counter) -> None:
        response = client.delete("/counter/c1/drop", headers=DATASTAR)
        assert [data for _, data in parse_sse(response.text)] == [
            ["selector #row-c1", "mode remove", "elements "],
            ["selector #log", "mode append", "elements <li>gone</li>"],
        ]
        assert Counter.get("c1") is None

    def test_custom_path_and_append_mode(self, client, counter) -> None:
        response = client.post("/counter/c1/log-it", json={"message": "<hi>"}, headers=DATASTAR)
        data = parse_sse(response.text)[-1][1]
        assert data == ["selector #log", "mode append", "elements <li>&lt;hi&gt;</li>"]

    def test_generator_streams_one_event_per_yield(self, client, counter) -> None:
        response = client.post("/counter/c1/stream?n=3", headers=DATASTAR)
        counts = [signals_of(d)["Counter"]["count"] for _, d in parse_sse(response.text)]
        assert counts == [11, 12, 13]
        assert Counter.get("c1").count == 13

    def test_generator_answers_json_to_plain_clients(self, client, counter) -> None:
        response = client.post("/counter/c1/stream?n=2")
        assert response.headers["content-type"] == "application/json"
        assert response.json() == {
            "result": [],
            "entity": {"id": "c1", "count": 12, "step": 1, "label": "clicks"},
        }

    def test_async_action(self, client, counter) -> None:
        response = client.post("/counter/c1/add_async?amount=4")
        assert response.json()["result"] == 14
        assert Counter.get("c1").count == 14

    def test_class_action_without_instance(self, client, counter) -> None:
        response = client.post("/counter/create?start=3")
        assert response.status_code == 200
        created = response.json()["result"]
        assert created["count"] == 3
        assert Counter.get(created["id"]).count == 3

    def test_action_that_deletes_its_entity(self, client, counter) -> None:
        response = client.delete("/counter/c1/remove")
        assert response.status_code == 200
        assert response.json()["entity"] is None
        assert Counter.get("c1") is None

    # -- errors ---------------------------------------------------------------------

    def test_unknown_id_is_404(self, client, counter) -> None:
        response = client.post("/counter/nope/increment")
        assert response.status_code == 404
        assert response.json() == {"error": "Counter not found"}

    def test_invalid_parameter_is_422_naming_it_and_changes_nothing(self, client, counter) -> None:
        response = client.post("/counter/c1/increment?amount=abc")
        assert response.status_code == 422
        assert response.json()["errors"][0]["parameter"] == "amount"
        assert "amount" in response.json()["error"]
        assert Counter.get("c1").count == 10

    def test_missing_required_parameter_is_422(self, client, counter) -> None:
        response = client.put("/counter/c1/set_to", json={})
        assert response.status_code == 422
        assert response.json()["errors"] == [
            {"parameter": "value", "message": "Field required", "type": "missing"}
        ]

    def test_missing_entity_id_is_422(self, client, counter) -> None:
        response = client.post("/counter/increment", json={"amount": 1})
        assert response.status_code == 422
        assert response.json()["errors"][0]["parameter"] == "id"

    def test_malformed_json_is_422(self, client, counter) -> None:
        response = client.post(
            "/counter/c1/increment", content=b"{nope", headers={"content-type": "application/json"}
        )
        assert response.status_code == 422
        assert response.json() == {"error": "the request body is not valid JSON"}

    def test_wrong_method_is_405(self, client, counter) -> None:
        assert client.get("/counter/c1/increment").status_code == 405
        assert client.post("/counter/c1/peek").status_code == 405
        assert Counter.get("c1").count == 10

    def test_unknown_action_is_404(self, client, counter) -> None:
        assert client.post("/counter/c1/explode").status_code == 404

    def test_exception_is_500_with_a_generic_body_and_logged(self, client, counter, caplog) -> None:
        with caplog.at_level(logging.ERROR, logger="nitro.actions"):
            response = client.post("/counter/c1/fail")
        assert response.status_code == 500
        assert response.json() == {"error": "Internal server error"}
        assert "hunter2" not in response.text
        assert any("hunter2" in (r.exc_text or str(r.exc_info)) for r in caplog.records)

    @pytest.mark.parametrize("hooks", ["two", "one"])
    def test_middleware_wraps_every_action_request(self, counter, caplog, hooks) -> None:
        """before_action may answer in place of the action, after_action may replace
        the answer; a hook that raises gives the generic 500, never its traceback.
        (One hook with both methods is called by the dispatcher without the chain's
        loops: the same answers.)"""
        from nitro.actions import ActionResponse, PermissionDenied

        seen: list[str] = []

        class Timing:
            def before_action(self, route, request):
                seen.append(f"before {route.info.name}")
                if route.info.name == "reset":
                    return ActionResponse.json({"error": "closed for maintenance"}, 503)
                if route.info.name == "set_to":
                    raise PermissionDenied()
                return None

            def after_action(self, route, request, response):
                seen.append(f"after {response.status}")
                response.headers["X-Seen-By"] = "timing"

        class Broken:
            def after_action(self, route, request, response):
                if route.info.name == "peek":
                    raise RuntimeError("hook secret hunter3")

        class Both(Timing):
            def after_action(self, route, request, response):
                super().after_action(route, request, response)
                Broken().after_action(route, request, response)

        middleware = [Timing(), Broken()] if hooks == "two" else [Both()]
        app = self.build_app(entities=[Counter], middleware=middleware)
        with self.serve(app) as url, httpx.Client(base_url=url, timeout=10) as client:
            ok = client.post("/counter/c1/increment", json={"amount": 2})
            assert ok.status_code == 200
            assert ok.headers["x-seen-by"] == "timing"
            refused = client.post("/counter/c1/reset")
            assert refused.status_code == 503
            assert refused.json() == {"error": "closed for maintenance"}
            assert refused.headers["x-seen-by"] == "timing"  # after hooks see refusals too
            assert client.put("/counter/c1/set_to", json={"value": 5}).status_code == 403
            with caplog.at_level(logging.ERROR, logger="nitro.actions"):
                broken = client.get("/counter/c1/peek")
            assert broken.status_code == 500
            assert "hunter3" not in broken.text
        assert Counter.get("c1").count == 12  # neither refused action ran
        assert seen[:2] == ["before increment", "after 200"]
        assert "after 503" in seen
        assert "after 403" in seen
        with pytest.raises(TypeError, match="not action middleware"):
            self.build_app(entities=[Counter], middleware=[object()])

    @pytest.mark.parametrize(
        "headers",
        [
            {"Origin": "https://evil.example"},
            {"Origin": "null"},
            {"Sec-Fetch-Site": "cross-site"},
            {"Sec-Fetch-Site": "same-site", "Origin": "https://sub.example"},
        ],
    )
    def test_cross_origin_write_is_403_and_changes_nothing(self, client, counter, headers) -> None:
        response = client.post(
            "/counter/c1/increment", headers={**headers, **DATASTAR}, json={"Counter": {"id": "c1"}}
        )
        assert response.status_code == 403
        assert Counter.get("c1").count == 10

    def test_same_origin_write_is_allowed(self, client, counter, base_url) -> None:
        headers = {"Origin": base_url, "Sec-Fetch-Site": "same-origin"}
        assert client.post("/counter/c1/increment", headers=headers).status_code == 200

    # -- the HTTP boundary: body limit, JSON depth, allowed hosts, NUL ---------------

    def test_body_declared_above_the_limit_is_413_before_it_is_read(
        self, base_url, counter
    ) -> None:
        """400 MB announced, 64 KiB sent: the answer comes before the rest is asked for."""
        response = raw_request(
            base_url,
            "POST",
            "/counter/c1/increment",
            {"Content-Type": "application/json", "Content-Length": str(400 * 1024 * 1024)},
            [b" " * 65536] * 64,
        )
        assert response.status == 413
        assert response.body == b'{"error":"Request body too large"}'
        assert response.sent < 8 * 1024 * 1024
        assert Counter.get("c1").count == 10

    def test_chunked_body_above_the_limit_is_413(self, base_url, counter) -> None:
        headers = {"Content-Type": "application/json", "Transfer-Encoding": "chunked"}
        response = raw_request(
            base_url, "POST", "/counter/c1/increment", headers, chunked(64 * 1024 * 1024)
        )
        assert response.status == 413
        assert response.sent < 16 * 1024 * 1024  # refused long before the end
        assert Counter.get("c1").count == 10

    def test_chunked_body_below_the_limit_is_read(self, base_url, counter) -> None:
        def body() -> Iterator[bytes]:
            data = b'{"amount": 4}' + b" " * 200_000
            yield f"{len(data):x}\r\n".encode() + data + b"\r\n0\r\n\r\n"

        headers = {"Content-Type": "application/json", "Transfer-Encoding": "chunked"}
        response = raw_request(base_url, "POST", "/counter/c1/increment", headers, body())
        assert response.status == 200
        assert Counter.get("c1").count == 14

    def test_body_limit_is_set_per_app_and_covers_mounted_and_live_routes(
        self, boundary, counter
    ) -> None:
        small = {"amount": 2, "pad": "x" * (BOUNDARY_LIMIT - 100)}
        assert boundary.post("/counter/c1/increment", json=small).status_code == 200
        big = {"amount": 2, "pad": "x" * BOUNDARY_LIMIT}
        assert boundary.post("/counter/c1/increment", json=big).status_code == 413
        assert boundary.post("/ext/login", data={"user": "x" * BOUNDARY_LIMIT}).status_code == 413
        assert boundary.post("/ext/login", data={"user": "bob"}).status_code == 303
        live = boundary.request("GET", "/_live/counter/c1", content=b" " * (BOUNDARY_LIMIT + 1))
        assert live.status_code == 413
        assert Counter.get("c1").count == 12

    def test_deeply_nested_json_body_is_400(self, client, counter) -> None:
        deep = "[" * 100_000 + "]" * 100_000
        for headers in ({}, DATASTAR):
            response = client.post(
                "/counter/increment",
                content='{"Counter": {"id": "c1"}, "amount": ' + deep + "}",
                headers={"Content-Type": "application/json", **headers},
            )
            assert response.status_code == 400
            assert response.json() == {
                "error": "the request body is nested too deeply (the limit is 64 levels)"
            }
        assert (
            client.post("/counter/c1/tag", params={"tags": "[" * 3000 + "]" * 3000}).status_code
            == 400
        )
        assert Counter.get("c1").count == 10

    def test_deeply_nested_datastar_query_parameter_is_4xx(self, base_url, counter) -> None:
        for depth, method, target in [
            (3_000, "GET", "/counter/peek"),
            (3_000, "DELETE", "/note/wipe"),
            (100_000, "GET", "/counter/peek"),
            (100_000, "DELETE", "/note/wipe"),
        ]:
            signals = "%5B" * depth + "%5D" * depth
            response = raw_request(base_url, method, f"{target}?datastar={signals}", DATASTAR)
            if depth == 3_000:  # short enough for the server: our answer
                assert response.status == 400
                assert b"the datastar query parameter is nested too deeply" in response.body
            else:  # above the server's URL limit: the server's own 4xx
                assert 400 <= response.status < 500

    def test_foreign_host_cannot_write_even_with_a_matching_origin(
        self, client, counter, caplog
    ) -> None:
        """DNS rebinding: the page at evil.example re-pointed its name at this server."""
        headers = {"Host": "evil.example", "Origin": "http://evil.example", **DATASTAR}
        with caplog.at_level(logging.WARNING, logger="nitro.security"):
            for _ in range(2):
                response = client.post("/counter/c1/increment", headers=headers)
                assert response.status_code == 400
                assert "NITRO_ALLOWED_HOSTS" in response.json()["error"]
        logged = [r for r in caplog.records if "evil.example" in r.getMessage()]
        assert len(logged) == 1  # once per host, not once per request
        assert Counter.get("c1").count == 10
        # a read is not state-changing: not checked
        assert client.get("/counter/c1/peek", headers={"Host": "evil.example"}).status_code == 200

    def test_loopback_names_are_allowed_by_default(self, client, counter, base_url) -> None:
        port = base_url.rsplit(":", 1)[1]
        for host in (f"localhost:{port}", f"app.localhost:{port}", f"127.0.0.1:{port}"):
            headers = {"Host": host, "Origin": f"http://{host}"}
            assert client.post("/counter/c1/increment", headers=headers).status_code == 200
        assert Counter.get("c1").count == 13

    def test_configured_allowed_hosts_replace_the_default(self, boundary, counter) -> None:
        origin = {"Origin": f"http://{BOUNDARY_HOST}"}
        assert boundary.post("/counter/c1/increment", headers=origin).status_code == 200
        apex = {"Host": "example.test:8443", "Origin": "https://example.test:8443"}
        assert boundary.post("/counter/c1/increment", headers=apex).status_code == 200
        for host in ("127.0.0.1", "example.test.evil.example", "notexample.test"):
            response = boundary.post("/counter/c1/increment", headers={"Host": host})
            assert response.status_code == 400, host
        assert Counter.get("c1").count == 12

    def test_nul_in_a_str_parameter_is_422_naming_it(self, client, counter) -> None:
        Note(id="n1", text="ok").save()
        response = client.post("/note/n1/edit", json={"text": "a\x00b"})
        assert response.status_code == 422
        assert response.json()["errors"] == [
            {
                "parameter": "text",
                "message": "Null characters are not allowed.",
                "type": "null_character",
            }
        ]
        assert "text" in response.json()["error"]
        assert client.post("/note/n1/edit?text=a%00b").status_code == 422
        tagged = client.post("/counter/c1/tag", json={"tags": ["fine", "bad\x00"]})
        assert tagged.json()["errors"][0]["parameter"] == "tags.1"
        assert Note.get("n1").text == "ok"
        Note.repository().clear()

    def test_nul_reaches_datastar_pages_as_the_errors_signal(self, client, counter) -> None:
        Note(id="n1", text="ok").save()
        body = {"Note": {"id": "n1"}, "text": "\x00"}
        response = client.post("/note/edit", json=body, headers=DATASTAR)
        assert response.status_code == 200
        [(_, data)] = parse_sse(response.text)
        assert signals_of(data) == {"_errors": {"text": "Null characters are not allowed."}}
        assert Note.get("n1").text == "ok"
        Note.repository().clear()

    def test_nul_in_a_model_field_or_the_id_is_422(self, boundary) -> None:
        Signup(id="s1").save()
        response = boundary.post("/signup/s1/register", json={"profile": {"name": "a\x00"}})
        assert response.status_code == 422
        assert response.json()["errors"][0]["parameter"] == "profile.name"
        nested = {"profile": {"name": "ann", "tags": ["x", "\x00"]}}
        response = boundary.post("/signup/s1/register", json=nested)
        assert response.json()["errors"][0]["parameter"] == "profile.tags.1"
        response = boundary.post("/signup/register", json={"Signup": {"id": "s\x00"}})
        assert response.status_code == 422
        assert response.json()["errors"][0]["parameter"] == "id"
        assert (
            boundary.post("/signup/s1/register", json={"profile": {"name": "ann"}}).json()[
                "entity"
            ]["name"]
            == "ann"
        )
        Signup.repository().clear()

    # -- live updates ---------------------------------------------------------------

    def test_live_stream_resyncs_then_pushes_changes(self, base_url, counter) -> None:
        thread, received, first = self.listen_live(base_url, "/_live/counter/c1", 2)
        assert first.wait(10), "no re-sync event on the live stream"
        with httpx.Client(base_url=base_url, timeout=10) as writer:
            writer.post("/counter/c1/increment?amount=5")
        thread.join(10)
        assert not thread.is_alive(), "the change never reached the live stream"
        assert [r["Counter"]["count"] for r in received] == [10, 15]

    def test_a_change_made_outside_actions_reaches_the_stream_after_its_commit(
        self, base_url, counter
    ) -> None:
        """A plain save() (a script, a job, the admin) is published too; a unit of work
        that rolls back publishes nothing."""
        from nitro.uow import MemoryUnitOfWork

        thread, received, first = self.listen_live(base_url, "/_live/counter/c1", 2)
        assert first.wait(10), "no re-sync event on the live stream"
        with MemoryUnitOfWork() as unit:
            Counter(id="c1", count=99).save()
            unit.rollback()
        assert Counter.get("c1").count == 10
        Counter(id="c1", count=42).save()
        thread.join(10)
        assert not thread.is_alive(), "the plain save never reached the live stream"
        assert [r["Counter"]["count"] for r in received] == [10, 42]

    @staticmethod
    def listen_live(
        base_url: str, path: str, wanted: int
    ) -> tuple[threading.Thread, list[dict[str, Any]], threading.Event]:
        """Read the live stream at *path* in a thread until *wanted* signal patches came
        (the list fills as they do; the event is set by the first)."""
        received: list[dict[str, Any]] = []
        first = threading.Event()

        def listen() -> None:
            with (
                httpx.Client(base_url=base_url, timeout=10) as listener,
                listener.stream("GET", path) as stream,
            ):
                assert stream.headers["content-type"].startswith("text/event-stream")
                buffer = ""
                for chunk in stream.iter_text():
                    buffer += chunk
                    while "\n\n" in buffer:
                        block, buffer = buffer.split("\n\n", 1)
                        for _, data in parse_sse(block + "\n\n"):
                            received.append(signals_of(data))
                            first.set()
                        if len(received) >= wanted:
                            return

        thread = threading.Thread(target=listen, daemon=True)
        thread.start()
        return thread, received, first

    def test_live_stream_of_unknown_entity_is_404(self, client) -> None:
        assert client.get("/_live/counter/nope").status_code == 404

    # -- optimistic concurrency -----------------------------------------------------

    @pytest.fixture(scope="class")
    @classmethod
    def ledger_url(cls) -> Iterator[str]:
        with cls.serve(cls.build_app(entities=[Ledger])) as url:
            yield url

    @pytest.fixture
    def ledger(self, ledger_url: str) -> Iterator[httpx.Client]:
        Ledger.repository().clear()
        Ledger(id="l1", balance=10).save()
        with httpx.Client(base_url=ledger_url, timeout=10) as client:
            yield client
        Ledger.repository().clear()

    def test_versioned_entity_saves_with_the_next_version(self, ledger) -> None:
        response = ledger.post("/ledger/l1/deposit?amount=5")
        assert response.status_code == 200
        assert response.json()["entity"] == {"id": "l1", "balance": 15, "version": 2}
        assert Ledger.get_or_raise("l1").version == 2

    def test_conflict_is_409_and_overwrites_nothing(self, ledger) -> None:
        response = ledger.post("/ledger/l1/deposit_racing?amount=5")
        assert response.status_code == 409
        assert response.json() == {"error": Conflict.detail}
        stored = Ledger.get_or_raise("l1")
        assert (stored.balance, stored.version) == (1010, 2)  # the other save stands

    def test_conflict_reaches_datastar_pages_as_the_conflict_signal(self, ledger) -> None:
        body = {"Ledger": {"id": "l1", "balance": 10, "version": 1}, "amount": 5}
        response = ledger.post("/ledger/deposit_racing", json=body, headers=DATASTAR)
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        events = parse_sse(response.text)
        assert [name for name, _ in events] == ["datastar-patch-signals"]
        assert signals_of(events[0][1]) == {"_conflict": Conflict.detail}
        assert Ledger.get_or_raise("l1").balance == 1010
