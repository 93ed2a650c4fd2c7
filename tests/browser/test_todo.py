"""The todo example (FastAPI + SQLite) in headless Chromium with the real Datastar client."""

from __future__ import annotations

import re

import pytest
from nitro_datastar import open_page
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def add(page, title):
    page.locator("form input").fill(title)
    page.locator("form button").click()


def test_add_toggle_and_delete_persist_across_a_reload(example_server, datastar_context):
    page = open_page(datastar_context, example_server("todo") + "/")
    navigations = []
    page.on("framenavigated", lambda frame: navigations.append(frame.url))
    items = page.locator("#todos li")
    expect(items).to_have_count(0)

    add(page, "buy milk")
    expect(items).to_have_count(1)
    expect(page.locator("form input")).to_have_value("")  # the action cleared the signal
    add(page, "walk the dog")
    expect(items).to_have_text([re.compile("^buy milk"), re.compile("^walk the dog")])
    milk, dog = items.nth(0), items.nth(1)
    milk.locator("input[type=checkbox]").click()
    expect(milk.locator("input[type=checkbox]")).to_be_checked()
    dog.get_by_role("button", name="delete").click()
    expect(items).to_have_count(1)
    assert navigations == []  # every change came over Datastar, without a page load

    page.reload()
    page.wait_for_function("window.__datastarReady === true")
    expect(items).to_have_count(1)
    expect(items.first).to_contain_text("buy milk")
    expect(items.first.locator("input[type=checkbox]")).to_be_checked()


def test_an_empty_title_shows_an_error(example_server, datastar_context):
    page = open_page(datastar_context, example_server("todo") + "/")
    error = page.locator("p")
    add(page, "   ")
    expect(error).to_have_text("Give the todo a title")
    expect(page.locator("#todos li")).to_have_count(0)

    add(page, "water the plants")
    expect(error).to_have_text("")
    expect(page.locator("#todos li")).to_have_count(1)
    page.reload()
    expect(page.locator("#todos li")).to_have_count(1)
