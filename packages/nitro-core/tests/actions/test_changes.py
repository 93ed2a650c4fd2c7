"""An action's change is what ``model_dump()`` would show, however it is found."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from pydantic import ConfigDict, Field, computed_field, field_serializer

from nitro import Entity
from nitro.actions._changes import ChangeTracker, _Dump


class Plain(Entity):
    title: str = ""
    count: int = 0
    when: datetime.date | None = None
    secret: str = Field(default="", exclude=True)


class WithList(Entity):
    tags: list[str] = []


class Computed(Entity):
    count: int = 0

    @computed_field  # type: ignore[prop-decorator]
    @property
    def double(self) -> int:
        return self.count * 2


class Rounded(Entity):
    price: float = 0.0

    @field_serializer("price")
    def _rounded(self, price: float) -> float:
        return round(price, 1)


class OpenNote(Entity):
    model_config = ConfigDict(extra="allow")


def test_plain_values_are_compared_without_dumping():
    tracker = ChangeTracker(Plain)
    entity = Plain(id="p1", title="a")
    before = tracker.snapshot(entity)
    assert type(before) is dict
    assert not tracker.changed(entity, before)
    entity.when = datetime.date(2026, 1, 2)
    assert tracker.changed(entity, before)


def test_a_field_excluded_from_the_dump_is_not_a_change():
    tracker = ChangeTracker(Plain)
    entity = Plain(id="p1")
    before = tracker.snapshot(entity)
    entity.secret = "changed"
    assert not tracker.changed(entity, before)  # as model_dump() before and after


@pytest.mark.parametrize(
    ("entity", "change"),
    [
        (WithList(id="w1", tags=["a"]), lambda e: e.tags.append("b")),  # mutated in place
        (Computed(id="c1"), lambda e: setattr(e, "count", 1)),
        (OpenNote(id="o1", note="x"), lambda e: setattr(e, "note", "y")),
    ],
)
def test_changes_the_dump_shows_are_found(entity: Any, change: Any):
    tracker = ChangeTracker(type(entity))
    before = tracker.snapshot(entity)
    assert not tracker.changed(entity, before)
    change(entity)
    assert tracker.changed(entity, before)


def test_a_serializer_makes_the_dump_the_snapshot():
    tracker = ChangeTracker(Rounded)
    entity = Rounded(id="r1", price=1.0)
    before = tracker.snapshot(entity)
    assert type(before) is _Dump
    entity.price = 1.01  # dumped as 1.0: no change, as before
    assert not tracker.changed(entity, before)
