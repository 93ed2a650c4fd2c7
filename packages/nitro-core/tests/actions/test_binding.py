"""Only declared parameters are bound, validated by Pydantic, with errors naming them."""

import datetime
import enum

import pytest

from nitro.actions import InvalidParameters
from nitro.actions.binding import ParameterBinder
from nitro.actions.decorator import ActionInfo


class Color(enum.Enum):
    RED = "red"
    BLUE = "blue"


def method(self, amount: int, when: datetime.date, color: Color = Color.RED, tags: list[str] = []):  # noqa: B006
    ...


binder = ParameterBinder(ActionInfo(func=method))


def test_text_sources_are_coerced():
    bound = binder.bind(
        {"amount": "3", "when": "2026-01-02", "color": "blue", "tags": '["a"]'}, text_sources=1
    )
    assert bound == {
        "amount": 3,
        "when": datetime.date(2026, 1, 2),
        "color": Color.BLUE,
        "tags": ["a"],
    }


def test_first_source_wins_and_unknown_keys_are_ignored():
    bound = binder.bind(
        {"amount": "1"}, {"amount": 9, "when": "2026-01-01", "evil": 1}, text_sources=1
    )
    assert bound["amount"] == 1
    assert "evil" not in bound


def test_errors_name_every_bad_parameter():
    with pytest.raises(InvalidParameters) as caught:
        binder.bind({"amount": "x", "color": "green"}, text_sources=1)
    names = [e["parameter"] for e in caught.value.errors]
    assert names == ["amount", "when", "color"]
    assert caught.value.status == 422
    assert caught.value.detail.startswith("Invalid parameter amount:")


def test_no_parameters():
    def bare(self): ...

    assert ParameterBinder(ActionInfo(func=bare)).bind({"x": 1}) == {}
