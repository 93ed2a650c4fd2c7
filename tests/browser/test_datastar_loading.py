"""Loading the Datastar client, in headless Chromium: the notice a page shows when the
client cannot be loaded, and the self-hosted client (``NITRO_DATASTAR_JS``).

The counter examples run exactly as users run them; only the environment differs.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from nitro_datastar import READY_SCRIPT, TRAP_SCRIPT
from playwright.sync_api import expect

from rusty_tags import DATASTAR_CDN_URL, DATASTAR_NOTICE_ID, Button, Div, Page, Span

pytestmark = pytest.mark.browser

COUNTERS = ["counter", "counter_flask", "counter_fasthtml"]
NOTICE = f"#{DATASTAR_NOTICE_ID}"


def offline_context(chromium: Any, *init_scripts: str) -> Any:
    """A browser context in which nothing off this machine answers: the CDN is
    unreachable. Records the requests that left loopback as ``context.refused``."""
    context = chromium.new_context()
    context.refused = []

    def refuse(route: Any) -> None:
        context.refused.append(route.request.url)
        route.abort("internetdisconnected")

    context.route(lambda url: not url.startswith(("http://127.0.0.1", "http://localhost")), refuse)
    for script in (READY_SCRIPT, *init_scripts):
        context.add_init_script(script)
    return context


@pytest.fixture
def offline(chromium: Any) -> Iterator[Any]:
    context = offline_context(chromium, TRAP_SCRIPT)
    try:
        yield context
    finally:
        context.close()


@pytest.mark.parametrize("example", COUNTERS)
def test_an_unreachable_cdn_shows_the_notice(example, example_server, offline):
    base_url = example_server(example)
    page = offline.new_page()
    page.goto(base_url + "/")

    notice = page.locator(NOTICE)
    expect(notice).to_be_visible()
    expect(notice).to_have_attribute("role", "alert")
    expect(notice).to_have_text(
        f"The Datastar client could not be loaded from {DATASTAR_CDN_URL}; "
        "this page will not update. See the docs: self-hosting Datastar."
    )
    # At the top of the page, above the content, once.
    assert page.evaluate("document.body.firstElementChild.id") == DATASTAR_NOTICE_ID
    assert page.locator("[role=alert]").count() == 1
    assert DATASTAR_CDN_URL in offline.refused
    assert page.evaluate("window.__datastarReady === true") is False
    assert page.evaluate("window.__pwned") == []


@pytest.mark.parametrize("example", COUNTERS)
def test_the_self_hosted_client_works_without_the_cdn(
    example, tmp_path, offline, datastar_js: Path
):
    from nitro_examples import serve_example

    env = {"NITRO_DATASTAR_JS": str(datastar_js)}
    with serve_example(example, tmp_path, extra_env=env) as base_url:
        page = offline.new_page()
        served = []
        page.on(
            "response",
            lambda response: (
                served.append(response) if "/_nitro/datastar.js" in response.url else None
            ),
        )
        with page.expect_response(lambda response: "/_live/counter/main" in response.url):
            page.goto(base_url + "/")
        page.wait_for_function("window.__datastarReady === true")

        count = page.locator("#count")
        expect(count).to_have_text("0")
        page.click("#increment")
        expect(count).to_have_text("1")
        page.click("#increment")
        expect(count).to_have_text("2")

        assert page.locator(NOTICE).count() == 0
        assert page.locator("[role=alert]").count() == 0
        assert [r.status for r in served] == [200]
        assert served[0].headers["content-type"].startswith("text/javascript")
        assert offline.refused == []  # nothing was asked of the CDN
        assert page.evaluate("window.__pwned") == []


@pytest.mark.parametrize("example", COUNTERS)
def test_no_notice_when_the_client_loads(example, example_server, datastar_context):
    base_url = example_server(example)
    page = datastar_context.new_page()
    page.goto(base_url + "/")
    page.wait_for_function("window.__datastarReady === true")
    page.click("#increment")
    expect(page.locator("#count")).to_have_text("1")
    assert page.locator(NOTICE).count() == 0
    assert page.locator("[role=alert]").count() == 0


HOSTILE_SRCS = [
    "https://cdn.invalid/datastar.js\"');alert('src');//",
    "https://cdn.invalid/x.js\"></script><script>alert('tag')</script>",
    "https://cdn.invalid/$x/@get('/y')/`${alert('tpl')}`/é\u2028.js",
]


@pytest.mark.parametrize("src", HOSTILE_SRCS)
def test_the_notice_shows_a_hostile_src_as_text(src, chromium):
    """The src is server configuration, but the notice still treats it as data: the
    page shows it verbatim and runs nothing from it."""
    page_url = "http://127.0.0.1:9/hostile"
    html = str(Page(Div(Span("0", id="n"), Button("+", id="b")), datastar_src=src))
    context = offline_context(chromium, TRAP_SCRIPT)
    try:
        context.route(page_url, lambda route: route.fulfill(body=html, content_type="text/html"))
        page = context.new_page()
        page.goto(page_url)
        notice = page.locator(NOTICE)
        expect(notice).to_be_visible()
        assert notice.text_content() == (
            f"The Datastar client could not be loaded from {src}; "
            "this page will not update. See the docs: self-hosting Datastar."
        )
        assert page.evaluate("window.__pwned") == []
        assert page.locator("script").count() == 1  # no tag was smuggled in
    finally:
        context.close()
