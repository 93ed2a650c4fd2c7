"""Concurrent actions of one process on one RedisRepo entity take turns: none
overwrites another's change (nitro.persistence.entity_locks, held in the process)."""

from __future__ import annotations

import asyncio
import functools
import time
from collections.abc import Iterator
from typing import Any

import pytest
from nitro_action_races import counts_seen, race_in_tasks, race_in_threads

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
    answers = race_in_threads(routes["book"], request)
    assert counts_seen(answers) == list(range(1, 41))  # each saw the one before
    assert Seat.get("s").count == 40  # type: ignore[union-attr]


async def test_async_actions_that_await_lose_no_change(routes: dict[str, Any]) -> None:
    answers = await race_in_tasks(routes["abook"], request)
    assert counts_seen(answers) == list(range(1, 41))
    assert Seat.get("s").count == 40  # type: ignore[union-attr]
    await Seat.repository().aclose()  # type: ignore[attr-defined]  (this loop's connections)


# -- across processes: the lock key in Redis -----------------------------------------

WORKER = """
import functools, sys, time
from concurrent.futures import ThreadPoolExecutor
from nitro import Entity
from nitro.actions import ActionDispatcher, ActionRequest, build_action_app
from nitro.actions.decorator import action
from nitro.redis import RedisRepo

class Seat(Entity):
    count: int = 0

    @action
    def book(self) -> None:
        seen = self.count
        time.sleep(0.002)
        self.count = seen + 1

Seat._persistence_backend_class = functools.partial(RedisRepo, url=sys.argv[1])
app = build_action_app(entities=[Seat])
[route] = [r for r in app.routes if r.info.func.__name__ == "book" and r.with_id]
dispatcher = ActionDispatcher()
request = lambda: ActionRequest(method="POST", path_params={"id": "s"})
with ThreadPoolExecutor(4) as pool:
    calls = [pool.submit(dispatcher.handle, route, request()) for _ in range(20)]
    answers = [call.result() for call in calls]
assert {a.status for a in answers} == {200}, [a.body for a in answers]
"""


def test_actions_in_two_processes_on_one_entity_lose_no_change(
    routes: dict[str, Any], redis_url: str, tmp_path: Any
) -> None:
    import subprocess
    import sys

    import redis

    script = tmp_path / "worker.py"
    script.write_text(WORKER)
    workers = [
        subprocess.Popen([sys.executable, str(script), redis_url], stderr=subprocess.PIPE)
        for _ in range(2)
    ]
    for worker in workers:
        _, err = worker.communicate(timeout=60)
        assert worker.returncode == 0, err.decode()
    assert Seat.get("s").count == 40  # type: ignore[union-attr]
    # every lock was given back
    assert redis.Redis.from_url(redis_url).keys("nitro-lock:*") == []


def test_a_lock_left_by_a_killed_process_delays_an_action_only_so_long(
    routes: dict[str, Any],
    redis_url: str,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    import redis

    from nitro.persistence import entity_locks

    monkeypatch.setattr(entity_locks, "ENTITY_WAIT", 0.3)
    raw = redis.Redis.from_url(redis_url)
    raw.set("nitro-lock:Seat:s", "a process that died", px=60_000)
    started = time.monotonic()
    answer = ActionDispatcher().handle(routes["book"], request())
    assert answer.status == 200
    assert 0.3 <= time.monotonic() - started < 3
    assert "held by another process" in caplog.text
    assert Seat.get("s").count == 1  # type: ignore[union-attr]
    # not the holder: the stale key is left to expire, not deleted
    assert raw.get("nitro-lock:Seat:s") == b"a process that died"
