"""The blog example (examples/blog) run as real processes for the browser tests: its
servers and its comment script on one SQLite database and, optionally, one Redis.
Also the admin page flow the tests use to add a comment."""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from nitro_test_services import free_port, stop_process, wait_for_port
from playwright.sync_api import expect

BLOG = Path(__file__).resolve().parents[2] / "examples" / "blog"
#: The admin password the blog is started with (NITRO_ADMIN_PASSWORD).
PASSWORD = "correct horse battery"


class Blog:
    """One test's blog processes; *transport* is the page's (``"sse"`` or ``"ws"``)."""

    def __init__(
        self, framework: str, workdir: Path, redis_url: str | None = None, transport: str = "sse"
    ) -> None:
        self.framework = framework
        self.workdir = workdir
        self.transport = transport
        self.env = {
            **os.environ,
            "NITRO_DATABASE_URL": f"sqlite:///{workdir / 'blog.db'}",
            "NITRO_ADMIN_PASSWORD": PASSWORD,
        }
        for name in ("RUSTY_TAGS_DATASTAR_SRC", "NITRO_REDIS_URL"):
            self.env.pop(name, None)
        if redis_url is not None:  # instances and scripts share it
            self.env["NITRO_REDIS_URL"] = redis_url

    @contextlib.contextmanager
    def server(self, port: int | None = None) -> Iterator[str]:
        """``examples/blog/app.py`` on *port* (a free one by default); its base URL."""
        port = port or free_port()
        log = self.workdir / f"server-{port}.log"
        command = [sys.executable, str(BLOG / "app.py"), "--framework", self.framework]
        command += ["--port", str(port), "--transport", self.transport]
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


def post_comment(page: Any, author: str, text: str) -> None:
    page.get_by_placeholder("Your name").fill(author)
    page.get_by_placeholder("Your comment").fill(text)
    page.get_by_role("button", name="comment").click()


def texts(*items: str) -> list[re.Pattern[str]]:
    return [re.compile(re.escape(item)) for item in items]


def add_in_admin(page: Any, base: str, author: str, text: str) -> None:
    """Log in to the blog's admin in *page*, add a comment to the welcome post, close."""
    page.goto(f"{base}/admin/")
    page.fill("#username", "admin")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    expect(page).not_to_have_url(re.compile(r"/login"))
    page.goto(f"{base}/admin/comment/new")
    page.fill("#field-post_id", "welcome")
    page.fill("#field-author", author)
    page.fill("#field-text", text)
    # The form's datetime input holds whole seconds: a comment made in the same second
    # (a script's) could sort either way. A date ahead sorts this one last, always.
    page.fill("#field-created", "2099-01-01T00:00:00")
    page.click("#save")
    expect(page).not_to_have_url(re.compile(r"/new$"))
    page.close()
