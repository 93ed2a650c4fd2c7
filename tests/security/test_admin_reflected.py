"""The admin's reflected and stored paths into ``data-signals``, in Chromium.

The review's link took over a logged-in superuser: the list page echoes ``?q=`` into the
search box's ``data-signals`` and a relation filter's value into its picker's, and
Datastar compiled both as JavaScript. Here a logged-in superuser opens such a link, and
a stored title with the same payload is shown in a picker: the values must arrive in
the signal store unchanged, and nothing may run.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import pytest
from nitro_datastar import TRAP_SCRIPT, new_datastar_context
from nitro_servers import serve_asgi

from nitro import Entity
from nitro.admin import Admin, AdminUser, PasswordAuth, hash_password

pytestmark = pytest.mark.browser

PASSWORD = "reflected-pw"
TRAP = "window.__pwned.push(1)"
PAYLOADS = [
    f"@__escaped0(\U0001f595JS_+{TRAP}+_DS\U0001f680",
    f"'\"`${{{TRAP}}}`</script><script>{TRAP}</script>@post('/x')",
]


class ReflectedShelf(Entity):
    name: str


class ReflectedBook(Entity):
    title: str
    shelf_id: str | None = None


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    from fastapi import FastAPI

    from nitro.adapters.fastapi import mount

    admin = Admin(
        auth=PasswordAuth([AdminUser("ann", hash_password(PASSWORD), is_superuser=True)]),
        secret_key="s" * 40,
    )
    admin.register(ReflectedShelf, search_fields=["name"])
    admin.register(
        ReflectedBook,
        list_filter=["shelf_id"],
        search_fields=["title"],
        relations={"shelf_id": ReflectedShelf},
    )
    app = FastAPI()
    mount(app, admin)
    with serve_asgi(app) as url:
        yield url
    ReflectedShelf.repository().clear()
    ReflectedBook.repository().clear()


@pytest.fixture(scope="module")
def trapped(chromium: Any, datastar_js: Any) -> Iterator[Any]:
    context = new_datastar_context(chromium, datastar_js, TRAP_SCRIPT)
    try:
        yield context
    finally:
        context.close()


def logged_in_page(context: Any, base_url: str) -> Any:
    context.clear_cookies()  # a fresh login each time (the context is shared)
    page = context.new_page()
    page.goto(base_url + "/admin/login")
    page.fill("#username", "ann")
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.click("button[type=submit]")
    return page


def signal(page: Any, path: str) -> Any:
    """Read a signal through a Datastar expression on a probe element."""
    page.evaluate(
        "path => { const el = document.createElement('output'); el.id = 'probe';"
        " el.setAttribute('data-text', 'JSON.stringify($' + path + ')');"
        " document.body.append(el) }",
        path,
    )
    page.wait_for_function("document.getElementById('probe').textContent !== ''")
    value = page.evaluate("JSON.parse(document.getElementById('probe').textContent)")
    page.evaluate("document.getElementById('probe').remove()")
    return value


@pytest.mark.parametrize("payload", PAYLOADS)
def test_a_link_with_a_payload_does_not_run_in_a_superusers_page(
    base_url: str, trapped: Any, payload: str
) -> None:
    page = logged_in_page(trapped, base_url)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        query = urlencode({"q": payload, "shelf_id": payload})
        page.goto(f"{base_url}/admin/reflectedbook?{query}")
        page.wait_for_function("window.__datastarReady === true")
        assert signal(page, "q") == payload  # the search box, reflected from ?q=
        assert signal(page, "pk_shelf_id.id") == payload  # the relation filter's echo
        assert page.evaluate("window.__pwned") == []
        assert errors == []
    finally:
        page.close()


@pytest.mark.parametrize("payload", PAYLOADS)
def test_a_stored_title_does_not_run_in_a_picker(base_url: str, trapped: Any, payload: str) -> None:
    shelf = ReflectedShelf(name=payload)
    shelf.save()
    book = ReflectedBook(title="b", shelf_id=shelf.id)
    book.save()
    page = logged_in_page(trapped, base_url)
    try:
        page.goto(f"{base_url}/admin/reflectedbook/{book.id}/edit")
        page.wait_for_function("window.__datastarReady === true")
        assert signal(page, "pk_shelf_id.label") == payload
        assert page.evaluate("window.__pwned") == []
    finally:
        page.close()
