"""Actions on a SQLEntity run inside a unit of work too, and in one database
transaction (SQLite and PostgreSQL)."""

import json
import math
from collections.abc import Iterator
from typing import Any, ClassVar

import pytest
from pydantic_core import to_json
from sqlmodel import Field

from nitro import post_save
from nitro.actions import ActionDispatcher, ActionRequest, build_action_app, sse
from nitro.actions.decorator import action
from nitro.signals import data_signals
from nitro.sql import ConstraintViolation, Database, SQLEntity


class Meter(SQLEntity, table=True):
    __tablename__ = "actions_unit_meter"
    reading: int = 0
    ratio: float | None = None

    @action
    def tick(self) -> None:
        self.reading += 1
        self.save()

    @action
    def tick_then_fail(self) -> None:
        self.reading += 1
        self.save()
        Meter(id="side").save()
        raise RuntimeError("boom")


class Badge(SQLEntity, table=True):
    """Codes are unique: the second of two equal codes fails when the writes reach the
    database, which is at the commit of the action's unit of work."""

    __tablename__ = "actions_unit_badge"
    code: str = Field(unique=True)

    @action
    def award_twice(self) -> None:
        Badge(id="first", code="dup").save()
        Badge(id="second", code="dup").save()

    @action
    def award_two_then_fail(self) -> None:
        Badge(id="first", code="one").save()
        Badge(id="second", code="two").save()
        raise RuntimeError("boom")

    @action
    def report_transaction(self) -> None:
        Badge.seen.append(Badge.repository().unit() is not None)

    seen: ClassVar[list[bool]] = []


@pytest.fixture
def badge_routes(db: Database) -> Iterator[dict[str, Any]]:
    app = build_action_app(entities=[Badge])
    Badge(id="b0", code="zero").save()
    Badge.seen.clear()
    yield {r.info.func.__name__: r for r in app.routes if r.with_id}
    Badge.repository().clear()


def call_badge(route: Any) -> Any:
    return ActionDispatcher().handle(route, ActionRequest(method="POST", path_params={"id": "b0"}))


async def acall_badge(route: Any) -> Any:
    request = ActionRequest(method="POST", path_params={"id": "b0"})
    return await ActionDispatcher().ahandle(route, request)


def stored_badges() -> list[str]:
    return [b.id for b in Badge.all()]


def test_an_action_runs_in_a_database_transaction(badge_routes: Any) -> None:
    assert call_badge(badge_routes["report_transaction"]).status == 200
    assert Badge.seen == [True]
    assert Badge.repository().unit() is None  # and it ended with the action


async def test_an_async_action_runs_in_a_database_transaction(badge_routes: Any) -> None:
    assert (await acall_badge(badge_routes["report_transaction"])).status == 200
    assert Badge.seen == [True]


def test_an_action_raising_after_two_writes_keeps_neither(badge_routes: Any) -> None:
    assert call_badge(badge_routes["award_two_then_fail"]).status == 500
    assert stored_badges() == ["b0"]


async def test_an_async_action_raising_after_two_writes_keeps_neither(badge_routes: Any) -> None:
    assert (await acall_badge(badge_routes["award_two_then_fail"])).status == 500
    assert stored_badges() == ["b0"]


def test_a_write_refused_at_commit_undoes_the_earlier_ones(badge_routes: Any) -> None:
    # A memory unit applying the writes one by one would keep "first".
    response = call_badge(badge_routes["award_twice"])
    assert response.status == 500
    assert stored_badges() == ["b0"]


async def test_an_async_write_refused_at_commit_undoes_the_earlier_ones(badge_routes: Any) -> None:
    assert (await acall_badge(badge_routes["award_twice"])).status == 500
    assert stored_badges() == ["b0"]


def test_the_transaction_is_the_backends_and_a_constraint_names_the_table(db: Database) -> None:
    def two_equal_codes() -> None:
        with Badge.repository().transaction():
            Badge(id="x1", code="same").save()
            Badge(id="x2", code="same").save()

    with pytest.raises(ConstraintViolation, match="Badge"):
        two_equal_codes()
    assert Badge.get("x1") is None
    Badge.repository().clear()


@pytest.fixture
def routes(db: Database) -> Iterator[dict[str, Any]]:
    app = build_action_app(entities=[Meter])
    Meter(id="m1").save()
    yield {r.info.func.__name__: r for r in app.routes if r.with_id}
    Meter.repository().clear()


@pytest.fixture
def saves() -> Iterator[list[int]]:
    seen: list[int] = []

    def receiver(sender: Any, entity: Any, **kwargs: Any) -> None:
        seen.append(entity.reading)

    post_save.connect(receiver, sender=Meter)
    yield seen
    post_save.disconnect(receiver, sender=Meter)


def call(route: Any) -> Any:
    return ActionDispatcher().handle(route, ActionRequest(method="POST", path_params={"id": "m1"}))


def test_an_action_that_saves_itself_is_saved_once(routes: Any, saves: list[int]) -> None:
    assert call(routes["tick"]).status == 200
    assert saves == [1]
    assert Meter.get("m1").reading == 1


def test_nothing_is_kept_when_the_action_raises(routes: Any, saves: list[int]) -> None:
    assert call(routes["tick_then_fail"]).status == 500
    assert saves == []
    assert Meter.get("m1").reading == 0
    assert Meter.get("side") is None


def test_nan_is_null_in_every_signal_path(db: Database) -> None:
    meter = Meter(id="n1", ratio=math.nan)
    assert meter.signals == {"Meter": {"id": "n1", "reading": 0, "ratio": None}}
    assert b"NaN" not in to_json(meter.signals)
    event = sse.patch_signals(meter.signals)  # the SSE path
    assert "NaN" not in event
    assert '"ratio":null' in event
    attribute = data_signals(meter)  # the data-signals path
    assert "NaN" not in attribute
    assert json.loads(attribute)["Meter"]["ratio"] is None


class Tally(SQLEntity, table=True):
    __tablename__ = "actions_unit_tally"
    count: int = 0

    @action
    def add(self) -> None:
        self.count += 1


@pytest.fixture
def tally_route(db: Database) -> Iterator[Any]:
    app = build_action_app(entities=[Tally])
    Tally(id="t").save()
    [route] = [r for r in app.routes if r.info.func.__name__ == "add" and r.with_id]
    yield route
    Tally.repository().clear()


def _add_request() -> ActionRequest:
    return ActionRequest(method="POST", path_params={"id": "t"})


async def test_concurrent_async_actions_on_one_row_lose_no_change(tally_route: Any) -> None:
    # The entity is read inside the transaction that saves it, locked for it (FOR
    # UPDATE on PostgreSQL), and async transactions on one SQLite database or one
    # PostgreSQL row take turns on the event loop: 40 at once (more than the executor's
    # threads and the engine's pool) all count, each seeing the one before.
    import asyncio

    dispatcher = ActionDispatcher()
    answers = await asyncio.wait_for(
        asyncio.gather(*(dispatcher.ahandle(tally_route, _add_request()) for _ in range(40))),
        timeout=60,
    )
    assert {answer.status for answer in answers} == {200}
    counts = sorted(json.loads(answer.body)["entity"]["count"] for answer in answers)
    assert counts == list(range(1, 41))
    assert Tally.get("t").count == 40  # type: ignore[union-attr]


def test_concurrent_sync_actions_on_one_row_lose_no_change(tally_route: Any) -> None:
    from concurrent.futures import ThreadPoolExecutor

    dispatcher = ActionDispatcher()
    with ThreadPoolExecutor(8) as pool:
        calls = [pool.submit(dispatcher.handle, tally_route, _add_request()) for _ in range(40)]
        answers = [call.result() for call in calls]
    assert {answer.status for answer in answers} == {200}
    assert Tally.get("t").count == 40  # type: ignore[union-attr]


def test_async_actions_on_one_row_from_two_event_loops_lose_no_change(tally_route: Any) -> None:
    # Turns are per event loop; two loops (as two processes would) meet at the
    # database's row lock (FOR UPDATE on PostgreSQL, the write lock on SQLite).
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    async def twenty() -> list[int]:
        dispatcher = ActionDispatcher()
        calls = (dispatcher.ahandle(tally_route, _add_request()) for _ in range(20))
        answers = await asyncio.wait_for(asyncio.gather(*calls), timeout=60)
        return [answer.status for answer in answers]

    with ThreadPoolExecutor(2) as pool:
        statuses = [
            status
            for call in [pool.submit(asyncio.run, twenty()) for _ in range(2)]
            for status in call.result()
        ]
    assert set(statuses) == {200}
    assert Tally.get("t").count == 40  # type: ignore[union-attr]


async def test_more_concurrent_async_actions_than_pooled_connections_all_finish(
    tally_route: Any,
) -> None:
    # Each async transaction holds a connection between its trips to worker threads;
    # 60 on 60 rows at once (the pool has 15) wait for a turn on the event loop, not
    # for a connection in a thread that the transactions holding one need to commit.
    import asyncio

    for n in range(60):
        Tally(id=f"row{n}").save()
    dispatcher = ActionDispatcher()
    requests = [ActionRequest(method="POST", path_params={"id": f"row{n}"}) for n in range(60)]
    answers = await asyncio.wait_for(
        asyncio.gather(*(dispatcher.ahandle(tally_route, request) for request in requests)),
        timeout=60,
    )
    assert {answer.status for answer in answers} == {200}
    assert {tally.count for tally in Tally.all() if tally.id.startswith("row")} == {1}


async def test_two_transactions_locking_two_rows_in_opposite_orders_do_not_hang(
    tally_route: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Row turns on the event loop would wait for each other for ever; after ROW_WAIT
    # they go on to the database's own locks, where PostgreSQL finds the deadlock and
    # fails one transaction (SQLite's take turns as a whole: both pass).
    import asyncio

    from sqlalchemy.exc import OperationalError

    from nitro.persistence import for_update
    from nitro.sql import _turns

    monkeypatch.setattr(_turns, "ROW_WAIT", 0.3)
    Tally(id="u").save()

    async def lock_both(first: str, second: str) -> None:
        async with Tally.repository().atransaction():
            with for_update():
                await Tally.aget(first)
            await asyncio.sleep(0.1)
            with for_update():
                await Tally.aget(second)

    outcomes = await asyncio.wait_for(
        asyncio.gather(lock_both("t", "u"), lock_both("u", "t"), return_exceptions=True),
        timeout=30,
    )
    failed = [o for o in outcomes if isinstance(o, BaseException)]
    assert len(failed) <= 1
    for error in failed:
        assert isinstance(error, OperationalError)
        assert "deadlock" in str(error).lower()
