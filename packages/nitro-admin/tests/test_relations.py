"""relations.py: pickers that search, related titles in lists, relation filters."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest
from nitro_servers import serve_asgi

from nitro import Entity
from nitro.admin import Admin, AdminUser, PasswordAuth, hash_password

PASSWORD = "relations-pw"


class Shelf(Entity):
    name: str


class Book(Entity):
    title: str
    shelf_id: str | None = None


class Copy(Entity):
    """A required relation: every copy stands on a shelf."""

    barcode: str
    shelf_id: str


def build_admin() -> Admin:
    admin = Admin(
        auth=PasswordAuth([AdminUser("ann", hash_password(PASSWORD), is_superuser=True)]),
        secret_key="r" * 40,
    )
    admin.register(Shelf, search_fields=["name"], ordering=["name"])
    admin.register(
        Book,
        list_display=["title", "shelf_id"],
        list_filter=["shelf_id"],
        search_fields=["title"],
        relations={"shelf_id": Shelf},
        ordering=["title"],
    )
    admin.register(Copy, list_filter=["shelf_id"], relations={"shelf_id": Shelf})
    return admin


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    from fastapi import FastAPI

    from nitro.adapters.fastapi import mount

    app = FastAPI()
    mount(app, build_admin())
    with serve_asgi(app) as url:
        yield url


@pytest.fixture
def client(base_url: str) -> Iterator[httpx.Client]:
    Shelf.repository().clear()
    Book.repository().clear()
    Copy.repository().clear()
    with httpx.Client(base_url=base_url, timeout=10) as client:
        token = csrf(client.get("/admin/login").text)
        client.post(
            "/admin/login", data={"username": "ann", "password": PASSWORD, "csrf_token": token}
        )
        yield client
    Shelf.repository().clear()
    Book.repository().clear()


def csrf(page: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match
    return match.group(1)


def test_list_shows_related_titles_and_filters_by_relation(client: httpx.Client) -> None:
    poetry, novels = Shelf(name="Poetry <3>"), Shelf(name="Novels")
    poetry.save()
    novels.save()
    Book(title="Odes", shelf_id=poetry.id).save()
    Book(title="Emma", shelf_id=novels.id).save()
    Book(title="Loose", shelf_id=None).save()
    page = client.get("/admin/book").text
    assert f'<a href="/admin/shelf/{poetry.id}/edit">Poetry &lt;3&gt;</a>' in page
    assert f'<a href="/admin/shelf/{novels.id}/edit">Novels</a>' in page
    filtered = client.get(f"/admin/book?shelf_id={novels.id}").text
    assert ">Emma</a>" in filtered
    assert ">Odes</a>" not in filtered
    assert re.search(r'id="filter-shelf_id-label"[^>]*>Novels</span>', filtered)  # the choice


def test_picker_searches_and_returns_at_most_20_matches(client: httpx.Client) -> None:
    for index in range(1000):
        Shelf(name=f"Shelf {index:04}").save()
    response = client.get(
        "/admin/shelf/_lookup",
        params={"field": "shelf_id", "datastar": '{"pk_shelf_id": {"q": "shelf 01"}}'},
        headers={"Datastar-Request": "true"},
    )
    assert response.status_code == 200
    assert response.text.startswith("event: datastar-patch-elements")
    assert 'id="picker-shelf_id-results"' in response.text
    labels = re.findall(r'data-label="([^"]+)"', response.text)
    assert len(labels) == 20  # of the 280 shelves whose name has "shelf" and "01"
    assert labels == sorted(labels)
    assert all("01" in label for label in labels)
    empty = client.get(
        "/admin/shelf/_lookup",
        params={"field": "shelf_id", "datastar": '{"pk_shelf_id": {"q": "zzz"}}'},
        headers={"Datastar-Request": "true"},
    )
    assert "No match." in empty.text
    bad = client.get(
        "/admin/shelf/_lookup", params={"field": "x y"}, headers={"Datastar-Request": "true"}
    )
    assert bad.status_code == 400


def test_form_saves_a_chosen_relation_and_refuses_unknown_ids(client: httpx.Client) -> None:
    shelf = Shelf(name="Essays")
    shelf.save()
    form = client.get("/admin/book/new").text
    assert 'id="field-shelf_id-search"' in form
    token = csrf(form)
    bad = client.post(
        "/admin/book/new", data={"csrf_token": token, "title": "X", "shelf_id": "nope"}
    )
    assert bad.status_code == 422
    assert (
        "There is no shelf with id &#x27;nope&#x27;." in bad.text or "There is no shelf" in bad.text
    )
    assert Book.all() == []
    ok = client.post(
        "/admin/book/new", data={"csrf_token": token, "title": "Montaigne", "shelf_id": shelf.id}
    )
    assert ok.status_code == 303
    (book,) = Book.all()
    assert book.shelf_id == shelf.id
    edit = client.get(f"/admin/book/{book.id}/edit").text
    assert re.search(r'id="field-shelf_id-label"[^>]*>Essays</span>', edit)
    cleared = client.post(
        f"/admin/book/{book.id}/edit",
        data={"csrf_token": token, "title": "Montaigne", "shelf_id": ""},
    )
    assert cleared.status_code == 303
    assert Book.get(book.id).shelf_id is None  # type: ignore[union-attr]


def test_only_an_optional_relation_can_be_cleared(client: httpx.Client) -> None:
    shelf = Shelf(name="Essays")
    shelf.save()
    optional = client.get("/admin/book/new").text
    assert 'id="field-shelf_id-clear"' in optional
    required = client.get("/admin/copy/new").text
    assert 'id="field-shelf_id-search"' in required  # the picker is there
    assert 'id="field-shelf_id-clear"' not in required
    assert ">Clear</button>" not in required
    copy = Copy(barcode="c-1", shelf_id=shelf.id)
    copy.save()
    edit = client.get(f"/admin/copy/{copy.id}/edit").text
    assert ">Clear</button>" not in edit
    # Emptying it anyway (a hand-made request) is refused, and the copy keeps its shelf.
    refused = client.post(
        f"/admin/copy/{copy.id}/edit",
        data={"csrf_token": csrf(edit), "barcode": "c-1", "shelf_id": ""},
    )
    assert refused.status_code == 422
    assert Copy.get(copy.id).shelf_id == shelf.id  # type: ignore[union-attr]
    # A filter on the same relation can always be cleared (no filter).
    listing = client.get("/admin/copy").text
    assert 'id="filter-shelf_id-clear"' in listing


@pytest.mark.parametrize(
    ("relations", "shelf_search", "expected"),
    [
        ([], ["name"], "admin.E031"),
        ({"nope": Shelf}, ["name"], "admin.E032"),
        ({"shelf_id": dict}, ["name"], "admin.E033"),
        ({"shelf_id": Shelf}, [], "admin.E034"),
    ],
)
def test_relation_checks(relations: object, shelf_search: list[str], expected: str) -> None:
    admin = Admin(insecure_dev=True, secret_key="r" * 40)
    admin.register(Shelf, search_fields=shelf_search)
    admin.register(Book, relations=relations)
    assert [message.id for message in admin.check()] == [expected]


def test_related_entity_must_be_registered_on_the_same_site() -> None:
    admin = Admin(insecure_dev=True, secret_key="r" * 40)
    admin.register(Book, relations={"shelf_id": Shelf})
    (message,) = admin.check()
    assert message.id == "admin.E033"
    assert "register the related entity" in str(message)


@pytest.mark.browser
def test_picker_in_chromium(base_url: str, client: httpx.Client, datastar_context: object) -> None:
    from playwright.sync_api import expect

    for name in ("Poetry", "Novels", "History"):
        Shelf(name=name).save()
    page = datastar_context.new_page()  # type: ignore[attr-defined]
    page.goto(base_url + "/admin/book/new")
    page.fill("#username", "ann")
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.click("button[type=submit]")
    page.fill("#field-title", "Leaves of Grass")
    page.fill("#field-shelf_id-search", "poe")
    page.click("#picker-shelf_id-results >> text=Poetry")
    expect(page.locator("#field-shelf_id-label")).to_have_text("Poetry")
    with page.expect_navigation():
        page.click("#save")
    (book,) = Book.all()
    assert Shelf.get(book.shelf_id).name == "Poetry"  # type: ignore[arg-type, union-attr]
    page.close()
