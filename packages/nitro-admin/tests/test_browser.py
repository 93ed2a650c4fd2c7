"""The admin in headless Chromium with the real Datastar client.

On FastAPI and Flask: log in, live search, filter, sort, paginate, create with a
validation error then fix it, edit, delete. On FastHTML: log in and the list page.

With ``NITRO_ADMIN_SCREENSHOTS=1`` the FastAPI run also writes the screenshots used by
``docs/admin.md`` into ``docs/images/`` (otherwise into the test's tmp directory).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from nitro_admin_suite import PASSWORD, Product, build_admin, seed
from nitro_servers import serve_asgi, serve_wsgi

pytestmark = pytest.mark.browser

DOCS_IMAGES = Path(__file__).resolve().parents[3] / "docs" / "images"


def fastapi_app() -> Any:
    from fastapi import FastAPI

    from nitro.adapters.fastapi import mount

    app = FastAPI()
    mount(app, build_admin())
    return app


def flask_app() -> Any:
    from flask import Flask

    from nitro.adapters.flask import mount

    app = Flask(__name__)
    mount(app, build_admin())
    return app


def fasthtml_app() -> Any:
    from fasthtml.common import fast_app

    from nitro.adapters.fasthtml import mount

    app, _ = fast_app()
    mount(app, build_admin())
    return app


SERVERS = {
    "fastapi": (fastapi_app, serve_asgi),
    "flask": (flask_app, serve_wsgi),
    "fasthtml": (fasthtml_app, serve_asgi),
}


@pytest.fixture
def products() -> Iterator[list[Product]]:
    yield seed()
    Product.repository().clear()


def serve(framework: str) -> Any:
    build, server = SERVERS[framework]
    return server(build())


def log_in(page: Any, base_url: str, path: str = "/admin/product") -> None:
    page.goto(base_url + path)
    assert "/admin/login" in page.url
    page.fill("#username", "ann")
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.click("button[type=submit]")
    assert page.url == base_url + path


def row_names(page: Any) -> list[str]:
    return page.locator("#results tbody tr td:nth-child(2) a").all_inner_texts()


def expect_rows(page: Any, expected: list[str]) -> None:
    from playwright.sync_api import expect

    expect(page.locator("#results tbody tr td:nth-child(2) a")).to_have_text(expected)


def shot(page: Any, name: str, tmp_path: Path, framework: str) -> None:
    target = DOCS_IMAGES if os.environ.get("NITRO_ADMIN_SCREENSHOTS") == "1" else tmp_path
    if framework == "fastapi":
        target.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(target / f"admin-{name}.png"), full_page=True)


@pytest.mark.parametrize("framework", ["fastapi", "flask"])
def test_log_in_search_filter_sort_paginate_create_edit_delete(
    framework: str, products: list[Product], datastar_context: Any, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    with serve(framework) as base_url:
        page = datastar_context.new_page()
        page.set_viewport_size({"width": 1280, "height": 800})
        log_in(page, base_url)
        expect_rows(
            page, ["Gadget <b>bold</b>", "Widget 00", "Widget 01", "Widget 02", "Widget 03"]
        )
        expect(page.locator("#page-summary")).to_have_text("Rows 1 to 5")
        shot(page, "list", tmp_path, framework)

        # Live search: Datastar patches #results, the page does not navigate.
        page.evaluate("window.__sameDocument = true")
        page.fill("#search", "widget 1")
        expect_rows(page, ["Widget 01", "Widget 10", "Widget 11"])
        assert page.evaluate("window.__sameDocument") is True
        page.fill("#search", "")
        expect_rows(
            page, ["Gadget <b>bold</b>", "Widget 00", "Widget 01", "Widget 02", "Widget 03"]
        )

        # Filter: not in stock, then sort by price (descending on the second click).
        page.select_option("#filter-in_stock", "false")
        with page.expect_navigation():
            page.click("#apply-filters")
        expect_rows(page, ["Widget 01", "Widget 03", "Widget 05", "Widget 07", "Widget 09"])
        with page.expect_navigation():
            page.click("th >> text=Price")
        with page.expect_navigation():
            page.click("th >> text=Price")
        assert "o=-price" in page.url
        expect_rows(page, ["Widget 11", "Widget 09", "Widget 07", "Widget 05", "Widget 03"])

        # Paginate.
        with page.expect_navigation():
            page.click("#next-page")
        expect_rows(page, ["Widget 01"])
        expect(page.locator("#page-summary")).to_have_text("Rows 6 to 6")

        # Create with a validation error, then fix it.
        page.goto(base_url + "/admin/product")
        with page.expect_navigation():
            page.click("#add-link")
        page.fill("#field-name", "Browser made")
        page.fill("#field-price", "-3")
        page.select_option("#field-category", "food")
        with page.expect_navigation():
            page.click("#save")
        expect(page.locator("#field-price-errors")).to_contain_text("greater than 0")
        expect(page.locator("#form-errors")).to_contain_text("nothing was saved")
        expect(page.locator("#field-name")).to_have_value("Browser made")
        assert Product.filter(name="Browser made") == []
        shot(page, "form-error", tmp_path, framework)
        page.fill("#field-price", "42")
        with page.expect_navigation():
            page.click("#save")
        expect(page.locator(".flash.success")).to_contain_text("was added")
        (created,) = Product.filter(name="Browser made")
        assert created.price == 42

        # Edit.
        page.goto(f"{base_url}/admin/product/{created.id}/edit")
        shot(page, "form", tmp_path, framework)
        page.fill("#field-name", "Browser edited")
        page.uncheck("#field-in_stock")
        with page.expect_navigation():
            page.click("#save")
        edited = Product.get(created.id)
        assert edited is not None
        assert (edited.name, edited.in_stock) == ("Browser edited", False)

        # Delete, with confirmation.
        page.goto(f"{base_url}/admin/product/{created.id}/edit")
        with page.expect_navigation():
            page.click("#delete-link")
        assert Product.get(created.id) is not None
        with page.expect_navigation():
            page.click("#confirm-delete")
        expect(page.locator(".flash.success")).to_contain_text("was deleted")
        assert Product.get(created.id) is None
        page.close()


def test_list_page_on_fasthtml(products: list[Product], datastar_context: Any) -> None:

    with serve("fasthtml") as base_url:
        page = datastar_context.new_page()
        log_in(page, base_url)
        expect_rows(
            page, ["Gadget <b>bold</b>", "Widget 00", "Widget 01", "Widget 02", "Widget 03"]
        )
        page.fill("#search", "gadget")
        expect_rows(page, ["Gadget <b>bold</b>"])
        assert re.search(r"/admin/product$", page.url)
        page.close()


def test_bulk_actions_with_confirmation(products: list[Product], datastar_context: Any) -> None:
    from playwright.sync_api import expect

    with serve("fastapi") as base_url:
        page = datastar_context.new_page()
        log_in(page, base_url, "/admin/product?in_stock=false&o=price")
        # The header box ticks every row of the page (a Datastar data-on:change).
        page.check("th.check input[type=checkbox]")
        expect(page.locator("input[name=ids]:checked")).to_have_count(5)
        page.select_option("#bulk-action", "mark_live")
        with page.expect_navigation():
            page.click("#bulk-apply")
        expect(page.locator(".confirm")).to_contain_text("5 products")
        assert Product.filter(status="live") == []
        with page.expect_navigation():
            page.click("#confirm-action")
        expect(page.locator(".flash.success")).to_have_text("5 marked live.")
        assert page.url.endswith("/admin/product?o=price&in_stock=false")  # back to the list
        assert len(Product.filter(status="live")) == 5

        # Every row matching the filter (6 rows, more than the page of 5).
        page.check("#select-across")
        page.select_option("#bulk-action", "delete_selected")
        with page.expect_navigation():
            page.click("#bulk-apply")
        expect(page.locator(".confirm")).to_contain_text("6 products")
        with page.expect_navigation():
            page.click("#confirm-action")
        expect(page.locator(".flash.success")).to_have_text("Deleted 6 items.")
        assert Product.filter(in_stock=False) == []
        assert len(Product.all()) == len(products) - 6
        page.close()
