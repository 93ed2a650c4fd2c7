"""Only declared parameters are bound, validated by Pydantic, with errors naming them."""

import datetime
import enum
from typing import Annotated

import pytest
from pydantic import BaseModel, Field

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


class Address(BaseModel):
    street: str
    lines: list[str] = []


def signup(self, name: str, address: Address | None = None, extra: dict[str, str] = {}):  # noqa: B006
    ...


signup_binder = ParameterBinder(ActionInfo(func=signup))


@pytest.mark.parametrize(
    ("data", "where"),
    [
        ({"name": "a\x00"}, "name"),
        ({"name": "ok", "address": {"street": "\x00"}}, "address.street"),
        ({"name": "ok", "address": {"street": "s", "lines": ["", "x\x00"]}}, "address.lines.1"),
        ({"name": "ok", "extra": {"k": "\x00"}}, "extra.k"),
        ({"name": "ok", "extra": {"k\x00": "v"}}, "extra.k\x00"),
    ],
)
def test_nul_is_refused_naming_where_it_is(data, where):
    with pytest.raises(InvalidParameters) as error:
        signup_binder.bind(data)
    assert error.value.errors == [
        {
            "parameter": where,
            "message": "Null characters are not allowed.",
            "type": "null_character",
        }
    ]
    assert where.split(".")[0] in error.value.detail


def test_text_without_nul_is_bound():
    bound = signup_binder.bind({"name": "Zoë\t\n", "address": {"street": "s"}})
    assert bound["name"] == "Zoë\t\n"


def test_deep_json_in_the_query_string_is_400():
    from nitro.actions import BadRequest

    with pytest.raises(BadRequest, match="the tags parameter is nested too deeply"):
        binder.bind(
            {"amount": "1", "when": "2026-01-01", "tags": "[" * 70 + "]" * 70}, text_sources=1
        )


def plain_method(self, amount: int, title: str = "", step: int = 1): ...


@pytest.mark.parametrize(
    "raw",
    [
        {"amount": "3"},
        {"amount": "0042", "title": "hi", "step": 7},
        {"amount": 5, "title": ""},
        {"amount": "-3"},  # not plain digits: the model reads it
        {"amount": " 3 "},
        {"amount": "3.0"},
        {"amount": "1_000"},
        {"amount": "1" * 30},
        {"amount": "٣"},  # an Arabic-Indic digit
        {"amount": True},
        {"amount": 2.0},
        {"amount": "x"},
        {},
        {"amount": "1", "title": 5},
        {"amount": "1", "title": "a\x00b"},
    ],
)
def test_plain_parameters_bind_as_the_model_does(raw):
    """``int``/``str`` parameters skip the model when it would not change the value;
    every answer (value or error) is the model's."""
    binder = ParameterBinder(ActionInfo(func=plain_method))
    assert binder._plain is not None

    def outcome(bind):
        try:
            bound = bind()
            return {name: (type(value), value) for name, value in bound.items()}
        except InvalidParameters as error:
            return error.errors

    model = ParameterBinder(ActionInfo(func=plain_method))
    model._plain = None  # always the model
    assert outcome(lambda: binder.validate(raw)) == outcome(lambda: model.validate(raw))


def test_constrained_or_typed_parameters_always_use_the_model():
    assert binder._plain is None

    def constrained(self, amount: Annotated[int, Field(ge=1)]): ...

    def optional(self, amount: int | None = None): ...

    for func in (constrained, optional):
        assert ParameterBinder(ActionInfo(func=func))._plain is None
