"""The blog example's live comment thread in headless Chromium, on all three adapters.

Every change reaches every tab, whatever made it: a comment posted in another tab, a
plain ``save()``/``delete()`` in another process (examples/blog/comment.py), the
admin, and a second instance of the app behind Redis. A tab whose server was down
while comments changed is correct again once its stream reconnects.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from nitro_blog import Blog, add_in_admin, post_comment, texts
from nitro_datastar import open_page
from nitro_test_services import free_port
from playwright.sync_api import expect

pytestmark = pytest.mark.browser
# Servers, scripts, Redis and Chromium share two CPUs here: give each step more time.
expect.set_options(timeout=15_000)

HOSTILE = '<img src=x onerror="window.__pwned=1">\'"); window.__pwned=1; //'


@pytest.fixture(params=["fastapi", "flask", "fasthtml"])
def blog(request, tmp_path: Path, redis_url: str) -> Blog:
    return Blog(request.param, tmp_path, redis_url)


def comments(page):
    return page.locator("ul[id^=live-thread] > li")


def test_every_change_reaches_both_tabs(blog: Blog, datastar_context) -> None:
    with blog.server() as base:
        first, second = open_page(datastar_context, base), open_page(datastar_context, base)
        expect(comments(first)).to_have_count(0)

        post_comment(first, "ann", "first!")  # an action in one tab
        for tab in (first, second):
            expect(comments(tab)).to_have_text(texts("ann: first!"))
        expect(first.get_by_placeholder("Your comment")).to_have_value("")

        blog.script(HOSTILE, "--author", "mallory")  # a plain save() in another process
        for tab in (first, second):
            expect(comments(tab)).to_have_text(texts("ann: first!", f"mallory: {HOSTILE}"))

        add_in_admin(datastar_context.new_page(), base, "bob", "from the admin")
        for tab in (first, second):
            expect(comments(tab)).to_have_text(
                texts("ann: first!", f"mallory: {HOSTILE}", "bob: from the admin")
            )

        comments(second).nth(0).get_by_role("button", name="delete").click()  # a deletion
        for tab in (first, second):
            expect(comments(tab)).to_have_text(texts(f"mallory: {HOSTILE}", "bob: from the admin"))
        blog.script(HOSTILE, "--delete")  # a delete() in another process
        for tab in (first, second):
            expect(comments(tab)).to_have_text(texts("bob: from the admin"))

        # The hostile comment was shown as text, and nothing ran.
        for tab in (first, second):
            assert tab.evaluate("window.__pwned") is None
            assert tab.locator("img").count() == 0


def test_a_second_instance_behind_redis(blog: Blog, datastar_context) -> None:
    with blog.server() as one, blog.server() as two:
        on_one, on_two = open_page(datastar_context, one), open_page(datastar_context, two)
        post_comment(on_one, "ann", "posted on instance one")
        expect(comments(on_two)).to_have_text(texts("ann: posted on instance one"))
        comments(on_two).first.get_by_role("button", name="delete").click()
        expect(comments(on_one)).to_have_count(0)
        expect(comments(on_two)).to_have_count(0)


def test_a_tab_that_was_offline_is_correct_after_it_reconnects(
    blog: Blog, datastar_context
) -> None:
    port = free_port()
    with blog.server(port) as base:
        tab = open_page(datastar_context, base)
        post_comment(tab, "ann", "kept")
        expect(comments(tab)).to_have_count(1)
        expect(tab.get_by_placeholder("Your comment")).to_have_value("")  # the answer
        post_comment(tab, "ann", "deleted while away")
        expect(comments(tab)).to_have_count(2)
    # The server is down: the tab's stream is broken, and changes happen meanwhile.
    blog.script("deleted while away", "--delete")
    blog.script("added while away", "--author", "bob")
    with blog.server(port):
        # Datastar retries the stream; the stream starts with the whole thread.
        expect(comments(tab)).to_have_text(
            texts("ann: kept", "bob: added while away"), timeout=20_000
        )
        post_comment(tab, "ann", "and live again")
        expect(comments(tab)).to_have_count(3)
