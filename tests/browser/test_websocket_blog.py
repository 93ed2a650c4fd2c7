"""The blog example on one WebSocket per page (``--transport ws``), in headless Chromium
with the real Datastar client, on all three adapters.

The thread's changes arrive over the socket and the form and the row buttons send
their actions over it: no SSE stream is opened and no action request is made. A tab
whose server restarted on the same port reconnects and is correct again.
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
from nitro_test_services import free_port, stop_process, wait_for_port
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

BLOG = Path(__file__).resolve().parents[2] / "examples" / "blog"


class WsBlog:
    """The blog example served with ``--transport ws`` on one SQLite database."""

    def __init__(self, framework: str, workdir: Path, redis_url: str | None = None) -> None:
        self.framework = framework
        self.workdir = workdir
        self.env = {**os.environ, "NITRO_DATABASE_URL": f"sqlite:///{workdir / 'blog.db'}"}
        for name in ("RUSTY_TAGS_DATASTAR_SRC", "NITRO_REDIS_URL"):
            self.env.pop(name, None)
        if redis_url is not None:  # instances and scripts share it
            self.env["NITRO_REDIS_URL"] = redis_url
        self.env["NITRO_ADMIN_PASSWORD"] = PASSWORD

    @contextlib.contextmanager
    def server(self, port: int | None = None) -> Iterator[str]:
        port = port or free_port()
        log = self.workdir / f"server-{port}.log"
        command = [sys.executable, str(BLOG / "app.py"), "--framework", self.framework]
        command += ["--port", str(port), "--transport", "ws"]
        with log.open("ab") as output:
            process = subprocess.Popen(
                command, cwd=BLOG, env=self.env, stdout=output, stderr=subprocess.STDOUT
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
def blog(request, tmp_path: Path) -> WsBlog:
    return WsBlog(request.param, tmp_path)


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


def post_comment(page, author: str, text: str) -> None:
    page.get_by_placeholder("Your name").fill(author)
    page.get_by_placeholder("Your comment").fill(text)
    page.get_by_role("button", name="comment").click()


def texts(*items: str) -> list[re.Pattern[str]]:
    return [re.compile(re.escape(item)) for item in items]


def test_two_tabs_over_websockets(blog: WsBlog, datastar_context) -> None:
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


def test_a_tab_reconnects_after_a_server_restart(blog: WsBlog, datastar_context) -> None:
    port = free_port()
    requests: list[str] = []
    with blog.server(port) as base:
        tab = open_tab(datastar_context, base, requests)
        post_comment(tab, "ann", "kept")
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
def blog_behind_redis(request, tmp_path: Path, redis_url: str) -> WsBlog:
    return WsBlog(request.param, tmp_path, redis_url)


def test_every_source_reaches_sockets_on_two_instances(
    blog_behind_redis: WsBlog, datastar_context
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
