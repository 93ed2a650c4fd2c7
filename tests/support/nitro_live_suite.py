"""The live-update suite every adapter runs: live lists and authorised streams, the
same on FastAPI, Flask and FastHTML.

Each adapter's test module subclasses :class:`LiveSuite` and points ``adapter`` at its
:class:`~nitro_adapter_suite.AdapterSuite` subclass; the tests read the real SSE
streams of a server on a loopback port while the entities change in this process.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from typing import Any, ClassVar

import httpx
import pytest
from nitro_adapter_suite import parse_sse
from nitro_auth_suite import AUDIENCE, ISSUER, KEY, OWN_ORDERS, bearer, token

from nitro import Entity
from nitro.actions import LiveList, LiveTopic, action, url_prefix
from nitro.auth import Guard, JWTAuth, User
from nitro.auth.jwt import user_from_claims
from nitro.specification import FieldEquals
from rusty_tags import Li, P, Ul

Events = list[tuple[str, list[str]]]


class Chore(Entity):
    title: str
    rank: int = 0
    room: str = "kitchen"
    owner_id: str = "ann"

    @action
    def bump(self) -> None:
        self.rank += 1

    def __html__(self) -> str:  # for live(chore, elements=True)
        return str(Li(self.title, id=f"chore-{self.id}"))


class Diary(Entity):
    """An entity whose stream only its owner (or a superuser) may open."""

    owner_id: str
    text: str = ""
    live_access: ClassVar[Guard] = Guard(allow=lambda user, diary: diary.owner_id == user.id)

    @action
    def write(self, text: str) -> None:
        self.text = text


CHORES = LiveList(
    Chore,
    name="chores",
    where=lambda room: FieldEquals("room", room),
    order_by="rank",
    render=lambda chore: chore.title,
    container=Ul,
    item=Li,
)
TOP_TWO = LiveList(Chore, name="top-two", order_by="-rank", limit=2, render=lambda c: c.title)
MY_CHORES = LiveList(
    Chore,
    name="my-chores",
    order_by="rank",
    render=lambda chore: f"{chore.title} ({chore.owner_id})",
    permission="order.view",
    rule=OWN_ORDERS,
)


def auth() -> JWTAuth:
    """Bearer tokens; the claim ``su`` marks a superuser."""

    def user(claims: Any) -> User:
        found = user_from_claims(claims)
        if claims.get("su") is True:
            return User(id=found.id, is_superuser=True)
        return found

    return JWTAuth(
        {"2026-12": KEY}, algorithms=["HS256"], audience=AUDIENCE, issuer=ISSUER, user=user
    )


NEWS = LiveTopic("news")
STAFF_NEWS = LiveTopic("staff-news", permission="order.view")


class Listener:
    """Reads one SSE stream in a thread; ``events`` fills as they come."""

    def __init__(self, base_url: str, path: str, headers: dict[str, str] | None = None):
        self.events: Events = []
        self.status: int | None = None
        self.received = ""  # every byte of the body, comments included
        self._changed = threading.Condition()
        self._stop = False
        self._thread = threading.Thread(
            target=self._run, args=(base_url, path, headers or {}), daemon=True
        )
        self._thread.start()

    def _run(self, base_url: str, path: str, headers: dict[str, str]) -> None:
        with contextlib.suppress(httpx.HTTPError):  # the server stopped
            self._read(base_url, path, headers)
        with self._changed:
            self._changed.notify_all()

    def _read(self, base_url: str, path: str, headers: dict[str, str]) -> None:
        with (
            httpx.Client(base_url=base_url, timeout=20) as client,
            client.stream("GET", path, headers=headers) as stream,
        ):
            self.status = stream.status_code
            buffer = ""
            for chunk in stream.iter_text():
                buffer += chunk
                with self._changed:
                    self.received += chunk
                    self._changed.notify_all()
                while "\n\n" in buffer:
                    block, buffer = buffer.split("\n\n", 1)
                    with self._changed:
                        self.events.extend(parse_sse(block + "\n\n"))
                        self._changed.notify_all()
                if self._stop:
                    return

    def subscribed(self, timeout: float = 10) -> None:
        """Wait for the first bytes of the body: the server has subscribed by then."""
        with self._changed:
            if not self._changed.wait_for(lambda: self.received, timeout):
                raise AssertionError(f"no body; the stream answered {self.status}")

    def wait(self, check: Callable[[Events], bool], timeout: float = 10) -> Events:
        with self._changed:
            if not self._changed.wait_for(lambda: check(self.events), timeout):
                raise AssertionError(
                    f"the stream never got there; it answered {self.status} and sent "
                    f"{self.events!r}"
                )
            return list(self.events)

    def close(self) -> None:
        self._stop = True


def patches(events: Events) -> list[dict[str, str]]:
    """Each element patch as ``{"selector": ..., "mode": ..., "elements": ...}``."""
    found = []
    for name, data in events:
        if name != "datastar-patch-elements":
            continue
        patch: dict[str, str] = {"mode": "outer", "selector": "", "elements": ""}
        for line in data:
            key, _, value = line.partition(" ")
            patch[key] = patch[key] + value if key == "elements" and patch[key] else value
        found.append(patch)
    return found


class LiveSuite:
    #: The adapter's AdapterSuite subclass: how to build and serve an app.
    adapter: Any

    @pytest.fixture(scope="class")
    @classmethod
    def live_url(cls) -> Iterator[str]:
        app = cls.adapter.build_app(entities=[Chore, Diary], auth=auth())
        with cls.adapter.serve(app) as url:
            yield url

    @pytest.fixture
    def listen(self, live_url: str) -> Iterator[Callable[..., Listener]]:
        Chore.repository().clear()
        Diary.repository().clear()
        opened: list[Listener] = []

        def open_stream(path: str, headers: dict[str, str] | None = None) -> Listener:
            listener = Listener(live_url, path, headers)
            opened.append(listener)
            return listener

        yield open_stream
        for listener in opened:
            listener.close()

    def test_a_list_starts_whole_then_gets_the_smallest_patches(self, listen) -> None:
        Chore(id="dishes", title="dishes", rank=2).save()
        Chore(id="garden", title="weeds", rank=1, room="garden").save()
        stream = listen("/_live/_list/chores?room=kitchen")
        first = stream.wait(lambda e: len(e) >= 1)
        container = patches(first)[0]
        cid = container["elements"].split('id="')[1].split('"')[0]
        assert container["elements"] == f'<ul id="{cid}"><li id="{cid}-dishes">dishes</li></ul>'
        assert container["selector"] == ""  # morphed by its id

        Chore(id="mop", title="mop", rank=1).save()  # before dishes: prepended
        Chore(id="oven", title="oven", rank=3).save()  # after dishes
        Chore(id="dishes", title="DISHES", rank=2).save()  # same place: morphed
        Chore(id="mop", title="mop", rank=4).save()  # moved: removed, inserted after oven
        Chore(id="rake", title="rake", rank=0, room="garden").save()  # not this list
        Chore.get("oven").delete()  # removed
        events = stream.wait(lambda e: len(e) >= 7)
        assert [(p["mode"], p["selector"], p["elements"]) for p in patches(events)[1:]] == [
            ("prepend", f"#{cid}", f'<li id="{cid}-mop">mop</li>'),
            ("after", f"#{cid}-dishes", f'<li id="{cid}-oven">oven</li>'),
            ("outer", "", f'<li id="{cid}-dishes">DISHES</li>'),
            ("remove", f"#{cid}-mop", ""),
            ("after", f"#{cid}-oven", f'<li id="{cid}-mop">mop</li>'),
            ("remove", f"#{cid}-oven", ""),
        ]

    def test_a_row_that_stops_matching_leaves_and_a_limit_refills(self, listen) -> None:
        for rank in (1, 2, 3):
            Chore(id=f"c{rank}", title=f"c{rank}", rank=rank).save()
        stream = listen("/_live/_list/top-two")
        first = patches(stream.wait(lambda e: len(e) >= 1))[0]["elements"]
        assert (">c3<" in first, ">c2<" in first, ">c1<" in first) == (True, True, False)
        Chore.get("c3").delete()  # the window loses a row: re-sent whole, c1 fills it
        events = stream.wait(lambda e: len(e) >= 3)
        assert patches(events)[1]["mode"] == "remove"
        refilled = patches(events)[2]["elements"]
        assert refilled.index(">c2<") < refilled.index(">c1<")

        kitchen = listen("/_live/_list/chores?room=kitchen")
        kitchen.wait(lambda e: len(e) >= 1)
        Chore(id="c1", title="c1", rank=1, room="garden").save()  # moved out of the kitchen
        left = patches(kitchen.wait(lambda e: len(e) >= 2))[1]
        assert (left["mode"], left["selector"][-3:]) == ("remove", "-c1")

    def test_hostile_ids_never_leave_the_id_attribute_or_the_selector(self, listen) -> None:
        hostile = '"><img src=x onerror=alert(1)> #a, body'
        stream = listen("/_live/_list/chores?room=kitchen")
        stream.wait(lambda e: len(e) >= 1)
        Chore(id=hostile, title="<b>t</b>").save()
        patch = patches(stream.wait(lambda e: len(e) >= 2))[1]
        row = patch["elements"]
        assert ("<img" in row, "<b>" in row, "&lt;b&gt;t&lt;/b&gt;" in row) == (False, False, True)
        row_id = row.split('id="')[1].split('"')[0]
        assert row_id.endswith("_" + hostile.encode().hex())
        assert patch["selector"].lstrip("#").replace("-", "").isalnum()  # container id

    def test_a_list_refuses_bad_parameters_and_unknown_names(self, live_url: str) -> None:
        with httpx.Client(base_url=live_url, timeout=10) as client:
            missing = client.get("/_live/_list/chores")
            assert missing.status_code == 400
            assert "room" in missing.json()["error"]
            assert client.get("/_live/_list/chores?room=a&owner=b").status_code == 400
            assert client.get("/_live/_list/nope").status_code == 404
            assert client.get("/_live/_list/%3Cscript%3E").status_code == 404

    def test_a_protected_list_needs_its_permission_and_filters_rows(self, listen, live_url) -> None:
        with httpx.Client(base_url=live_url, timeout=10) as client:
            anonymous = client.get("/_live/_list/my-chores")
            assert anonymous.status_code == 401
            assert anonymous.headers["www-authenticate"].startswith("Bearer")
            unprivileged = client.get("/_live/_list/my-chores", headers=bearer(token("ann")))
            assert unprivileged.status_code == 403
        Chore(id="a1", title="ann's", owner_id="ann").save()
        Chore(id="b1", title="bob's", owner_id="bob").save()
        ann = listen("/_live/_list/my-chores", bearer(token("ann", roles=("viewer",))))
        boss = listen("/_live/_list/my-chores", bearer(token("root", su=True)))
        assert "ann" in patches(ann.wait(lambda e: len(e) >= 1))[0]["elements"]
        assert "bob" not in patches(ann.events)[0]["elements"]
        whole = patches(boss.wait(lambda e: len(e) >= 1))[0]["elements"]
        assert ("-a1" in whole, "-b1" in whole) == (True, True)

        Chore(id="b2", title="bob's second", owner_id="bob").save()
        Chore(id="a2", title="ann's second", owner_id="ann").save()
        boss.wait(lambda e: len(e) >= 3)
        events = ann.wait(lambda e: len(e) >= 2)
        assert all("-b2" not in p["elements"] + p["selector"] for p in patches(events))
        assert "-a2" in patches(events)[1]["elements"]

    def test_an_entity_stream_honours_live_access(self, listen, live_url) -> None:
        Diary(id="d1", owner_id="ann", text="dear diary").save()
        with httpx.Client(base_url=live_url, timeout=10) as client:
            assert client.get("/_live/diary/d1").status_code == 401
            other = client.get("/_live/diary/d1", headers=bearer(token("bob")))
            assert other.status_code == 403
        owner = listen("/_live/diary/d1", bearer(token("ann")))
        assert "dear diary" in owner.wait(lambda e: len(e) >= 1)[0][1][0]

    def test_a_deleted_entity_ends_its_stream(self, listen) -> None:
        chore = Chore(id="gone", title="gone")
        chore.save()
        stream = listen("/_live/chore/gone")
        stream.wait(lambda e: len(e) >= 1)
        chore.delete()
        stream._thread.join(10)
        assert not stream._thread.is_alive(), "the stream of a deleted entity stayed open"

    def test_a_custom_topic_reaches_its_pages(self, listen, live_url) -> None:
        stream = listen("/_live/_list/news")
        stream.subscribed()  # a keep-alive comment comes first
        NEWS.publish_elements(P("<back at 6pm>", id="banner"))
        NEWS.publish_signals({"online": 42})
        NEWS.publish_elements(None, selector="#banner", mode="remove")
        events = stream.wait(lambda e: len([n for n, _ in e if n]) >= 3)
        named = [(name, data) for name, data in events if name]
        assert named == [
            ("datastar-patch-elements", ['elements <p id="banner">&lt;back at 6pm&gt;</p>']),
            ("datastar-patch-signals", ['signals {"online":42}']),
            ("datastar-patch-elements", ["selector #banner", "mode remove", "elements"]),
        ]
        with pytest.raises(ValueError, match="line break"):
            NEWS.publish_elements(P("x"), selector="#a\ndata: script")
        with httpx.Client(base_url=live_url, timeout=10) as client:
            assert client.get("/_live/_list/staff-news").status_code == 401
            refused = client.get("/_live/_list/staff-news", headers=bearer(token("ann")))
            assert refused.status_code == 403
        staff = listen("/_live/_list/staff-news", bearer(token("ann", roles=("viewer",))))
        staff.subscribed()
        assert staff.status == 200

    def test_an_entity_stream_can_send_its_rendered_element(self, listen) -> None:
        from nitro.actions.live import live

        chore = Chore(id="e1", title="dust")
        chore.save()
        with url_prefix(""):
            assert "/_live/chore/e1?elements=1" in live(chore, elements=True)
        with pytest.raises(TypeError, match="no __html__"):
            live(Diary(id="d", owner_id="ann"), elements=True)
        stream = listen("/_live/chore/e1?elements=1")
        first = stream.wait(lambda e: len(e) >= 2)
        assert first[1] == ("datastar-patch-elements", ['elements <li id="chore-e1">dust</li>'])
        Chore(id="e1", title="<b>mop</b>").save()
        events = stream.wait(lambda e: len(e) >= 4)
        assert events[2][0] == "datastar-patch-signals"
        assert events[3] == (
            "datastar-patch-elements",
            ['elements <li id="chore-e1">&lt;b&gt;mop&lt;/b&gt;</li>'],
        )
        plain = listen("/_live/chore/e1")  # without ?elements: the signals alone
        assert [name for name, _ in plain.wait(lambda e: len(e) >= 1)] == ["datastar-patch-signals"]
