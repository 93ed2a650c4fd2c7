"""Page: a full document with the Datastar client."""

from __future__ import annotations

import contextvars
import json
import re
from html import escape
from html.parser import HTMLParser

import pytest

import rusty_tags as rt
from rusty_tags import DATASTAR_CDN_URL, Div, Link, Page


def test_default_page() -> None:
    html = str(Page(Div("hi"), title="A & B"))
    assert html == (
        "<!doctype html>"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<title>A &amp; B</title>"
        f'<script type="module" src="{DATASTAR_CDN_URL}" '
        f'onerror="{escape(rt.datastar_notice_script(DATASTAR_CDN_URL))}"></script>'
        "</head><body><div>hi</div></body></html>"
    )


def test_cdn_is_pinned_to_a_1_0_x_tag() -> None:
    assert (
        f"https://cdn.jsdelivr.net/gh/starfederation/datastar@v{rt.DATASTAR_VERSION}"
        "/bundles/datastar.js"
    ) == DATASTAR_CDN_URL
    major, minor, patch = rt.DATASTAR_VERSION.split(".")
    assert (major, minor) == ("1", "0")
    assert patch.isdigit()


def test_without_datastar() -> None:
    html = str(Page("x", datastar=False))
    assert "<script" not in html
    assert "datastar" not in html


def test_self_hosted_datastar(monkeypatch: pytest.MonkeyPatch) -> None:
    html = str(Page(datastar_src="/static/datastar.js"))
    assert '<script type="module" src="/static/datastar.js" onerror=' in html
    monkeypatch.setenv("RUSTY_TAGS_DATASTAR_SRC", "/assets/ds.js")
    assert '<script type="module" src="/assets/ds.js" onerror=' in str(Page())
    # The argument wins over the environment.
    assert 'src="/x.js"' in str(Page(datastar_src="/x.js"))
    monkeypatch.delenv("RUSTY_TAGS_DATASTAR_SRC")
    assert DATASTAR_CDN_URL in str(Page())


def test_headers_footers_and_attributes() -> None:
    html = str(
        Page(
            Div("main"),
            title="T",
            hdrs=[Link(rel="stylesheet", href="/s.css")],
            ftrs=[Div("footer")],
            htmlkw={"data_theme": "dark"},
            bodykw={"cls": "app", "data_signals": {"n": 0}},
            lang=None,
            datastar=False,
        )
    )
    assert html == (
        '<!doctype html><html data-theme="dark"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<title>T</title><link rel="stylesheet" href="/s.css"></head>'
        '<body class="app" data-signals="{&quot;n&quot;:0}"><div>main</div><div>footer</div>'
        "</body></html>"
    )


def test_none_for_headers_and_footers() -> None:
    assert str(Page("x", hdrs=None, ftrs=None, datastar=False)) == str(Page("x", datastar=False))


def test_datastar_script_helper() -> None:
    assert str(rt.DatastarScript("/d.js", notice=False)) == (
        '<script type="module" src="/d.js"></script>'
    )
    assert str(rt.DatastarScript("/d.js")) == (
        f'<script type="module" src="/d.js" '
        f'onerror="{escape(rt.datastar_notice_script("/d.js"))}"></script>'
    )


def test_the_request_address_comes_before_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("RUSTY_TAGS_DATASTAR_SRC", "/env.js")
    token = rt.set_datastar_src("/_nitro/datastar.js?v=1")
    try:
        assert rt.datastar_src() == "/_nitro/datastar.js?v=1"
        assert 'src="/_nitro/datastar.js?v=1"' in str(Page())
        assert rt.datastar_src("/arg.js") == "/arg.js"  # the argument still wins
    finally:
        rt.reset_datastar_src(token)
    assert rt.datastar_src() == "/env.js"


def test_the_address_is_per_context() -> None:
    token = rt.set_datastar_src("/mine.js")
    try:
        other = contextvars.Context().run(rt.datastar_src)
    finally:
        rt.reset_datastar_src(token)
    assert other == DATASTAR_CDN_URL


def test_reset_from_another_context_goes_back_to_the_default() -> None:
    token = contextvars.Context().run(rt.set_datastar_src, "/elsewhere.js")
    rt.reset_datastar_src(token)
    assert rt.datastar_src() == DATASTAR_CDN_URL


class _Script(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.attrs: dict[str, str | None] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "script":
            self.attrs = dict(attrs)


@pytest.mark.parametrize(
    "src",
    [
        "/static/datastar.js",
        "/a\"b'c.js",
        "/x.js');alert(1);//",
        '/x.js"</script><script>alert(1)</script>',
        "/$x/@get(1)/`${1}`/é\u2028",
    ],
)
def test_the_notice_handler_cannot_be_broken_out_of(src: str) -> None:
    parser = _Script()
    parser.feed(str(rt.DatastarScript(src)))
    assert parser.attrs["src"] == src
    handler = parser.attrs["onerror"]
    assert handler is not None
    assert handler == rt.datastar_notice_script(src)
    # The message is one JSON string literal: the src cannot leave it.
    literal = re.search(r"n\.textContent=(\"(?:[^\"\\]|\\.)*\");", handler)
    assert literal is not None
    message = json.loads(literal.group(1))
    assert message == (
        f"The Datastar client could not be loaded from {src}; this page will not update. "
        "See the docs: self-hosting Datastar."
    )
    # Everything around the literal is the same code whatever the src.
    plain = rt.datastar_notice_script("/plain.js")
    plain_literal = rt.datastar_json(message.replace(src, "/plain.js"))
    assert handler.replace(literal.group(1), "MESSAGE") == plain.replace(plain_literal, "MESSAGE")
