"""Adding a comment through the blog example's admin, in a browser page (shared by the
SSE and WebSocket browser tests of examples/blog)."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect

#: The admin password the blog example is started with (NITRO_ADMIN_PASSWORD).
PASSWORD = "correct horse battery"


def add_in_admin(page: Any, base: str, author: str, text: str) -> None:
    page.goto(f"{base}/admin/")
    page.fill("#username", "admin")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    expect(page).not_to_have_url(re.compile(r"/login"))
    page.goto(f"{base}/admin/comment/new")
    page.fill("#field-post_id", "welcome")
    page.fill("#field-author", author)
    page.fill("#field-text", text)
    page.click("#save")
    expect(page).not_to_have_url(re.compile(r"/new$"))
    page.close()
