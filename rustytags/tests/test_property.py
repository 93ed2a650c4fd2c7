"""Random trees of elements, text and attributes survive an HTML5 parser unchanged."""

from __future__ import annotations

import json
from typing import Any, Union

import html5lib
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import rusty_tags

# Containers whose content model takes any of each other without the parser moving
# things around (no <p>, which a block element closes; no <a> in <a>; no tables).
TAGS = ["div", "span", "section", "article", "em", "strong", "b", "i", "code", "small", "label"]
# Names the library translates (aliases, Datastar short forms): not what this test is about.
TRANSLATED = {"cls", "klass", "fr", "signals", "bind", "show", "text", "computed", "attrs",
              "indicator", "effect", "ref", "persist", "ignore", "animate"}  # fmt: skip

Text = str
Tree = Union[Text, tuple[str, dict[str, Any], list["Tree"]]]  # noqa: UP007

SPECIALS = ["<", ">", "&", '"', "'", "</script>", "<!--", "&amp;", "\r\n", "\r", "é", "🦀",
            "\u2028", "]]>", "=", "`", "\t", " "]  # fmt: skip

text = st.lists(
    st.one_of(
        st.sampled_from(SPECIALS),
        st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), max_size=8),
    ),
    max_size=5,
).map("".join)

attr_name = st.from_regex(r"[a-z][a-z0-9-]{0,10}", fullmatch=True).filter(
    lambda n: n not in TRANSLATED
)
attr_value = st.one_of(text, st.just(True), st.none())
attrs = st.dictionaries(attr_name, attr_value, max_size=4)


VOIDS = ["br", "img", "input", "hr", "wbr"]
# Leaves: text, void elements (no children) and <textarea> (text only: its content is
# not parsed as markup).
leaves = st.one_of(
    text,
    st.tuples(st.sampled_from(VOIDS), attrs, st.just([])),
    st.tuples(st.just("textarea"), attrs, st.lists(text, max_size=2)),
)


def trees() -> st.SearchStrategy[Tree]:
    return st.recursive(
        leaves,
        lambda children: st.tuples(
            st.sampled_from([*TAGS, "pre"]), attrs, st.lists(children, max_size=4)
        ),
        max_leaves=25,
    )


def build(tree: Tree) -> Any:
    if isinstance(tree, str):
        return tree
    tag, attributes, children = tree
    factory = getattr(rusty_tags, tag.capitalize())
    return factory(*(build(c) for c in children), **attributes)


def expected(tree: Tree) -> Any:
    """The DOM the input describes: (tag, attrs, children) with adjacent text merged."""
    if isinstance(tree, str):
        return tree
    tag, attributes, children = tree
    attrs_out = {k: ("" if v is True else v) for k, v in attributes.items() if v is not None}
    return (tag, attrs_out, merge([expected(c) for c in children]))


def merge(children: list[Any]) -> list[Any]:
    out: list[Any] = []
    for child in children:
        if isinstance(child, str):
            if not child:
                continue
            if out and isinstance(out[-1], str):
                out[-1] += child
                continue
        out.append(child)
    return out


def parsed(html: str) -> list[Any]:
    fragment = html5lib.parseFragment(html, treebuilder="etree", namespaceHTMLElements=False)

    def convert(el: Any) -> Any:
        children: list[Any] = []
        if el.text:
            children.append(el.text)
        for child in el:
            children.append(convert(child))
            if child.tail:
                children.append(child.tail)
        return (el.tag, dict(el.attrib), merge(children))

    return convert(fragment)[2]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(trees(), min_size=1, max_size=3))
def test_parsed_output_equals_input(forest: list[Tree]) -> None:
    html = str(rusty_tags.Fragment(*(build(t) for t in forest)))
    assert parsed(html) == merge([expected(t) for t in forest])


@settings(max_examples=100, deadline=None)
@given(text, text)
def test_text_and_attribute_round_trip(content: str, value: str) -> None:
    html = str(rusty_tags.Div(content, title=value, data_signals={"v": value}))
    [(tag, attributes, children)] = parsed(html)
    assert (tag, children) == ("div", merge([content]))
    assert attributes["title"] == value
    # The JSON reads back as the value and holds nothing Datastar's compiler rewrites.
    signals = attributes["data-signals"]
    assert json.loads(signals) == {"v": value}
    assert signals.isascii()
    assert not set("@$`;'<") & set(signals)
