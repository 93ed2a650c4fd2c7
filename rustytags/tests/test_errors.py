"""Bad input gets a clear TypeError or ValueError; deep input does not crash."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from rusty_tags import (
    Div,
    ForeignObject,
    Fragment,
    G,
    Math,
    Raw,
    Script,
    Span,
    Style,
    Svg,
    Tag,
    datastar_json,
)


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("a b", "whitespace"),
        ("a\tb", "whitespace"),
        ("a\nb", "whitespace"),
        ('a"b', "quote"),
        ("a'b", "quote"),
        ("a=b", "'='"),
        ("a>b", "'<' or '>'"),
        ("<a", "'<' or '>'"),
        ("a/b", "'/'"),
        ("", "empty"),
        ("a\x01", "control character"),
        ("a\ufffe", "noncharacter"),
    ],
)
def test_bad_attribute_names(name: str, reason: str) -> None:
    with pytest.raises(ValueError, match="invalid attribute name") as info:
        Div(**{name: "x"})
    assert reason in str(info.value)
    with pytest.raises(ValueError, match="invalid attribute name"):
        Tag("div", **{name: "x"})


def test_bad_name_is_refused_every_time() -> None:
    # The name cache must not remember a bad name as good.
    for _ in range(3):
        with pytest.raises(ValueError, match="whitespace"):
            Div(**{"a b": 1})


@pytest.mark.parametrize(
    "build",
    [
        lambda: Div("\ud800"),
        lambda: Div(title="x\udfff"),
        lambda: Div(**{"a\ud800": "x"}),
        lambda: Div(data_signals={"k\ud800": 1}),
        lambda: Div(data_signals={"k": "\udc00"}),
        lambda: Raw("\ud83d"),
        lambda: Tag("d\ud800"),
    ],
)
def test_lone_surrogates(build: object) -> None:
    with pytest.raises(ValueError, match="lone surrogate"):
        build()  # type: ignore[operator]


def test_nul_characters_become_the_replacement_character() -> None:
    # HTML cannot carry U+0000; parsers read it as U+FFFD. Stored data holding one must
    # still render (an error here made every page showing that row answer 500).
    assert str(Div("a\x00b", title="\x00")) == '<div title="\ufffd">a\ufffdb</div>'
    assert str(Script("x\x00")) == "<script>x\ufffd</script>"
    assert str(Style("\x00")) == "<style>\ufffd</style>"
    assert datastar_json({"k": "\x00"}) == '{"k":"\\u0000"}'


@pytest.mark.parametrize("raw", [Style, Script])
@pytest.mark.parametrize("foreign", [Svg, Math, lambda *c: Svg(G(Fragment(*c)))])
def test_raw_text_holding_lt_is_refused_in_svg_and_math(raw, foreign) -> None:
    # Inside <svg>/<math>, <style> and <script> are not raw-text elements: a '<' in
    # their text would be parsed as markup and could close the <svg>.
    with pytest.raises(ValueError, match=r"inside <(svg|math)> holds '<'"):
        foreign(raw("</svg><img src=x onerror=alert(1)>"))


def test_raw_text_in_foreign_content_without_lt_and_behind_integration_points() -> None:
    assert str(Svg(Style("a > b { fill: red }"))) == "<svg><style>a > b { fill: red }</style></svg>"
    # foreignObject switches back to HTML parsing: the <style> is raw text again.
    inner = Div(Style("a<b"))
    assert str(Svg(ForeignObject(inner))) == f"<svg><foreignObject>{inner}</foreignObject></svg>"
    # Outside svg/math nothing changes.
    assert str(Div(Script("if (a < b) {}"))) == "<div><script>if (a < b) {}</script></div>"


def test_non_string_keyword_names() -> None:
    # CPython itself refuses these before the call; pinned so it stays a TypeError.
    with pytest.raises(TypeError, match="keywords must be strings"):
        Div(**{1: "x"})  # type: ignore[misc]


def test_non_string_json_keys() -> None:
    with pytest.raises(TypeError, match="keys must be str"):
        Div(data_signals={("a",): 1})


@pytest.mark.parametrize(
    "child",
    [object(), b"bytes", {"a": 1}, {1, 2}, 1j, Div, print, bytearray(b"x")],
)
def test_unsupported_child_types(child: object) -> None:
    with pytest.raises(TypeError, match="unsupported child of type"):
        Div(child)  # type: ignore[arg-type]


def test_html_method_must_return_str() -> None:
    class Bad:
        def __html__(self) -> int:
            return 1

    with pytest.raises(TypeError, match="did not return str"):
        Div(Bad())  # type: ignore[arg-type]


def test_errors_from_generators_propagate() -> None:
    def items():  # type: ignore[no-untyped-def]
        yield "a"
        raise LookupError("boom")

    with pytest.raises(LookupError, match="boom"):
        Div(items())


def test_deeply_nested_lists_are_refused() -> None:
    nested: list[object] = ["x"]
    for _ in range(1000):
        nested = [nested]
    with pytest.raises(ValueError, match="nested more than 256 levels"):
        Div(nested)


def test_hundred_thousand_deep_elements() -> None:
    node = Span("leaf")
    for _ in range(100_000):
        node = Div(node)
    html = str(node)
    assert html == "<div>" * 100_000 + "<span>leaf</span>" + "</div>" * 100_000
    del node, html


@pytest.mark.slow
def test_hundred_thousand_deep_in_a_fresh_process() -> None:
    # The same, in a process of its own, so a crash (not just an exception) is seen.
    code = textwrap.dedent(
        """
        from rusty_tags import Div, Fragment
        node = Fragment("x")
        for _ in range(100_000):
            node = Div(node)
        s = str(node)
        assert len(s) == 1 + 11 * 100_000, len(s)
        del node
        print("ok")
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"
