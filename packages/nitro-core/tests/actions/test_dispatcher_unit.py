"""Each action runs inside a unit of work: one save and one post_save per action,
events after the commit, nothing kept when the action raises."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from typing import Any, ClassVar

import pytest

from nitro import Entity, MemoryRepo, post_save, use_backend
from nitro.actions import ActionDispatcher, ActionRequest, build_action_app
from nitro.actions.decorator import action
from nitro.actions.registry import ActionRoute
from nitro.persistence import MemoryStore
from nitro.uow import publish


class Announcement:
    """Something sent after the action's unit commits (an event, a job): it must find
    the action's change stored."""

    seen: ClassVar[list[int]] = []

    def send(self, sender: Any = None, /, **kwargs: Any) -> None:
        Announcement.seen.append(Tally.get("t1").n)

    async def asend(self, sender: Any = None, /, **kwargs: Any) -> None:
        self.send(sender)


class CountingRepo(MemoryRepo[Any]):
    """MemoryRepo that records every write (a fake around the real store)."""

    writes: ClassVar[list[tuple[str, str]]] = []

    def save(self, entity: Any, ttl: float | None = None) -> bool:
        CountingRepo.writes.append(("save", entity.id))
        return super().save(entity, ttl)


class Tally(Entity):
    n: int = 0

    @action
    def bump(self) -> None:
        self.n += 1

    @action
    def bump_and_save(self) -> None:
        self.n += 1
        self.save()

    @action
    def save_then_change(self) -> None:
        self.n += 1
        self.save()
        self.n += 10

    @action
    def look(self) -> None:
        pass

    @action
    def bump_twice_with_a_side_write(self) -> None:
        self.n += 1
        self.save()
        Tally(id="side").save()

    @action
    def bump_and_announce(self) -> None:
        self.n += 1
        publish(Announcement())  # as a job enqueued in an action is

    @action
    async def abump_and_announce(self) -> None:
        self.n += 1
        publish(Announcement())

    @action
    def fail_after_saving(self) -> None:
        self.n += 1
        self.save()
        Tally(id="side").save()
        raise RuntimeError("boom")

    @action
    async def abump_and_save(self) -> None:
        self.n += 1
        await self.asave()

    @action
    async def afail_after_saving(self) -> None:
        self.n += 1
        await self.asave()
        raise RuntimeError("boom")


@pytest.fixture
def routes() -> dict[str, ActionRoute]:
    app = build_action_app(entities=[Tally])
    return {r.info.func.__name__: r for r in app.routes if r.with_id}


@pytest.fixture
def events() -> Iterator[list[tuple[str, int]]]:
    seen: list[tuple[str, int]] = []

    def receiver(sender: Any, entity: Any, **kwargs: Any) -> None:
        seen.append((entity.id, Tally.get(entity.id).n))  # already stored when sent

    with use_backend(functools.partial(CountingRepo, store=MemoryStore()), Tally):
        Tally(id="t1").save()
        CountingRepo.writes.clear()
        post_save.connect(receiver, sender=Tally)
        yield seen
        post_save.disconnect(receiver, sender=Tally)


def call(routes: dict[str, ActionRoute], name: str) -> Any:
    request = ActionRequest(method="POST", path_params={"id": "t1"})
    return ActionDispatcher().handle(routes[name], request)


async def acall(routes: dict[str, ActionRoute], name: str) -> Any:
    request = ActionRequest(method="POST", path_params={"id": "t1"})
    return await ActionDispatcher().ahandle(routes[name], request)


@pytest.mark.parametrize("name", ["bump", "bump_and_save"])
def test_one_save_and_one_post_save_per_action(routes: Any, events: Any, name: str) -> None:
    assert call(routes, name).status == 200
    assert CountingRepo.writes == [("save", "t1")]
    assert events == [("t1", 1)]
    assert Tally.get("t1").n == 1


def test_a_change_after_the_actions_own_save_is_saved_too(routes: Any, events: Any) -> None:
    assert call(routes, "save_then_change").status == 200
    assert Tally.get("t1").n == 11
    assert CountingRepo.writes == [("save", "t1")]  # the unit holds the last state once


def test_what_waits_for_the_commit_sees_the_actions_change(routes: Any, events: Any) -> None:
    Announcement.seen.clear()
    assert call(routes, "bump_and_announce").status == 200
    assert Announcement.seen == [1]
    assert CountingRepo.writes == [("save", "t1")]


async def test_async_what_waits_for_the_commit_sees_the_change(routes: Any, events: Any) -> None:
    Announcement.seen.clear()
    assert (await acall(routes, "abump_and_announce")).status == 200
    assert Announcement.seen == [1]


def test_an_unchanged_entity_is_not_written(routes: Any, events: Any) -> None:
    assert call(routes, "look").status == 200
    assert CountingRepo.writes == []
    assert events == []


def test_side_writes_commit_with_the_entity(routes: Any, events: Any) -> None:
    assert call(routes, "bump_twice_with_a_side_write").status == 200
    assert sorted(CountingRepo.writes) == [("save", "side"), ("save", "t1")]
    assert sorted(events) == [("side", 0), ("t1", 1)]


def test_nothing_is_kept_when_the_action_raises(routes: Any, events: Any) -> None:
    assert call(routes, "fail_after_saving").status == 500
    assert CountingRepo.writes == []
    assert events == []
    assert Tally.get("t1").n == 0
    assert Tally.get("side") is None


async def test_async_actions_save_once_and_keep_nothing_on_error(routes: Any, events: Any) -> None:
    assert (await acall(routes, "abump_and_save")).status == 200
    assert (await acall(routes, "bump_and_save")).status == 200
    assert CountingRepo.writes == [("save", "t1"), ("save", "t1")]
    assert events == [("t1", 1), ("t1", 2)]
    assert (await acall(routes, "afail_after_saving")).status == 500
    assert Tally.get("t1").n == 2
    assert len(events) == 2
