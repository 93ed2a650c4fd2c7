"""Concurrent actions on one MemoryRepo entity take turns: none overwrites another's
change (nitro.persistence.entity_locks). Each action reads its count, waits (as real
work between a read and a save does), then writes count + 1."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from nitro_action_races import counts_seen, race_in_tasks, race_in_threads

from nitro import Entity
from nitro.actions import ActionDispatcher, ActionRequest, build_action_app
from nitro.actions.decorator import action
from nitro.persistence import entity_locks


class Stock(Entity):
    count: int = 0

    @action
    def add(self) -> None:
        seen = self.count
        time.sleep(0.002)
        self.count = seen + 1

    @action
    async def aadd(self) -> None:
        seen = self.count
        await asyncio.sleep(0.002)
        self.count = seen + 1

    @action
    def fail(self) -> None:
        self.count += 100
        raise ValueError("out of stock")

    @action
    def hold(self, seconds: float = 0.3) -> None:
        time.sleep(seconds)
        self.count += 1


@pytest.fixture
def routes() -> Iterator[dict[str, Any]]:
    app = build_action_app(entities=[Stock])
    for name in ("a", "b"):
        Stock(id=name).save()
    yield {r.info.func.__name__: r for r in app.routes if r.with_id}
    Stock.repository().clear()


def request(entity_id: str = "a") -> ActionRequest:
    return ActionRequest(method="POST", path_params={"id": entity_id})


def test_threaded_actions_on_one_entity_lose_no_change(routes: dict[str, Any]) -> None:
    answers = race_in_threads(routes["add"], request)
    assert counts_seen(answers) == list(range(1, 41))  # each saw the one before
    assert Stock.get("a").count == 40  # type: ignore[union-attr]


async def test_async_actions_that_await_lose_no_change(routes: dict[str, Any]) -> None:
    answers = await race_in_tasks(routes["aadd"], request)
    assert counts_seen(answers) == list(range(1, 41))
    assert Stock.get("a").count == 40  # type: ignore[union-attr]


def test_async_actions_from_two_loops_and_threads_at_once_lose_no_change(
    routes: dict[str, Any],
) -> None:
    dispatcher = ActionDispatcher()

    async def twenty() -> None:
        answers = await asyncio.gather(
            *(dispatcher.ahandle(routes["aadd"], request()) for _ in range(20))
        )
        assert {answer.status for answer in answers} == {200}

    with ThreadPoolExecutor(4) as pool:
        loops = [pool.submit(asyncio.run, twenty()) for _ in range(2)]
        threads = [pool.submit(dispatcher.handle, routes["add"], request()) for _ in range(10)]
        for done in [*loops, *threads]:
            done.result(timeout=60)
    assert Stock.get("a").count == 50  # type: ignore[union-attr]


def test_another_entity_does_not_wait(routes: dict[str, Any]) -> None:
    dispatcher = ActionDispatcher()
    with ThreadPoolExecutor(2) as pool:
        holding = pool.submit(dispatcher.handle, routes["hold"], request("a"))
        time.sleep(0.05)  # (a holds its entity for 0.3 s from now)
        started = time.monotonic()
        other = dispatcher.handle(routes["add"], request("b"))
        assert time.monotonic() - started < 0.25
        assert not holding.done()
        assert other.status == 200
        assert holding.result().status == 200


async def test_a_loop_waiting_for_an_entity_keeps_serving(routes: dict[str, Any]) -> None:
    # an async action waiting for an entity a thread holds waits on the loop: the loop
    # answers other work meanwhile, and no executor thread is tied up by the wait
    dispatcher = ActionDispatcher()
    held = threading.Event()
    release = threading.Event()

    def hold_in_a_thread() -> None:
        with Stock.repository().transaction():
            from nitro.persistence import for_update

            with for_update():
                Stock.get("a")
            held.set()
            release.wait(5)

    thread = threading.Thread(target=hold_in_a_thread)
    thread.start()
    assert held.wait(5)
    waiting = asyncio.ensure_future(dispatcher.ahandle(routes["aadd"], request()))
    ticks = 0
    for _ in range(20):
        await asyncio.sleep(0.005)
        ticks += 1
    assert not waiting.done()
    assert ticks == 20
    release.set()
    answer = await asyncio.wait_for(waiting, 5)
    thread.join()
    assert answer.status == 200
    assert Stock.get("a").count == 1  # type: ignore[union-attr]


def test_opposite_orders_do_not_hang(
    routes: dict[str, Any], monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # two transactions locking a then b and b then a: after ENTITY_WAIT one goes on
    # without the lock (and logs it) instead of both waiting for ever
    from nitro.persistence import for_update

    monkeypatch.setattr(entity_locks, "ENTITY_WAIT", 0.3)
    both = threading.Barrier(2)

    def lock(first: str, second: str) -> None:
        with Stock.repository().transaction(), for_update():
            Stock.get(first)
            both.wait(5)
            Stock.get(second)

    started = time.monotonic()
    with ThreadPoolExecutor(2) as pool:
        done = [pool.submit(lock, "a", "b"), pool.submit(lock, "b", "a")]
        for each in done:
            each.result(timeout=10)
    assert time.monotonic() - started < 5
    assert "goes on without the lock" in caplog.text


async def test_an_action_that_raises_gives_its_entity_back(routes: dict[str, Any]) -> None:
    dispatcher = ActionDispatcher()
    failed = dispatcher.handle(routes["fail"], request())
    assert failed.status >= 400
    started = time.monotonic()
    assert dispatcher.handle(routes["add"], request()).status == 200
    assert (await dispatcher.ahandle(routes["fail"], request())).status >= 400
    assert (await dispatcher.ahandle(routes["aadd"], request())).status == 200
    assert time.monotonic() - started < 1  # nobody waited for a lock left behind
    assert Stock.get("a").count == 2  # type: ignore[union-attr]
