"""Page: a full document with the Datastar client."""

from __future__ import annotations

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
        f'<script type="module" src="{DATASTAR_CDN_URL}"></script>'
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
    assert '<script type="module" src="/static/datastar.js"></script>' in html
    monkeypatch.setenv("RUSTY_TAGS_DATASTAR_SRC", "/assets/ds.js")
    assert '<script type="module" src="/assets/ds.js"></script>' in str(Page())
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
    assert str(rt.DatastarScript("/d.js")) == '<script type="module" src="/d.js"></script>'
