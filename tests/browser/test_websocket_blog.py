"""The blog example on one WebSocket per page (``--transport ws``), in headless Chromium
with the real Datastar client, on all three adapters.

The thread's changes arrive over the socket and the form and the row buttons send
their actions over it: no SSE stream is opened and no action request is made. A tab
whose server restarted on the same port reconnects and is correct again.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from nitro_blog import Blog, add_in_admin, post_comment, texts
from nitro_test_services import free_port
from playwright.sync_api import expect

pytestmark = pytest.mark.browser
# Servers, scripts, Redis and Chromium share two CPUs here: give each step more time.
expect.set_options(timeout=15_000)


@pytest.fixture(params=["fastapi", "flask", "fasthtml"])
def blog(request, tmp_path: Path) -> Blog:
    return Blog(request.param, tmp_path, transport="ws")


def open_tab(context, base: str, http_requests: list[str]):
    """A tab of the post whose socket is open; every request it makes to the app
    other than the page and the glue is recorded in *http_requests*."""
    page = context.new_page()

    def record(request) -> None:
        if request.url.startswith(base) and not request.url.endswith(("/", "/_ws.js")):
            http_requests.append(f"{request.method} {request.url}")

    page.on("request", record)
    page.goto(base)
    page.wait_for_function("window.__datastarReady === true")
    page.wait_for_function("window.nitroWs && window.nitroWs.isOpen()")
    return page


def comments(page):
    return page.locator("ul[id^=live-thread-ws] > li")


def test_two_tabs_over_websockets(blog: Blog, datastar_context) -> None:
    requests: list[str] = []
    with blog.server() as base:
        first = open_tab(datastar_context, base, requests)
        second = open_tab(datastar_context, base, requests)
        expect(comments(first)).to_have_count(0)

        post_comment(first, "ann", "first!")  # an action over the first tab's socket
        for tab in (first, second):
            expect(comments(tab)).to_have_text(texts("ann: first!"))
        expect(first.get_by_placeholder("Your comment")).to_have_value("")  # its answer

        post_comment(second, "bob", "second")
        for tab in (first, second):
            expect(comments(tab)).to_have_text(texts("ann: first!", "bob: second"))

        comments(second).nth(0).get_by_role("button", name="delete").click()  # a deletion
        for tab in (first, second):
            expect(comments(tab)).to_have_text(texts("bob: second"))

        post_comment(first, "", "")  # refused by the action: its message comes back
        expect(first.locator("p.error")).to_have_text("Give a name and a comment")
        assert requests == []  # no SSE stream, no action request: the socket did it all


def test_a_tab_reconnects_after_a_server_restart(blog: Blog, datastar_context) -> None:
    port = free_port()
    requests: list[str] = []
    with blog.server(port) as base:
        tab = open_tab(datastar_context, base, requests)
        post_comment(tab, "ann", "kept")
        # The answer clears the form: typing the next comment before it arrives
        # would have it cleared under the click, and the action would refuse it.
        expect(comments(tab)).to_have_count(1)
        expect(tab.get_by_placeholder("Your comment")).to_have_value("")
        post_comment(tab, "ann", "deleted while away")
        expect(comments(tab)).to_have_count(2)
    # The server is down: the socket is closed, and the thread changes meanwhile.
    tab.wait_for_function("!window.nitroWs.isOpen()")
    blog.script("deleted while away", "--delete")
    blog.script("added while away", "--author", "bob")
    with blog.server(port):
        # The glue reconnects with backoff and subscribes again: the whole thread comes.
        expect(comments(tab)).to_have_text(
            texts("ann: kept", "bob: added while away"), timeout=30_000
        )
        post_comment(tab, "ann", "and live again")
        expect(comments(tab)).to_have_count(3)
    assert requests == []


@pytest.fixture(params=["fastapi", "flask", "fasthtml"])
def blog_behind_redis(request, tmp_path: Path, redis_url: str) -> Blog:
    return Blog(request.param, tmp_path, redis_url, transport="ws")


def test_every_source_reaches_sockets_on_two_instances(
    blog_behind_redis: Blog, datastar_context
) -> None:
    """An action over one instance's socket, a plain save() in another process, the
    admin, and a deletion over the other instance's socket reach both tabs."""
    blog, requests = blog_behind_redis, []
    with blog.server() as one, blog.server() as two:
        on_one = open_tab(datastar_context, one, requests)
        on_two = open_tab(datastar_context, two, requests)
        post_comment(on_one, "ann", "over the socket")
        blog.script("from a script", "--author", "sam")
        add_in_admin(datastar_context.new_page(), one, "bob", "from the admin")
        expected = texts("ann: over the socket", "sam: from a script", "bob: from the admin")
        for tab in (on_one, on_two):
            expect(comments(tab)).to_have_text(expected)
        comments(on_two).first.get_by_role("button", name="delete").click()
        for tab in (on_one, on_two):
            expect(comments(tab)).to_have_text(expected[1:])
    assert requests == []  # the tabs used their sockets only
