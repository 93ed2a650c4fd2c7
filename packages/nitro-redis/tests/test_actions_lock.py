"""Concurrent actions of one process on one RedisRepo entity take turns: none
overwrites another's change (nitro.persistence.entity_locks, held in the process)."""

from __future__ import annotations

import asyncio
import functools
import json
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from nitro import Entity
from nitro.actions import ActionDispatcher, ActionRequest, build_action_app
from nitro.actions.decorator import action
from nitro.redis import RedisRepo


class Seat(Entity):
    count: int = 0

    @action
    def book(self) -> None:
        seen = self.count
        time.sleep(0.002)  # (work between the read and the save)
        self.count = seen + 1

    @action
    async def abook(self) -> None:
        seen = self.count
        await asyncio.sleep(0.002)
        self.count = seen + 1


@pytest.fixture
def routes(redis_url: str) -> Iterator[dict[str, Any]]:
    Seat._persistence_backend_class = functools.partial(RedisRepo, url=redis_url)
    app = build_action_app(entities=[Seat])
    Seat(id="s").save()
    yield {r.info.func.__name__: r for r in app.routes if r.with_id}
    Seat.repository().clear()


def request() -> ActionRequest:
    return ActionRequest(method="POST", path_params={"id": "s"})


def test_threaded_actions_on_one_entity_lose_no_change(routes: dict[str, Any]) -> None:
    dispatcher = ActionDispatcher()
    with ThreadPoolExecutor(8) as pool:
        calls = [pool.submit(dispatcher.handle, routes["book"], request()) for _ in range(40)]
        answers = [call.result() for call in calls]
    assert {answer.status for answer in answers} == {200}
    assert Seat.get("s").count == 40  # type: ignore[union-attr]


async def test_async_actions_that_await_lose_no_change(routes: dict[str, Any]) -> None:
    dispatcher = ActionDispatcher()
    answers = await asyncio.wait_for(
        asyncio.gather(*(dispatcher.ahandle(routes["abook"], request()) for _ in range(40))),
        timeout=30,
    )
    assert {answer.status for answer in answers} == {200}
    seen = sorted(json.loads(answer.body)["entity"]["count"] for answer in answers)
    assert seen == list(range(1, 41))
    assert Seat.get("s").count == 40  # type: ignore[union-attr]
