"""Children, void elements, Fragment, Raw, Tag and the element object."""

from __future__ import annotations

import pickle
import sys

import pytest

import rusty_tags as rt
from rusty_tags import A, Br, Div, Element, Fragment, Img, Input, P, Pre, Raw, Script, Span, Tag


class Markup(str):
    """Like markupsafe.Markup: a str that is already HTML."""

    def __html__(self) -> str:
        return str(self)


class Widget:
    def __html__(self) -> str:
        return "<widget-x></widget-x>"


def test_text_is_escaped() -> None:
    assert str(Div("<script>alert('x') & \"y\"</script>")) == (
        "<div>&lt;script&gt;alert('x') &amp; \"y\"&lt;/script&gt;</div>"
    )


def test_numbers_are_written_and_none_false_skipped() -> None:
    assert str(Span(1, " ", 2.5, None, False, -3, " ", 10**30)) == (
        f"<span>1 2.5-3 {10**30}</span>"
    )


def test_true_child_is_an_error() -> None:
    with pytest.raises(TypeError, match="True is not a valid child"):
        Div(True)


def test_lists_tuples_and_generators_are_flattened() -> None:
    items = (Span(i) for i in range(3))
    assert str(Div(["a", ("b", ["c"])], items, iter(["d"]))) == (
        "<div>abc<span>0</span><span>1</span><span>2</span>d</div>"
    )


def test_objects_with_html_are_inserted_as_is() -> None:
    assert (
        str(Div(Markup("<b>bold</b>"), Widget())) == "<div><b>bold</b><widget-x></widget-x></div>"
    )


def test_plain_str_subclass_is_escaped() -> None:
    class Name(str):
        pass

    assert str(P(Name("<x>"))) == "<p>&lt;x&gt;</p>"


def test_nesting_and_reuse() -> None:
    item = Span("x")
    assert (
        str(Div(item, Div(item), item))
        == "<div><span>x</span><div><span>x</span></div><span>x</span></div>"
    )


def test_void_elements_have_no_end_tag() -> None:
    assert str(Input(type="text", name="q")) == '<input type="text" name="q">'
    assert str(Br()) == "<br>"
    assert str(Img(src="a.png", alt="")) == '<img src="a.png" alt="">'
    with pytest.raises(ValueError, match="void element"):
        Input("child")


def test_empty_normal_element_is_not_self_closed() -> None:
    assert str(Div()) == "<div></div>"


def test_fragment_has_no_wrapper() -> None:
    assert str(Fragment("a<", Span("b"), None, ["c"])) == "a&lt;<span>b</span>c"
    assert str(Fragment()) == ""
    with pytest.raises(TypeError):
        Fragment("x", cls="a")  # type: ignore[call-arg]


def test_raw_inserts_trusted_markup() -> None:
    assert str(Div(Raw("<b>trusted</b> &amp;"))) == "<div><b>trusted</b> &amp;</div>"
    with pytest.raises(TypeError):
        Raw(1)  # type: ignore[arg-type]


def test_tag_builds_any_element() -> None:
    assert str(Tag("my-widget", "hi", cls="x")) == '<my-widget class="x">hi</my-widget>'
    assert str(Tag("INPUT", type="checkbox")) == '<INPUT type="checkbox">'
    assert str(Tag("svg:rect")) == "<svg:rect></svg:rect>"
    for bad in ["", "1x", "a b", "a>", 'x"y', "-x"]:
        with pytest.raises(ValueError, match="invalid tag name"):
            Tag(bad)


def test_script_and_style_text_is_not_escaped_but_checked() -> None:
    assert str(Script("if (a < b && c) {}")) == "<script>if (a < b && c) {}</script>"
    assert str(rt.Style("a > b { color: red }")) == "<style>a > b { color: red }</style>"
    with pytest.raises(ValueError, match="</script"):
        Script("x = '</ScRiPt>'")
    with pytest.raises(ValueError, match="</style"):
        rt.Style("</style>")


def test_markup_cannot_close_text_only_elements_early() -> None:
    # <script>, <style>, <title> and <textarea> are read as text up to their end tag.
    with pytest.raises(ValueError, match="</script"):
        Script(Raw("x</script><b>"))
    with pytest.raises(ValueError, match="</textarea"):
        rt.Textarea(Div(rt.Textarea("x")))
    with pytest.raises(ValueError, match="</title"):
        rt.Title(Markup("a</TITLE>"))
    assert str(rt.Title(Span("x"))) == "<title><span>x</span></title>"
    assert str(Script(Raw("if (a < b) {}"))) == "<script>if (a < b) {}</script>"


def test_leading_newline_in_pre_and_textarea_survives_parsing() -> None:
    assert str(Pre("\ncode")) == "<pre>\n\ncode</pre>"
    assert str(Pre("code")) == "<pre>code</pre>"
    assert str(rt.Textarea("\n")) == "<textarea>\n\n</textarea>"


def test_html_str_render_and_repr() -> None:
    el = A("home", href="/")
    html = '<a href="/">home</a>'
    assert str(el) == el.__html__() == el.render() == el._repr_html_() == html
    assert repr(el) == f"Element({html!r})"
    assert isinstance(el, Element)
    assert isinstance(Fragment(), Element)


def test_equality_and_hash_follow_html() -> None:
    assert Div("x") == Div("x")
    assert Div("x") != Div("y")
    assert Div("x") != "<div>x</div>"
    assert len({Div("x"), Div("x"), Span("x")}) == 2


def test_pickle_round_trip() -> None:
    for el in [Div("<x>", cls="a"), Div("y" * 10_000), Fragment()]:
        copy = pickle.loads(pickle.dumps(el))
        assert isinstance(copy, Element)
        assert copy == el


def test_large_children_are_rendered_in_place() -> None:
    big = Div("x" * 10_000)
    page = Div(Span("a"), big, Span("b"), big)
    text = str(page)
    inner = f"<div>{'x' * 10_000}</div>"
    assert text == f"<div><span>a</span>{inner}<span>b</span>{inner}</div>"
    assert Div(big) == Div(Raw(str(big)))


def test_large_child_first_in_pre_keeps_newline() -> None:
    text = "\n" + "y" * 10_000
    assert str(Pre(Fragment(text))) == f"<pre>\n{text}</pre>"


def test_svg_names_keep_case() -> None:
    assert str(rt.LinearGradient(id="g")) == '<linearGradient id="g"></linearGradient>'
    assert str(rt.Svg(rt.Circle(cx=1, cy=2, r=3), viewBox="0 0 4 4")) == (
        '<svg viewBox="0 0 4 4"><circle cx="1" cy="2" r="3"></circle></svg>'
    )


def test_tag_callables_are_named_builtins() -> None:
    assert repr(rt.Div) == "<built-in function Div>"
    assert pickle.loads(pickle.dumps(rt.Div)) is rt.Div
    assert rt.Div.__name__ == "Div"
    assert rt.Div.__module__ == "rusty_tags._rusty_tags"
    assert "<div>" in (rt.Div.__doc__ or "")
    assert str(rt.OptionEl("x")) == str(rt.Option("x")) == "<option>x</option>"


def test_void_elements_constant() -> None:
    assert "input" in rt.VOID_ELEMENTS
    assert "div" not in rt.VOID_ELEMENTS
    for name in rt.VOID_ELEMENTS:
        assert str(Tag(name, id="x")) == f'<{name} id="x">'


def test_jinja2_and_markupsafe_use_html() -> None:
    markupsafe = pytest.importorskip("markupsafe")
    assert markupsafe.escape(Div("<")) == "<div>&lt;</div>"
    assert markupsafe.Markup("<p>") + Span("x") == "<p><span>x</span>"
    jinja2 = pytest.importorskip("jinja2")
    template = jinja2.Environment(autoescape=True).from_string("{{ el }}|{{ text }}")
    assert template.render(el=Span("<"), text="<") == "<span>&lt;</span>|&lt;"


def test_calls_do_not_leak_references() -> None:
    # "va" + "lue" would be folded into the interned "value", which every thread of the
    # process shares; a string built at run time belongs to this test alone.
    value = "".join(["va", "lue"])
    text, signals, child = "child text", {"a": [1, 2]}, Span("x")
    objects = (text, value, signals, child)
    before = [sys.getrefcount(o) for o in objects]
    for _ in range(1000):
        Div(text, child, [text, child], cls=value, data_signals=signals)
        Tag("x-y", text, child, title=value)
        with pytest.raises(TypeError):
            Div(text, child, object(), title=value)
        with pytest.raises(ValueError, match="invalid attribute name"):
            Div(child, **{"a b": value})
    assert [sys.getrefcount(o) for o in objects] == before
