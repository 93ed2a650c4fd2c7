"""The blog example's live comment thread in headless Chromium, on all three adapters.

Every change reaches every tab, whatever made it: a comment posted in another tab, a
plain ``save()``/``delete()`` in another process (examples/blog/comment.py), the
admin, and a second instance of the app behind Redis. A tab whose server was down
while comments changed is correct again once its stream reconnects.
"""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from nitro_blog_admin import PASSWORD, add_in_admin
from nitro_datastar import open_page
from nitro_test_services import free_port, stop_process, wait_for_port
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

BLOG = Path(__file__).resolve().parents[2] / "examples" / "blog"
HOSTILE = '<img src=x onerror="window.__pwned=1">\'"); window.__pwned=1; //'


class Blog:
    """The blog example's processes for one test: servers and scripts on one database
    and one Redis."""

    def __init__(self, framework: str, workdir: Path, redis_url: str) -> None:
        self.framework = framework
        self.workdir = workdir
        self.env = {
            **os.environ,
            "NITRO_DATABASE_URL": f"sqlite:///{workdir / 'blog.db'}",
            "NITRO_REDIS_URL": redis_url,
            "NITRO_ADMIN_PASSWORD": PASSWORD,
        }
        self.env.pop("RUSTY_TAGS_DATASTAR_SRC", None)

    @contextlib.contextmanager
    def server(self, port: int | None = None) -> Iterator[str]:
        port = port or free_port()
        log = self.workdir / f"server-{port}.log"
        with log.open("ab") as output:
            process = subprocess.Popen(
                [
                    sys.executable,
                    str(BLOG / "app.py"),
                    "--framework",
                    self.framework,
                    "--port",
                    str(port),
                ],
                cwd=BLOG,
                env=self.env,
                stdout=output,
                stderr=subprocess.STDOUT,
            )
            try:
                try:
                    wait_for_port(port, process, timeout=30)
                except (RuntimeError, TimeoutError) as exc:
                    raise AssertionError(
                        f"the blog did not start: {exc}\n{log.read_text()}"
                    ) from exc
                yield f"http://127.0.0.1:{port}"
            finally:
                stop_process(process)

    def script(self, *args: str) -> None:
        """examples/blog/comment.py: a plain save() (or delete()) in its own process."""
        subprocess.run(
            [sys.executable, str(BLOG / "comment.py"), *args],
            cwd=BLOG,
            env=self.env,
            check=True,
            timeout=60,
            capture_output=True,
        )


@pytest.fixture(params=["fastapi", "flask", "fasthtml"])
def blog(request, tmp_path: Path, redis_url: str) -> Blog:
    return Blog(request.param, tmp_path, redis_url)


def comments(page):
    return page.locator("ul[id^=live-thread] > li")


def post_comment(page, author: str, text: str) -> None:
    page.get_by_placeholder("Your name").fill(author)
    page.get_by_placeholder("Your comment").fill(text)
    page.get_by_role("button", name="comment").click()


def texts(*items: str) -> list[re.Pattern[str]]:
    return [re.compile(re.escape(item)) for item in items]


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
