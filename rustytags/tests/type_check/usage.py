"""User code checked with `mypy --strict` against the stubs (see test_stubs.py)."""

from __future__ import annotations

from collections.abc import Iterator

from rusty_tags import (
    VOID_ELEMENTS,
    A,
    Button,
    Div,
    Element,
    Fragment,
    Input,
    Li,
    Page,
    Raw,
    Tag,
    Ul,
)


class Markup:
    """Anything with __html__ is a valid child."""

    def __init__(self, html: str) -> None:
        self.html = html

    def __html__(self) -> str:
        return self.html


def items(names: list[str]) -> Iterator[Element]:
    return (Li(name, data_index=i) for i, name in enumerate(names))


def card(title: str, names: list[str], active: bool) -> Element:
    return Div(
        A(title, href="/x", cls="link"),
        Ul(items(names)),
        [Button("ok", disabled=not active), None, 3, 2.5],
        Markup("<b>trusted</b>"),
        Raw("<hr>"),
        Fragment("a", Input(type="text")),
        Tag("my-el", "x", data_signals={"n": 0, "tags": ["a"]}),
        cls="card",
        hidden=False,
        data_on_click="@post('/x')",
    )


page: Element = Page(card("t", ["a"], True), title="T", hdrs=[Raw("<meta x>")])
html: str = str(page) + page.__html__() + page.render()
is_void: bool = "input" in VOID_ELEMENTS
