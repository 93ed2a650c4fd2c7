"""Attribute names, values, escaping, JSON and order."""

from __future__ import annotations

import json
from html import unescape

import pytest

from rusty_tags import Button, Div, Input, Label, Script


def attr(name: str, value: object = "v") -> str:
    """The rendered attribute text of `Div(**{name: value})`."""
    html = str(Div(**{name: value}))
    assert html.startswith("<div")
    assert html.endswith("></div>")
    return html[len("<div") : -len("></div>")]


@pytest.mark.parametrize(
    ("name", "html"),
    [
        ("cls", "class"),
        ("class_", "class"),
        ("klass", "class"),
        ("_class", "class"),
        ("for_", "for"),
        ("fr", "for"),
        ("id", "id"),
        ("aria_label", "aria-label"),
        ("hx_get", "hx-get"),
        ("_hidden", "hidden"),
        ("async_", "async"),
        ("data_user_id", "data-user-id"),
        ("viewBox", "viewBox"),
        ("@click", "@click"),
        ("x-on:click.prevent", "x-on:click.prevent"),
        ("data-on:click__debounce.500ms", "data-on:click__debounce.500ms"),
    ],
)
def test_name_translation(name: str, html: str) -> None:
    assert attr(name) == f' {html}="v"'


# Datastar 1.0 spellings: keyword -> attribute, as listed in docs/html.md.
DATASTAR = [
    ("data_on_click", "data-on:click"),
    ("data_on_input__debounce_500ms", "data-on:input__debounce.500ms"),
    (
        "data_on_keydown__window__throttle_1s_noleading",
        "data-on:keydown__window__throttle.1s.noleading",
    ),
    ("data_on_my_event", "data-on:my-event"),
    ("data_bind", "data-bind"),
    ("data_bind_username", "data-bind:username"),
    ("data_text", "data-text"),
    ("data_show", "data-show"),
    ("data_attr_title", "data-attr:title"),
    ("data_class_active", "data-class:active"),
    ("data_class_text_red_500", "data-class:text-red-500"),
    ("data_computed_x", "data-computed:x"),
    ("data_style_background_color", "data-style:background-color"),
    ("data_indicator", "data-indicator"),
    ("data_indicator_fetching", "data-indicator:fetching"),
    ("data_ref_input", "data-ref:input"),
    ("data_effect", "data-effect"),
    ("data_init", "data-init"),
    ("data_init__delay_500ms", "data-init__delay.500ms"),
    ("data_signals_count", "data-signals:count"),
    ("data_signals__ifmissing", "data-signals__ifmissing"),
    ("data_ignore__self", "data-ignore__self"),
    ("data_ignore_morph", "data-ignore-morph"),
    ("data_json_signals__terse", "data-json-signals__terse"),
    ("data_preserve_attr", "data-preserve-attr"),
    ("data_on_intersect", "data-on-intersect"),
    ("data_on_intersect__once__half", "data-on-intersect__once__half"),
    ("data_on_interval", "data-on-interval"),
    ("data_on_interval__duration_500ms", "data-on-interval__duration.500ms"),
    ("data_on_signal_patch", "data-on-signal-patch"),
    ("data_on_signal_patch_filter", "data-on-signal-patch-filter"),
]

# rusty-tags 0.7.0's short spellings, kept.
SHORT = [
    ("on_click", "data-on:click"),
    ("on_submit__prevent", "data-on:submit__prevent"),
    ("on_intersect", "data-on-intersect"),
    ("on_interval", "data-on-interval"),
    ("on_signal_patch", "data-on-signal-patch"),
    ("signals", "data-signals"),
    ("bind", "data-bind"),
    ("show", "data-show"),
    ("text", "data-text"),
    ("computed", "data-computed"),
    ("attrs", "data-attr"),
    ("attr_title", "data-attr:title"),
    ("indicator", "data-indicator"),
    ("effect", "data-effect"),
    ("ref", "data-ref"),
    ("persist", "data-persist"),
    ("ignore", "data-ignore"),
    ("ignore_morph", "data-ignore-morph"),
    ("json_signals", "data-json-signals"),
    ("preserve_attr", "data-preserve-attr"),
    ("scroll_into_view", "data-scroll-into-view"),
    ("view_transition", "data-view-transition"),
    ("custom_validity", "data-custom-validity"),
    ("replace_url", "data-replace-url"),
    ("query_string", "data-query-string"),
    ("animate", "data-animate"),
]


@pytest.mark.parametrize(("name", "html"), DATASTAR + SHORT)
def test_datastar_spellings(name: str, html: str) -> None:
    assert attr(name, "$x && $y") == f' {html}="$x &amp;&amp; $y"'


def test_underscore_turns_off_short_spellings() -> None:
    assert attr("text_") == ' text="v"'
    assert attr("_show") == ' show="v"'
    assert attr("_on_click") == ' on-click="v"'


def test_real_html_attributes_are_not_shadowed() -> None:
    # Names that look like Datastar short forms but are HTML: kept as HTML.
    for name in ["title", "style", "class", "hidden", "value", "name", "form", "list"]:
        assert attr(name) == f' {name}="v"'


def test_true_false_none() -> None:
    assert str(Input(disabled=True, checked=False, value=None, required=True)) == (
        "<input disabled required>"
    )


def test_values_are_escaped() -> None:
    assert attr("title", "a\"b'c<d>&e") == ' title="a&quot;b&#x27;c&lt;d&gt;&amp;e"'
    assert attr("title", "</script>") == ' title="&lt;/script&gt;"'


def test_numbers() -> None:
    assert attr("tabindex", 3) == ' tabindex="3"'
    assert attr("step", 0.5) == ' step="0.5"'


def test_dict_and_list_values_are_json() -> None:
    signals = {"count": 0, "name": 'O\'Brien "x"', "tags": ["a", "<b>"], "ok": True, "none": None}
    html = attr("data_signals", signals)
    value = unescape(html[len(' data-signals="') : -1])
    assert json.loads(value) == signals
    assert value == (
        '{"count":0,"name":"O\\u0027Brien \\"x\\"","tags":["a","\\u003cb>"],"ok":true,"none":null}'
    )
    assert attr("data_x", [1, 2.5, (3,)]) == ' data-x="[1,2.5,[3]]"'


def test_json_unicode_and_control_characters() -> None:
    value = {"k": "ünï 🦀\n\t\x01"}
    html = attr("signals", value)
    assert json.loads(unescape(html[len(' data-signals="') : -1])) == value


def test_json_rejects_what_json_cannot_hold() -> None:
    with pytest.raises(ValueError, match="NaN"):
        Div(data_signals={"x": float("nan")})
    with pytest.raises(TypeError, match="JSON object keys must be str"):
        Div(data_signals={1: 2})
    with pytest.raises(TypeError, match="not JSON serializable"):
        Div(data_signals={"x": object()})
    cycle: list[object] = []
    cycle.append(cycle)
    with pytest.raises(ValueError, match="nested more than"):
        Div(data_x=cycle)


def test_insertion_order_is_kept() -> None:
    names = ["z", "a", "m", "b", "y", "c", "x", "d", "w", "e"]
    html = str(Div(**dict.fromkeys(names, "1")))
    assert html == "<div " + " ".join(f'{n}="1"' for n in names) + "></div>"


def test_duplicate_after_translation_is_an_error() -> None:
    with pytest.raises(ValueError, match='"class" is given more than once'):
        Div(cls="a", class_="b")
    with pytest.raises(ValueError, match="more than once"):
        Label(fr="a", for_="b")
    with pytest.raises(ValueError, match="more than once"):
        Div(ID="a", id="b")
    # A skipped value does not count.
    assert str(Div(cls=None, class_="b")) == '<div class="b"></div>'


def test_unsupported_value_type() -> None:
    with pytest.raises(TypeError, match='attribute "data-x"'):
        Div(data_x=object())
    with pytest.raises(TypeError, match="unsupported value"):
        Button(onclick=print)


def test_script_attributes() -> None:
    assert str(Script(src="/a.js", type="module", async_=True, defer=True)) == (
        '<script src="/a.js" type="module" async defer></script>'
    )
