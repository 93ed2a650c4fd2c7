"""Many actions on one entity at once, for the tests that prove a backend's entity
lock loses no change (MemoryRepo in nitro-core, RedisRepo in nitro-redis): each
action reads its count, waits, writes count + 1, so any overlap shows as a lost
increment. Shared so that every backend is held to the same races."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from nitro.actions import ActionDispatcher, ActionRequest

__all__ = ["counts_seen", "race_in_tasks", "race_in_threads"]


def race_in_threads(
    route: Any, request: Callable[[], ActionRequest], times: int = 40, threads: int = 8
) -> list[Any]:
    """*times* calls of the sync action *route* from *threads* threads; all answered 200."""
    dispatcher = ActionDispatcher()
    with ThreadPoolExecutor(threads) as pool:
        calls = [pool.submit(dispatcher.handle, route, request()) for _ in range(times)]
        answers = [call.result() for call in calls]
    assert {answer.status for answer in answers} == {200}, [a.body for a in answers]
    return answers


async def race_in_tasks(
    route: Any, request: Callable[[], ActionRequest], times: int = 40
) -> list[Any]:
    """*times* concurrent calls of the async action *route* on this loop; all answered 200."""
    dispatcher = ActionDispatcher()
    answers = await asyncio.wait_for(
        asyncio.gather(*(dispatcher.ahandle(route, request()) for _ in range(times))),
        timeout=30,
    )
    assert {answer.status for answer in answers} == {200}, [a.body for a in answers]
    return list(answers)


def counts_seen(answers: list[Any]) -> list[int]:
    """The counts the answers returned, sorted: ``1 .. n`` when each action saw the
    change of the one before it."""
    return sorted(json.loads(answer.body)["entity"]["count"] for answer in answers)
