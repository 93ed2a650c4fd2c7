"""Calling an action through its class builds the Datastar expression."""

import pytest

from nitro import Entity
from nitro.actions import action, url_prefix
from nitro.signals import SignalRef


class Stepper(Entity):
    count: int = 0
    step: int = 1

    @action(method="POST")
    def increment(self, amount: int = 1, note: str | None = None) -> None:
        self.count += amount

    @action(method="DELETE", path="wipe")
    def clear_all(self) -> None: ...

    @action(method="PUT")
    def configure(self, flags: list[str], on: bool = True) -> None: ...

    @action(method="GET")
    @classmethod
    def search(cls, q: str = "") -> None: ...


def test_literal_arguments_go_in_the_query_string():
    assert Stepper.increment(5) == "@post('/stepper/increment?amount=5')"
    assert Stepper.increment(amount=2, note="a b&c") == (
        "@post('/stepper/increment?amount=2&note=a%20b%26c')"
    )


def test_no_arguments_and_none_are_left_out():
    assert Stepper.increment() == "@post('/stepper/increment')"
    assert Stepper.increment(3, None) == "@post('/stepper/increment?amount=3')"


def test_signal_reference_is_read_in_the_browser():
    assert Stepper.step_signal == "$Stepper.step"
    assert Stepper.increment(Stepper.step_signal) == (
        "@post('/stepper/increment' + '?amount=' + encodeURIComponent($Stepper.step))"
    )
    assert Stepper.increment(1, note=SignalRef("$Stepper.step")) == (
        "@post('/stepper/increment?amount=1' + '&note=' + encodeURIComponent($Stepper.step))"
    )


def test_a_plain_string_that_looks_like_a_signal_is_a_literal():
    # Stored text such as "$Secret.token" must not make the browser read that signal.
    assert Stepper.increment(1, note="$Stepper.step") == (
        "@post('/stepper/increment?amount=1&note=%24Stepper.step')"
    )


def test_quotes_cannot_break_out_of_the_js_string():
    expression = Stepper.increment(note="'); alert(1); ('")
    assert "'" not in expression.removeprefix("@post('").removesuffix("')")


def test_json_and_bool_arguments():
    assert Stepper.configure(["a", "b"], on=False) == (
        "@put('/stepper/configure?flags=%5B%22a%22%2C%22b%22%5D&on=false')"
    )


def test_method_and_custom_path():
    assert Stepper.clear_all() == "@delete('/stepper/wipe')"
    assert Stepper.search(q="x") == "@get('/stepper/search?q=x')"


def test_per_instance_form_puts_the_id_in_the_path():
    row = Stepper(id="row-1")
    assert Stepper.increment.of(row)(2) == "@post('/stepper/row-1/increment?amount=2')"
    assert Stepper.increment.of("row-2")() == "@post('/stepper/row-2/increment')"
    with pytest.raises(TypeError, match="class action"):
        Stepper.search.of(row)
    with pytest.raises(TypeError, match="needs an entity or an id"):
        Stepper.increment.of(42)


def test_unknown_or_extra_arguments_are_type_errors():
    with pytest.raises(TypeError, match=r"Stepper\.increment\(\)"):
        Stepper.increment(1, "n", 3)
    with pytest.raises(TypeError, match="nope"):
        Stepper.increment(nope=1)


def test_url_with_literals_only():
    assert Stepper.increment.url(4) == "/stepper/increment?amount=4"
    with pytest.raises(TypeError, match="literal arguments only"):
        Stepper.increment.url(Stepper.step_signal)


def test_prefix_of_the_serving_app():
    with url_prefix("api/v1/"):
        assert Stepper.increment(1) == "@post('/api/v1/stepper/increment?amount=1')"
    assert Stepper.increment(1) == "@post('/stepper/increment?amount=1')"


def test_calling_through_an_instance_runs_the_method():
    stepper = Stepper()
    assert stepper.increment(3) is None
    assert stepper.count == 3
    assert Stepper.search() == "@get('/stepper/search')"
    assert str(Stepper.increment) == "@post('/stepper/increment')"
