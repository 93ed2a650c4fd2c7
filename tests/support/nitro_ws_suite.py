"""The WebSocket suite every adapter runs: one socket per page, the same on FastAPI,
Flask and FastHTML (``configure_app(..., websockets=True)``).

Each adapter's test module subclasses :class:`WebSocketSuite` and gives ``build_app``
and ``serve``; the tests talk to a real server on a loopback port with a real
WebSocket client (the ``websockets`` package) while entities change in this process.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from nitro_adapter_suite import parse_sse, signals_of
from nitro_auth_suite import OWN_ORDERS, auth, bearer, token
from websockets.exceptions import InvalidStatus
from websockets.sync.client import ClientConnection, connect

from nitro import Entity
from nitro.actions import LiveList, action
from rusty_tags import Li, Ul

MAX_FRAME = 16 * 1024


class WsNote(Entity):
    text: str = ""
    rank: int = 0
    owner_id: str = "ann"

    @action
    def add(self, amount: int) -> None:
        self.rank += amount

    @action(method="DELETE")
    def remove(self) -> None:
        self.delete()

    @action(permission="order.cancel")
    def archive(self) -> None:
        self.text = "archived"


NOTES = LiveList(
    WsNote, name="ws-notes", order_by="rank", render=lambda n: n.text, container=Ul, item=Li
)
MINE = LiveList(
    WsNote,
    name="ws-mine",
    order_by="rank",
    render=lambda n: n.text,
    permission="order.view",
    rule=OWN_ORDERS,
)


class Socket:
    """A client socket: ``send(id=1, subscribe=...)``, ``until(check)``."""

    def __init__(self, base_url: str, headers: dict[str, str] | None = None, origin: Any = ...):
        url = base_url.replace("http://", "ws://") + "/_ws"
        origin = base_url if origin is ... else origin
        self._stack = contextlib.ExitStack()
        self.ws: ClientConnection = self._stack.enter_context(
            connect(url, origin=origin, additional_headers=headers, open_timeout=10, max_size=None)
        )
        self.frames: list[dict[str, Any]] = []
        self._unmatched: list[dict[str, Any]] = []

    def send(self, **frame: Any) -> None:
        self.ws.send(json.dumps(frame))

    def raw(self, data: str | bytes) -> None:
        self.ws.send(data)

    def until(self, check: Callable[[dict[str, Any]], bool], timeout: float = 10) -> dict[str, Any]:
        """The first frame not matched yet that satisfies *check*, received by now or
        within *timeout* (every frame is also kept in ``frames``)."""
        for frame in self._unmatched:
            if check(frame):
                self._unmatched.remove(frame)
                return frame
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no such frame; got {self.frames!r}")
            frame = json.loads(self.ws.recv(timeout=left))
            self.frames.append(frame)
            if check(frame):
                return frame
            self._unmatched.append(frame)

    def answer(self, frame_id: Any, timeout: float = 10) -> dict[str, Any]:
        return self.until(lambda f: f.get("id") == frame_id and f.get("end"), timeout)

    def events(self, frame_id: Any) -> list[tuple[str, list[str]]]:
        """The SSE events received so far for *frame_id* (keep-alives left out)."""
        found = []
        for frame in self.frames:
            if frame.get("id") == frame_id and frame.get("sse"):
                found.extend(parse_sse(frame["sse"]))
        return found

    def close(self) -> None:
        self._stack.close()


def has_event(frame_id: Any, text: str) -> Callable[[dict[str, Any]], bool]:
    return lambda f: f.get("id") == frame_id and text in (f.get("sse") or "")


class WebSocketSuite:
    @classmethod
    def build_app(cls, **options: Any) -> Any:
        raise NotImplementedError

    @classmethod
    def serve(cls, app: Any) -> Any:
        raise NotImplementedError

    @pytest.fixture(scope="class")
    @classmethod
    def base_url(cls) -> Iterator[str]:
        app = cls.build_app(
            entities=[WsNote], auth=auth(), websockets=True, max_body_bytes=MAX_FRAME
        )
        with cls.serve(app) as url:
            yield url

    @pytest.fixture
    def socket(self, base_url: str) -> Iterator[Callable[..., Socket]]:
        WsNote.repository().clear()
        opened: list[Socket] = []

        def open_socket(**kwargs: Any) -> Socket:
            opened.append(Socket(base_url, **kwargs))
            return opened[-1]

        yield open_socket
        for one in opened:
            one.close()

    def test_subscribe_receive_unsubscribe(self, socket) -> None:
        WsNote(id="n1", text="one").save()
        page = socket()
        page.send(id=1, subscribe="/_live/wsnote/n1")
        first = page.until(has_event(1, "datastar-patch-signals"))
        assert signals_of(parse_sse(first["sse"])[0][1])["WsNote"]["rank"] == 0
        note = WsNote.get("n1")
        note.rank = 5
        note.save()  # a plain save(), outside the socket
        page.until(has_event(1, '"rank":5'))
        page.send(id=2, unsubscribe=1)
        page.answer(1)
        seen = len(page.frames)
        note.rank = 6
        note.save()
        time.sleep(0.3)  # time enough for a change that should not come
        page.send(id=3, ping=True)
        assert page.until(lambda f: f.get("pong")) == {"id": 3, "pong": True}
        assert [f for f in page.frames[seen:] if f.get("id") == 1] == [], page.frames

    def test_an_action_over_the_socket_reaches_every_subscriber(self, socket) -> None:
        WsNote(id="n1", text="one").save()
        mine, theirs = socket(), socket()
        for page in (mine, theirs):
            page.send(id=1, subscribe="/_live/wsnote/n1")
            page.send(id="list", subscribe="/_live/_list/ws-notes")
            page.until(has_event(1, "datastar-patch-signals"))
            page.until(has_event("list", "ws-notes"))
        mine.send(
            id=7, action={"method": "POST", "path": "/wsnote/n1/add", "signals": {"amount": 3}}
        )
        answer = mine.answer(7)
        assert answer["status"] == 200
        assert "_errors" in answer["sse"]
        for page in (mine, theirs):
            page.until(has_event(1, '"rank":3'))
        assert WsNote.get("n1").rank == 3
        # a deletion: the entity's stream ends, the list drops the row
        theirs.send(id=8, action={"method": "DELETE", "path": "/wsnote/n1/remove"})
        assert theirs.answer(8)["status"] == 200
        for page in (mine, theirs):
            page.until(has_event("list", "mode remove"))
            page.answer(1)  # {"id": 1, "end": true}
        assert WsNote.get("n1") is None

    def test_validation_and_errors_come_back_in_a_frame(self, socket) -> None:
        WsNote(id="n1").save()
        page = socket()
        page.send(id=1, action={"path": "/wsnote/n1/add", "signals": {"amount": "many"}})
        invalid = page.answer(1)
        assert invalid["status"] == 200  # Datastar's answer to invalid parameters
        (event,) = parse_sse(invalid["sse"])
        assert signals_of(event[1])["_errors"]["amount"]
        page.send(id=2, action={"path": "/wsnote/nope/add", "signals": {"amount": 1}})
        assert page.answer(2) == {
            "id": 2,
            "status": 404,
            "error": {"error": "WsNote not found"},
            "end": True,
        }
        page.send(id=3, action={"method": "GET", "path": "/wsnote/n1/add"})
        assert page.answer(3)["status"] == 405
        page.send(id=4, action={"path": "/nothing/here"})
        assert page.answer(4)["status"] == 404
        page.send(id=5, action={"path": "/wsnote/n1/archive"})
        assert page.answer(5)["status"] == 401  # the permission, as over HTTP
        assert WsNote.get("n1").rank == 0

    def test_the_handshake_carries_the_caller(self, socket) -> None:
        WsNote(id="a1", text="ann's", owner_id="ann").save()
        WsNote(id="b1", text="bob's", owner_id="bob").save()
        anonymous = socket()
        anonymous.send(id=1, subscribe="/_live/_list/ws-mine")
        refused = anonymous.answer(1)
        assert refused["status"] == 401
        assert "error" in refused
        ann = socket(headers=bearer(token("ann", roles=("viewer", "support"))))
        ann.send(id=1, subscribe="/_live/_list/ws-mine")
        rows = ann.until(has_event(1, "ws-mine"))["sse"]
        assert "ann&#39;s" in rows or "ann's" in rows
        assert "bob" not in rows
        ann.send(id=2, action={"path": "/wsnote/a1/archive"})
        assert ann.answer(2)["status"] == 200
        assert WsNote.get("a1").text == "archived"

    def test_a_cross_origin_handshake_is_refused(self, base_url: str) -> None:
        with pytest.raises(InvalidStatus) as refused:
            Socket(base_url, origin="http://evil.example")
        assert refused.value.response.status_code == 403
        with pytest.raises(InvalidStatus) as null_origin:
            Socket(base_url, origin="null")
        assert null_origin.value.response.status_code == 403

    def test_bad_frames_get_an_error_frame_and_the_socket_lives_on(self, socket) -> None:
        WsNote(id="n1").save()
        page = socket()
        page.send(id=1, subscribe="/_live/wsnote/n1")
        page.until(has_event(1, "datastar-patch-signals"))
        page.raw("{not json")
        assert page.until(lambda f: f.get("status") == 400)["id"] is None
        page.send(id=2, publish="/x")
        assert page.answer(2)["status"] == 400
        page.raw(json.dumps({"id": 3, "action": {"path": "/wsnote/n1/add", "x": "A" * MAX_FRAME}}))
        assert page.until(lambda f: f.get("status") == 413)["error"] == {
            "error": "Request body too large"
        }
        page.raw("[" * 100 + "]" * 100)  # nested past the JSON depth limit
        assert page.until(lambda f: f.get("status") == 400)
        page.send(id=4, subscribe="no-slash")
        assert page.answer(4)["status"] == 400
        page.send(id=5, subscribe="/_live/nothing/n1")
        assert page.answer(5)["status"] == 404
        page.send(id=1, subscribe="/_live/wsnote/n1")  # the id is taken
        assert page.answer(1)["status"] == 400
        note = WsNote.get("n1")
        note.rank = 9
        note.save()
        page.until(has_event(1, '"rank":9'))  # the subscription survived all of it

    def test_the_glue_is_served(self, base_url: str) -> None:
        response = httpx.get(base_url + "/_ws.js", timeout=10)
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/javascript")
        assert "datastar-fetch" in response.text
