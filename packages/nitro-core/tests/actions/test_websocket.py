"""The WebSocket transport in nitro-core, without a framework or a server: frames,
paths, requests and handshakes (ws_protocol), the page helpers (ws_page), and both
drivers -- the ASGI endpoint (driven with ASGI messages) and the threaded one (driven
with a fake socket)."""

from __future__ import annotations

import asyncio
import json
import queue
import threading
from typing import Any

import pytest

from nitro import Entity
from nitro.actions import LiveList, action, build_action_app
from nitro.actions.errors import ActionError, EntityNotFound
from nitro.actions.request import ActionRequest, ActionResponse
from nitro.actions.websocket import (
    WebSocketEndpoint,
    ws_action,
    ws_live,
    ws_request,
    ws_script,
    ws_subscribe,
)
from nitro.actions.ws_page import script_text, ws_list_element
from nitro.actions.ws_protocol import (
    ActionFrame,
    FrameError,
    Ping,
    Subscribe,
    Unsubscribe,
    answer_frames,
    check_handshake,
    find_action,
    find_stream,
    frame_request,
    parse_frame,
)
from nitro.actions.ws_sync import serve_websocket
from nitro.signals import SignalRef


class WsCounter(Entity):
    count: int = 0

    @action
    def add(self, amount: int = 1) -> None:
        self.count += amount

    @action(method="DELETE")
    def drop(self) -> None:
        self.delete()


BOXES = LiveList(WsCounter, name="ws-boxes", order_by="count", render=lambda c: str(c.count))
HIDDEN = LiveList(WsCounter, name="ws-hidden", render=lambda c: str(c.count), permission="x.view")

HOST = {"host": "testserver", "origin": "http://testserver"}


@pytest.fixture
def nitro() -> Any:
    WsCounter.repository().clear()
    return build_action_app(prefix="/api", entities=[WsCounter], allowed_hosts=["testserver"])


def handshake(**headers: str) -> ActionRequest:
    return ActionRequest(
        method="GET", headers={**HOST, **headers}, path="/api/_ws", client="1.2.3.4"
    )


# -- frames ---------------------------------------------------------------------------


def test_frames_are_parsed_into_commands() -> None:
    assert parse_frame('{"id": 1, "subscribe": "/_live/x/1"}', 100) == Subscribe(1, "/_live/x/1")
    assert parse_frame('{"id": "u", "unsubscribe": 1}', 100) == Unsubscribe("u", 1)
    assert parse_frame('{"ping": true}', 100) == Ping(None)
    parsed = parse_frame(b'{"id": 2, "action": {"path": "/a", "signals": {"x": 1}}}', 100)
    assert parsed == ActionFrame(2, "POST", "/a", {"x": 1})


@pytest.mark.parametrize(
    ("data", "status", "frame_id"),
    [
        ("nope", 400, None),
        ("[1]", 400, None),
        ('{"id": 1}', 400, 1),
        ('{"id": 1, "subscribe": "/a", "ping": 1}', 400, 1),
        ('{"id": 1, "shout": "/a"}', 400, 1),
        ('{"id": true, "subscribe": "/a"}', 400, None),
        ('{"id": 1, "subscribe": "//evil.example/a"}', 400, 1),
        ('{"id": 1, "subscribe": 5}', 400, 1),
        ('{"id": 1, "action": {"method": "TRACE", "path": "/a"}}', 400, 1),
        ('{"id": 1, "action": {"path": "/a", "signals": []}}', 400, 1),
        ('{"id": 1, "action": {"path": "/a", "body": "x"}}', 400, 1),
        ('{"id": 1, "subscribe": "/' + "a" * 200 + '"}', 413, None),
    ],
)
def test_bad_frames_are_refused_with_a_status(data: str, status: int, frame_id: Any) -> None:
    with pytest.raises(FrameError) as refused:
        parse_frame(data, 100)
    assert (refused.value.status, refused.value.frame_id) == (status, frame_id)
    assert "Traceback" not in json.dumps(refused.value.to_json())


# -- paths and requests -----------------------------------------------------------------


def test_paths_name_streams_and_routes_with_or_without_the_prefix(nitro) -> None:
    stream = find_stream(nitro, "/api/_live/wscounter/a%2Fb")
    assert (stream.entity, stream.entity_id) == (WsCounter, "a/b")
    assert find_stream(nitro, "/_live/_list/ws-boxes?x=1").list_name == "ws-boxes"
    with pytest.raises(EntityNotFound):
        find_stream(nitro, "/api/_live/nothing/1")
    route, params = find_action(nitro, "POST", "/api/wscounter/c%201/add")
    assert (route.info.name, params) == ("add", {"id": "c 1"})
    assert find_action(nitro, "POST", "/wscounter/add")[1] == {}
    with pytest.raises(ActionError, match="Method not allowed") as wrong:
        find_action(nitro, "GET", "/api/wscounter/c1/add")
    assert wrong.value.status == 405
    with pytest.raises(EntityNotFound):
        find_action(nitro, "POST", "/api/wscounter/c1/add/more")


def test_a_frame_request_is_the_handshake_caller_asking_as_datastar() -> None:
    shake = handshake(cookie="s=1", authorization="Bearer t", upgrade="websocket")
    post = frame_request(shake, "POST", "/api/wscounter/c1/add?x=1", {"id": "c1"}, {"amount": 2})
    assert post.headers["datastar-request"] == "true"
    assert post.is_datastar
    assert (post.headers["cookie"], post.headers["authorization"]) == ("s=1", "Bearer t")
    assert "upgrade" not in post.headers
    assert post.data == {"amount": 2}
    assert post.query == {"x": "1"}
    assert (post.path, post.client, post.path_params) == (
        "/api/wscounter/c1/add",
        "1.2.3.4",
        {"id": "c1"},
    )
    delete = frame_request(shake, "DELETE", "/a", None, {"k": "v"})
    assert delete.body == b""
    assert delete.data == {"k": "v"}


def test_the_handshake_must_come_from_the_app_or_a_trusted_origin(nitro) -> None:
    assert check_handshake(nitro, handshake()) is None
    assert (
        check_handshake(
            nitro, handshake(origin="http://testserver", **{"sec-fetch-site": "same-origin"})
        )
        is None
    )
    for origin in ("http://evil.example", "null"):
        refused = check_handshake(nitro, handshake(origin=origin))
        assert refused is not None
        assert refused.status == 403
    cross = check_handshake(nitro, handshake(**{"sec-fetch-site": "cross-site"}))
    assert cross is not None
    assert cross.status == 403
    assert (
        check_handshake(nitro, handshake(host="evil.example", origin="http://evil.example")).status
        == 403
    )
    trusting = build_action_app(
        entities=[WsCounter],
        allowed_hosts=["testserver"],
        trusted_origins=["https://admin.example"],
    )
    assert check_handshake(trusting, handshake(origin="https://admin.example")) is None


def test_answers_become_frames() -> None:
    (error,) = answer_frames(4, ActionResponse.json({"error": "Not found"}, 404))
    assert json.loads(error) == {
        "id": 4,
        "status": 404,
        "error": {"error": "Not found"},
        "end": True,
    }
    sse = ActionResponse(200, {"Content-Type": "text/event-stream"}, b"event: x\n\n")
    assert json.loads(answer_frames(5, sse)[0])["sse"] == "event: x\n\n"


# -- page helpers -----------------------------------------------------------------------


def test_helpers_quote_every_string_they_put_in_an_expression() -> None:
    hostile = "x'); alert(1); ('"
    assert ws_subscribe(hostile).startswith("window.nitroWs.subscribe('x\\u0027)")
    assert "'); alert" not in ws_subscribe(hostile)
    assert "alert(1); ('" not in ws_request("post", hostile)
    counter = WsCounter(id=hostile)
    assert "'/_live/wscounter/x%27%29%3B%20alert%281%29%3B%20%28%27'" in ws_live(counter)
    expression = ws_action(WsCounter.add.of("c1"), SignalRef("$WsCounter.step"))  # type: ignore[attr-defined]
    assert expression.startswith("window.nitroWs.action(el, 'POST', '/wscounter/c1/add'")
    assert "encodeURIComponent($WsCounter.step)" in expression
    assert expression.endswith(", $)")
    assert str(ws_script()) == '<script src="/_ws.js" data-nitro-ws="/_ws"></script>'
    assert "datastar-fetch" in str(ws_script(inline=True))
    assert "</script" not in script_text()


def test_a_list_element_subscribes_around_its_container() -> None:
    WsCounter.repository().clear()
    WsCounter(id="c1", count=3).save()
    html = str(ws_list_element(BOXES))
    assert "window.nitroWs.subscribe(&#x27;/_live/_list/ws-boxes&#x27;, el)" in html
    assert 'id="live-ws-boxes-c1"' in html
    assert "@get" not in html
    assert "c1" not in str(ws_list_element(HIDDEN))  # protected: the stream fills it


# -- the ASGI driver ----------------------------------------------------------------------


class AsgiClient:
    """Drives :class:`WebSocketEndpoint` with ASGI messages."""

    def __init__(self, nitro: Any, **headers: str) -> None:
        self.incoming: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.sent: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        scope = {
            "type": "websocket",
            "path": "/api/_ws",
            "headers": [(k.encode(), v.encode()) for k, v in {**HOST, **headers}.items()],
            "client": ("1.2.3.4", 5),
            "server": ("testserver", 80),
        }
        self.incoming.put_nowait({"type": "websocket.connect"})
        self.task = asyncio.ensure_future(
            WebSocketEndpoint(nitro)(scope, self.incoming.get, self.sent.put)
        )

    async def first(self) -> dict[str, Any]:
        return await asyncio.wait_for(self.sent.get(), 5)

    def send(self, **frame: Any) -> None:
        self.incoming.put_nowait({"type": "websocket.receive", "text": json.dumps(frame)})

    async def frame(self) -> dict[str, Any]:
        message = await asyncio.wait_for(self.sent.get(), 5)
        return json.loads(message["text"])

    async def close(self) -> None:
        self.incoming.put_nowait({"type": "websocket.disconnect", "code": 1000})
        await asyncio.wait_for(self.task, 5)


async def test_the_asgi_endpoint_streams_and_acts(nitro) -> None:
    WsCounter(id="c1").save()
    client = AsgiClient(nitro)
    assert (await client.first())["type"] == "websocket.accept"
    client.send(id=1, subscribe="/api/_live/wscounter/c1")
    assert '"count":0' in (await client.frame())["sse"]
    client.send(id=2, action={"path": "/api/wscounter/c1/add", "signals": {"amount": 4}})
    frames = [await client.frame(), await client.frame()]
    answer = next(f for f in frames if f["id"] == 2)
    assert answer["status"] == 200
    assert answer["end"] is True
    assert any('"count":4' in f.get("sse", "") for f in frames if f["id"] == 1)
    client.send(id=3, unsubscribe=1)
    assert await client.frame() == {"id": 1, "end": True}
    await client.close()
    assert nitro.streams.count == 0


async def test_the_asgi_endpoint_refuses_a_cross_site_handshake(nitro) -> None:
    client = AsgiClient(nitro, origin="http://evil.example")
    assert await client.first() == {"type": "websocket.close", "code": 1008}  # servers: 403
    await asyncio.wait_for(client.task, 5)


# -- the threaded driver ---------------------------------------------------------------------


class FakeSocket:
    """flask-sock's interface: ``receive`` blocks, ``send`` records."""

    def __init__(self) -> None:
        self.inbox: queue.Queue[str | None] = queue.Queue()
        self.sent: queue.Queue[dict[str, Any]] = queue.Queue()

    def receive(self, timeout: float | None = None) -> str:
        data = self.inbox.get(timeout=10)
        if data is None:
            raise ConnectionError("closed")
        return data

    def send(self, text: str) -> None:
        self.sent.put(json.loads(text))

    def close(self, reason: Any = None) -> None:
        self.inbox.put(None)

    def frame(self, frame_id: Any = ...) -> dict[str, Any]:
        """The next frame sent (for *frame_id*, when given: others are dropped)."""
        while True:
            frame = self.sent.get(timeout=5)
            if frame_id is ... or frame.get("id") == frame_id:
                return frame


def test_the_threaded_driver_streams_acts_and_unsubscribes(nitro) -> None:
    WsCounter(id="c1").save()
    ws = FakeSocket()
    server = threading.Thread(target=serve_websocket, args=(nitro, handshake(), ws), daemon=True)
    server.start()
    ws.inbox.put(json.dumps({"id": 1, "subscribe": "/api/_live/_list/ws-boxes"}))
    assert "live-ws-boxes-c1" in ws.frame()["sse"]
    ws.inbox.put(
        json.dumps({"id": 2, "action": {"path": "/api/wscounter/c1/add", "signals": {"amount": 2}}})
    )
    frames = [ws.frame(), ws.frame()]
    assert {f["id"] for f in frames} == {1, 2}
    ws.inbox.put("not json")
    assert ws.frame(None)["status"] == 400
    ws.inbox.put(json.dumps({"id": 3, "subscribe": "/api/_live/_list/ws-hidden"}))
    assert ws.frame(3)["status"] == 401
    ws.inbox.put(json.dumps({"id": 4, "unsubscribe": 1}))
    assert ws.frame(1) == {"id": 1, "end": True}
    ws.inbox.put(None)
    server.join(5)
    assert not server.is_alive()
    assert WsCounter.get("c1").count == 2  # type: ignore[union-attr]
