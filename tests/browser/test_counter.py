"""The three counter examples in headless Chromium with the real Datastar client."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

COUNTERS = ["counter", "counter_flask", "counter_fasthtml"]


def open_counter(context, base_url):
    """Open the counter page and wait until Datastar has opened its live stream."""
    page = context.new_page()
    with page.expect_response(lambda response: "/_live/counter/main" in response.url):
        page.goto(base_url + "/")
    page.wait_for_function("window.__datastarReady === true")
    return page


@pytest.mark.parametrize("example", COUNTERS)
def test_buttons_update_the_page_without_a_reload(example, example_server, datastar_context):
    base_url = example_server(example)
    page = open_counter(datastar_context, base_url)
    navigations = []
    page.on("framenavigated", lambda frame: navigations.append(frame.url))
    page.evaluate("window.__sameDocument = true")
    count = page.locator("#count")
    expect(count).to_have_text("0")

    page.click("#increment")
    expect(count).to_have_text("1")
    page.click("#increment")
    expect(count).to_have_text("2")
    page.click("#decrement")
    expect(count).to_have_text("1")
    page.click("#reset")
    expect(count).to_have_text("0")
    page.click("#decrement")
    expect(count).to_have_text("-1")

    assert navigations == []
    assert page.evaluate("window.__sameDocument") is True
    page.reload()
    expect(page.locator("#count")).to_have_text("-1")  # the server kept it


@pytest.mark.parametrize("example", COUNTERS)
def test_a_second_page_follows_through_the_live_stream(example, example_server, datastar_context):
    base_url = example_server(example)
    first = open_counter(datastar_context, base_url)
    second = open_counter(datastar_context, base_url)
    expect(second.locator("#count")).to_have_text("0")

    first.click("#increment")
    expect(first.locator("#count")).to_have_text("1")
    expect(second.locator("#count")).to_have_text("1")
    second.click("#reset")
    expect(first.locator("#count")).to_have_text("0")
    second.click("#decrement")
    expect(first.locator("#count")).to_have_text("-1")
    expect(second.locator("#count")).to_have_text("-1")
