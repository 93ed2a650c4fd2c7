"""Every public name imports, and the package metadata agrees with itself."""

from __future__ import annotations

import importlib
import re
import tomllib
from pathlib import Path

import rusty_tags
from rusty_tags import _rusty_tags

CRATE = Path(__file__).resolve().parents[1]


def test_every_public_name_imports() -> None:
    module = importlib.import_module("rusty_tags")
    assert len(rusty_tags.__all__) == len(set(rusty_tags.__all__))
    for name in rusty_tags.__all__:
        assert getattr(module, name) is not None, name
    namespace: dict[str, object] = {}
    exec("from rusty_tags import *", namespace)
    assert set(rusty_tags.__all__) <= set(namespace)


def test_no_private_names_are_public() -> None:
    assert [n for n in rusty_tags.__all__ if n.startswith("_")] == ["__version__"]
    for name in rusty_tags.__all__:
        module = getattr(getattr(rusty_tags, name), "__module__", "rusty_tags")
        assert module in {"rusty_tags", "rusty_tags._rusty_tags", "rusty_tags._page"}, name


def test_every_compiled_name_is_public() -> None:
    assert set(_rusty_tags.__all__) <= set(rusty_tags.__all__)


def test_element_lists() -> None:
    html5 = [
        "a",
        "abbr",
        "address",
        "area",
        "article",
        "aside",
        "audio",
        "b",
        "base",
        "bdi",
        "bdo",
        "blockquote",
        "body",
        "br",
        "button",
        "canvas",
        "caption",
        "cite",
        "code",
        "col",
        "colgroup",
        "data",
        "datalist",
        "dd",
        "del",
        "details",
        "dfn",
        "dialog",
        "div",
        "dl",
        "dt",
        "em",
        "embed",
        "fieldset",
        "figcaption",
        "figure",
        "footer",
        "form",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "head",
        "header",
        "hgroup",
        "hr",
        "html",
        "i",
        "iframe",
        "img",
        "input",
        "ins",
        "kbd",
        "label",
        "legend",
        "li",
        "link",
        "main",
        "map",
        "mark",
        "menu",
        "meta",
        "meter",
        "nav",
        "noscript",
        "object",
        "ol",
        "optgroup",
        "option",
        "output",
        "p",
        "picture",
        "pre",
        "progress",
        "q",
        "rp",
        "rt",
        "ruby",
        "s",
        "samp",
        "script",
        "search",
        "section",
        "select",
        "selectedcontent",
        "slot",
        "small",
        "source",
        "span",
        "strong",
        "style",
        "sub",
        "summary",
        "sup",
        "table",
        "tbody",
        "td",
        "template",
        "textarea",
        "tfoot",
        "th",
        "thead",
        "time",
        "title",
        "tr",
        "track",
        "u",
        "ul",
        "var",
        "video",
        "wbr",
    ]
    factories = {tag_name(getattr(rusty_tags, n)) for n in rusty_tags.__all__ if is_tag(n)}
    assert set(html5) <= factories
    svg = ["svg", "g", "path", "circle", "rect", "line", "polyline", "polygon", "ellipse",
           "text", "defs", "use", "linearGradient", "clipPath", "foreignObject"]  # fmt: skip
    assert set(svg) <= factories
    void = {n for n in html5 if str(getattr(rusty_tags, n.capitalize())()) == f"<{n}>"}
    assert void == rusty_tags.VOID_ELEMENTS & set(html5)
    assert void == {"area", "base", "br", "col", "embed", "hr", "img", "input", "link",
                    "meta", "source", "track", "wbr"}  # fmt: skip


def is_tag(name: str) -> bool:
    return (
        type(getattr(rusty_tags, name)) is type(rusty_tags.Div)
        and name[0].isupper()
        and name not in {"Tag", "CustomTag", "Fragment", "Raw", "Page", "DatastarScript"}
    )


def tag_name(factory: object) -> str:
    match = re.match(r"<([A-Za-z0-9]+)", str(factory()))  # type: ignore[operator]
    assert match
    return match.group(1)


def test_safe_is_not_exported() -> None:
    # 0.7.0's Safe() escaped; a same-named marker that does the opposite would be a trap.
    assert not hasattr(rusty_tags, "Safe")


def test_versions_agree() -> None:
    cargo = tomllib.loads((CRATE / "Cargo.toml").read_text())["package"]["version"]
    pyproject = tomllib.loads((CRATE / "pyproject.toml").read_text())["project"]["version"]
    assert cargo == pyproject == rusty_tags.__version__
    assert re.search(rf"^## {re.escape(cargo)}\b", (CRATE / "CHANGELOG.md").read_text(), re.M)
