"""examples/orders in headless Chromium with the real Datastar client: the stock on the
page follows orders placed elsewhere, and the page's own form places orders."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def open_orders(context, base_url):
    """Open the page and wait until Datastar runs and its live stream is open."""
    page = context.new_page()
    with page.expect_response(lambda response: "/stock/live?" in response.url):
        page.goto(base_url + "/")
    page.wait_for_function("window.__datastarReady === true")
    return page


def test_the_stock_follows_an_order_placed_by_another_client(example_server, datastar_context):
    base_url = example_server("orders")
    page = open_orders(datastar_context, base_url)
    expect(page.locator("#stock-tea")).to_have_text("10")
    expect(page.locator("#orders")).to_have_text("0")

    order = {"email": "bob@example.com", "quantities": {"tea": 3, "mug": 1}}
    placed = httpx.post(f"{base_url}/checkout/place", json=order, timeout=10)
    assert placed.status_code == 200

    expect(page.locator("#stock-tea")).to_have_text("7")
    expect(page.locator("#stock-mug")).to_have_text("9")
    expect(page.locator("#stock-kettle")).to_have_text("3")
    expect(page.locator("#orders")).to_have_text("1")
    expect(page.locator("#items")).to_have_text("4")


def test_an_order_from_the_page_updates_every_open_page(example_server, datastar_context):
    base_url = example_server("orders")
    shopper = open_orders(datastar_context, base_url)
    watcher = open_orders(datastar_context, base_url)

    shopper.fill("#email", "ann@example.com")
    shopper.fill("#quantity-kettle", "2")
    shopper.fill("#quantity-tea", "1")
    shopper.click("#place")
    expect(shopper.locator("#notice")).to_contain_text("placed; a confirmation is on its way")
    expect(shopper.locator("#quantity-kettle")).to_have_value("0")  # the form is reset
    expect(watcher.locator("#stock-kettle")).to_have_text("1")
    expect(watcher.locator("#stock-tea")).to_have_text("9")
    expect(shopper.locator("#stock-kettle")).to_have_text("1")

    shopper.fill("#quantity-kettle", "2")
    shopper.click("#place")
    expect(shopper.locator("#quantities-error")).to_have_text(
        "Kettle: only 1 left, 2 wanted. Nothing was ordered."
    )
    expect(watcher.locator("#stock-kettle")).to_have_text("1")
    expect(watcher.locator("#orders")).to_have_text("1")
