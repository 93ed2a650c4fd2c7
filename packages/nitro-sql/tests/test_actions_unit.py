"""Actions on a SQLEntity run inside a unit of work too (SQLite and PostgreSQL)."""

import json
import math
from collections.abc import Iterator
from typing import Any

import pytest
from pydantic_core import to_json

from nitro import post_save
from nitro.actions import ActionDispatcher, ActionRequest, build_action_app, sse
from nitro.actions.decorator import action
from nitro.signals import data_signals
from nitro.sql import Database, SQLEntity


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
